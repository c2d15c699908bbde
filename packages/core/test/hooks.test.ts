// Issue 12.4: a user hook that throws (or rejects) never changes an operation's
// outcome and never becomes an unhandled rejection. Unit tests of the guards;
// the store-level tests with a real cleanup timer are in store-hooks.test.ts.
import { guardErr, guardLog, resolvePayloadCodec, resolveStoreOptions, type SessionBackend } from '@connect-dynamodb-session/core';
import { watchUnhandledRejections } from '../../../test-support/unhandled';
import { guardHook } from '../src/hooks';

const stubBackend = (): SessionBackend => ({
  init: jest.fn(async () => undefined),
  get: jest.fn(async () => null),
  create: jest.fn(async () => true),
  replace: jest.fn(async () => true),
  destroy: jest.fn(async () => undefined),
  updateExpiry: jest.fn(async () => true),
});

const watchUnhandled = watchUnhandledRejections;

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

it('the unhandled-rejection watch sees a rejection nobody handles (self-check)', async () => {
  const watch = watchUnhandled();
  const canary = new Error('canary: deliberately unhandled');
  void Promise.reject(canary);
  await settle();
  watch.stop();
  expect(watch.seen).toEqual([canary]);
});

describe('guardHook', () => {
  it('passes the arguments through and returns nothing', () => {
    const hook = jest.fn((_message: string, _n: number) => 'ignored');
    const guarded = guardHook('log', hook, jest.fn());
    expect(guarded('a', 1)).toBeUndefined();
    expect(hook).toHaveBeenCalledWith('a', 1);
  });

  it('hands a throw to onFailure, naming the hook and the error class only', () => {
    const onFailure = jest.fn();
    const thrown = new RangeError('secret=hunter2');
    const guarded = guardHook<[string]>(
      'log',
      () => {
        throw thrown;
      },
      onFailure,
    );
    expect(() => guarded('x')).not.toThrow();
    expect(onFailure).toHaveBeenCalledWith('the "log" hook threw: RangeError', thrown);
  });

  it('does not quote a name that is not a class name', () => {
    const onFailure = jest.fn();
    const thrown = new Error('x');
    thrown.name = 'secret=hunter2';
    guardHook<[]>(
      'log',
      () => {
        throw thrown;
      },
      onFailure,
    )();
    expect(onFailure).toHaveBeenCalledWith('the "log" hook threw: Error', thrown);
  });

  it('hands an async rejection to onFailure, never to the event loop', async () => {
    const watch = watchUnhandled();
    const onFailure = jest.fn();
    guardHook('err', async (_message: string, _error: unknown) => Promise.reject(new Error('async boom')), onFailure)('m', new Error('e'));
    await settle();
    watch.stop();
    expect(watch.seen).toEqual([]);
    expect(onFailure).toHaveBeenCalledWith('the "err" hook threw: Error', expect.any(Error));
  });
});

describe('the resolved err and log hooks', () => {
  it('never throw, whatever the user hooks do; a throwing log is reported to err', () => {
    const err = jest.fn();
    const o = resolveStoreOptions({
      backend: stubBackend(),
      err,
      log: () => {
        throw new Error('log broke');
      },
    });
    expect(() => o.log('hello')).not.toThrow();
    expect(err).toHaveBeenCalledWith('the "log" hook threw: Error', expect.objectContaining({ message: 'log broke' }));
  });

  it('a throwing err is dropped with one process warning, never rethrown', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const o = resolveStoreOptions({
      backend: stubBackend(),
      err: () => {
        throw new Error('err broke');
      },
      log: () => {
        throw new Error('log broke');
      },
    });
    expect(() => o.err('first', new Error('x'))).not.toThrow();
    expect(() => o.err('second', new Error('y'))).not.toThrow();
    expect(() => o.log('both broken')).not.toThrow();
    await settle();
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning).toHaveBeenCalledWith(expect.stringMatching(/^the "err" hook threw: Error/), { code: 'CDS_HOOK_FAILED' });
    expect(String(emitWarning.mock.calls[0]?.[0])).not.toMatch(/err broke/);
    emitWarning.mockRestore();
  });

  it('guardErr and guardLog guard the DynamoDB backend hooks the same way', () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const err = guardErr(() => {
      throw new Error('x');
    });
    const log = guardLog(() => {
      throw new Error('y');
    }, err);
    expect(() => log('m')).not.toThrow();
    expect(() => err('m', null)).not.toThrow();
    expect(emitWarning).toHaveBeenCalledTimes(1);
    emitWarning.mockRestore();
  });
});

describe('onLargeSession', () => {
  it('a throwing or rejecting hook never fails the write and reaches err', async () => {
    const watch = watchUnhandled();
    for (const onLargeSession of [
      () => {
        throw new Error('sync');
      },
      async () => Promise.reject(new Error('async')),
    ]) {
      const err = jest.fn();
      const codec = resolvePayloadCodec({ warnAboveBytes: 1, onLargeSession }, { err, log: jest.fn() });
      await expect(Promise.resolve(codec.encode('{"a":"long enough"}', 'sid-0123456789'))).resolves.toBe('{"a":"long enough"}');
      await settle();
      expect(err).toHaveBeenCalledWith('the "onLargeSession" hook threw: Error', expect.any(Error));
    }
    watch.stop();
    expect(watch.seen).toEqual([]);
  });
});
