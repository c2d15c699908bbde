import { sleep } from '../src/concurrency';

describe('sleep', () => {
  it('resolves after the wait', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it("ends early, rejecting with the signal's reason, when the signal aborts", async () => {
    const controller = new AbortController();
    const reason = new Error('closed');
    const wait = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(wait).rejects.toBe(reason);
  });

  it('rejects at once on a signal that has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('closed'));
    await expect(sleep(60_000, controller.signal)).rejects.toThrow('closed');
  });
});
