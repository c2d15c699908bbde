import { type CleanupResult, MemoryBackend, type SessionBackend, SessionStore } from '@connect-dynamodb-session/core';

const flush = async (): Promise<void> => {
  // Let the chain of promises behind a timer callback settle.
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function backendWith(deleteExpired: (now: number) => Promise<CleanupResult>, info = {}): SessionBackend {
  return {
    init: async () => info,
    get: async () => null,
    create: async () => true,
    replace: async () => true,
    destroy: async () => {},
    updateExpiry: async () => false,
    deleteExpired,
  };
}

describe('periodic cleanup', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] }));
  afterEach(() => jest.useRealTimers());

  it('runs every cleanupInterval and reports counts to log', async () => {
    const deleteExpired = jest.fn(async () => ({ scanned: 10, deleted: 3 }));
    const log = jest.fn();
    const store = new SessionStore({ backend: backendWith(deleteExpired), cleanupInterval: 1000, log });
    await jest.advanceTimersByTimeAsync(999);
    expect(deleteExpired).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    await flush();
    expect(deleteExpired).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith('cleanup removed 3 expired session(s), scanned 10');
    await jest.advanceTimersByTimeAsync(1000);
    await flush();
    expect(deleteExpired).toHaveBeenCalledTimes(2);
    await store.close();
  });

  it('never overlaps runs: the next run is scheduled after the previous one ends', async () => {
    let running = 0;
    let maxRunning = 0;
    let release: () => void = () => {};
    const deleteExpired = jest.fn(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => {
        release = r;
      });
      running--;
      return { scanned: 0, deleted: 0 };
    });
    const store = new SessionStore({ backend: backendWith(deleteExpired), cleanupInterval: 100 });
    await jest.advanceTimersByTimeAsync(1000);
    expect(deleteExpired).toHaveBeenCalledTimes(1);
    // A manual run while the timer's run is in flight joins it.
    const joined = store.cleanup();
    expect(deleteExpired).toHaveBeenCalledTimes(1);
    release();
    await joined;
    await jest.advanceTimersByTimeAsync(100);
    await flush();
    expect(deleteExpired).toHaveBeenCalledTimes(2);
    expect(maxRunning).toBe(1);
    release();
    await store.close();
  });

  it('sends failures to err and keeps the schedule', async () => {
    const deleteExpired = jest
      .fn<Promise<CleanupResult>, [number]>()
      .mockRejectedValueOnce(new Error('throttled'))
      .mockResolvedValue({ scanned: 1, deleted: 1 });
    const err = jest.fn();
    const store = new SessionStore({ backend: backendWith(deleteExpired), cleanupInterval: 500, err });
    await jest.advanceTimersByTimeAsync(500);
    await flush();
    expect(err).toHaveBeenCalledWith('Unable to deleteExpired', expect.objectContaining({ code: 'ERR_BACKEND' }));
    await jest.advanceTimersByTimeAsync(500);
    await flush();
    expect(deleteExpired).toHaveBeenCalledTimes(2);
    await store.close();
  });

  it('stops scanning, and says so once, when the backend expires items natively', async () => {
    const deleteExpired = jest.fn(async () => ({ scanned: 0, deleted: 0 }));
    const log = jest.fn();
    const store = new SessionStore({ backend: backendWith(deleteExpired, { expiresItemsNatively: true }), cleanupInterval: 100, log });
    await jest.advanceTimersByTimeAsync(1000);
    await flush();
    expect(deleteExpired).not.toHaveBeenCalled();
    expect(log.mock.calls.filter(([m]) => String(m).includes('natively'))).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
    await store.close();
  });

  it('uses an unref’d timer that close() clears', async () => {
    const store = new SessionStore({ backend: new MemoryBackend(), cleanupInterval: 60_000 });
    expect(jest.getTimerCount()).toBe(1);
    await store.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('schedules nothing when cleanupInterval is 0', () => {
    new SessionStore({ backend: new MemoryBackend(), cleanupInterval: 0 });
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('cleanup timer with real timers', () => {
  it('does not keep the process alive (unref)', async () => {
    const spy = jest.spyOn(global, 'setTimeout');
    const store = new SessionStore({ backend: new MemoryBackend(), cleanupInterval: 60_000 });
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    spy.mockRestore();
    await store.close();
  });

  it('deletes only expired sessions from the memory backend', async () => {
    let now = 1_800_000_000_000;
    const backend = new MemoryBackend();
    const store = new SessionStore({ backend, cleanupInterval: 0, now: () => now });
    await store.set('expires-soon', { cookie: { expires: new Date(now + 1000) } });
    await store.set('lives-long', { cookie: { expires: new Date(now + 60_000) } });
    now += 1000;
    await expect(store.cleanup()).resolves.toEqual({ scanned: 2, deleted: 1 });
    expect(backend.peek('expires-soon')).toBeUndefined();
    expect(backend.peek('lives-long')).toBeDefined();
  });
});
