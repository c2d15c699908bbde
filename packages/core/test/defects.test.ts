// Issue 12 (items 3, 4, 6, 10) through the core store on the reference backend.
// The same behaviours over DynamoDB are in packages/dynamodb/test/defects.int.test.ts.
import {
  type CleanupResult,
  InvalidOptionError,
  MAX_EXPIRES_AT,
  MemoryBackend,
  SerializationError,
  type SessionBackend,
  SessionStore,
  type SessionStoreOptions,
} from '@connect-dynamodb-session/core';
import { watchUnhandledRejections } from '../../../test-support/unhandled';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const cookie = (maxAge: number, now = Date.now()) => ({ originalMaxAge: maxAge, expires: new Date(now + maxAge).toISOString() });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every message, stack and string form along an error's cause chain. */
function chainText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    parts.push(String(e));
    if (!(e instanceof Error)) break;
    parts.push(e.message, e.stack ?? '');
    e = e.cause;
  }
  return parts.join('\n');
}

function storeOn(backend: SessionBackend, options: Partial<SessionStoreOptions> = {}) {
  const err = jest.fn();
  const log = jest.fn();
  const store = new SessionStore({ backend, cleanupInterval: 0, err, log, ...options });
  return { store, err, log };
}

describe('12.4: user hooks that throw', () => {
  const throwing = (what: string) => () => {
    throw new Error(`${what} hook broke`);
  };
  const rejecting = (what: string) => async () => Promise.reject(new Error(`${what} hook rejected`));

  it.each([
    ['throw', throwing],
    ['reject', rejecting],
  ])('with a real cleanup timer: no unhandled rejection, and the cleanup goes on running when err and log %s', async (_name, make) => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const watch = watchUnhandledRejections();
    let runs = 0;
    const failingThenFine: SessionBackend = Object.assign(new MemoryBackend(), {
      deleteExpired: async (): Promise<CleanupResult> => {
        runs++;
        // Every other run fails: err is called from the timer chain, log after the successful ones.
        if (runs % 2 === 1) throw new Error('scan failed');
        return { scanned: 0, deleted: 0 };
      },
    });
    const store = new SessionStore({ backend: failingThenFine, cleanupInterval: 10, err: make('err'), log: make('log') });
    try {
      const deadline = Date.now() + 2000;
      while (runs < 4 && Date.now() < deadline) await pause(10);
      await pause(20);
    } finally {
      await store.close();
      watch.stop();
      emitWarning.mockRestore();
    }
    expect(watch.seen).toEqual([]);
    expect(runs).toBeGreaterThanOrEqual(4);
  });

  it('a throwing err or log changes no outcome: set, get, touch, destroy resolve as without hooks', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const watch = watchUnhandledRejections();
    const { store } = storeOn(new MemoryBackend(), { err: throwing('err'), log: throwing('log'), touchAfter: 0 });
    try {
      const saved = await store.set('sid-hooks-0001', { cookie: cookie(HOUR), n: 1 });
      expect(saved.status).toBe('created');
      const read = await store.getEntry('sid-hooks-0001');
      expect(read?.session).toMatchObject({ n: 1 });
      await expect(store.touch('sid-hooks-0001', { cookie: cookie(2 * HOUR) })).resolves.toBe('updated');
      // Failures still reject with their own typed error, not the hook's.
      await expect(store.set('sid-hooks-0001', [] as never)).rejects.toBeInstanceOf(SerializationError);
      await store.destroy('sid-hooks-0001');
      await expect(store.get('sid-hooks-0001')).resolves.toBeNull();
      await pause(10);
    } finally {
      await store.close();
      watch.stop();
      emitWarning.mockRestore();
    }
    expect(watch.seen).toEqual([]);
  });

  it('a throwing onLargeSession never fails the save; its error goes to err', async () => {
    const { store, err } = storeOn(new MemoryBackend(), { warnAboveBytes: 10, onLargeSession: throwing('onLargeSession') });
    await expect(store.set('sid-large-0001', { cookie: cookie(HOUR), blob: 'x'.repeat(100) })).resolves.toMatchObject({
      status: 'created',
    });
    expect(err).toHaveBeenCalledWith('the "onLargeSession" hook threw: Error', expect.any(Error));
    await store.close();
  });
});

describe('12.6: odd values are refused in set, before anything is written', () => {
  it.each([
    ['a string', 'v1'],
    ['null', null],
    ['an array', ['a']],
  ])('a session whose toJSON returns %s: SerializationError, nothing stored', async (_name, value) => {
    const backend = new MemoryBackend();
    const { store, err } = storeOn(backend);
    const session = { cookie: cookie(HOUR), toJSON: () => value };
    await expect(store.set('sid-tojson-0001', session)).rejects.toBeInstanceOf(SerializationError);
    expect(backend.peek('sid-tojson-0001')).toBeUndefined();
    expect(err).toHaveBeenCalledWith(expect.stringContaining('Unable to save session'), expect.any(SerializationError));
    await store.close();
  });

  it.each([
    ['"60000"', '60000'],
    ['1e+300', 1e300],
    ['NaN', Number.NaN],
  ])('a ttl function returning %s: InvalidOptionError naming ttl and the value; the stored session is kept', async (shown, value) => {
    const backend = new MemoryBackend();
    let bad = false;
    const { store, err } = storeOn(backend, { ttl: () => (bad ? (value as number) : HOUR) });
    const saved = await store.set('sid-ttlfn-0001', { cookie: { expires: null }, n: 1 });
    if (saved.status === 'destroyed') throw new Error('expected a write');
    bad = true;
    const error = await store.set('sid-ttlfn-0001', { cookie: { expires: null }, n: 2 }, saved).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('ttl');
    expect((error as Error).message).toContain(`got ${shown}`);
    expect(err).toHaveBeenCalledWith(expect.stringContaining('Unable to save session'), error);
    // A touch refuses it too, and the session written before is still there, unchanged.
    await expect(store.touch('sid-ttlfn-0001', { cookie: { expires: null } })).rejects.toBeInstanceOf(InvalidOptionError);
    bad = false;
    await expect(store.get('sid-ttlfn-0001')).resolves.toMatchObject({ n: 1 });
    await store.close();
  });

  it("never lets text thrown by the app's own getter reach err (message or cause chain)", async () => {
    const { store, err } = storeOn(new MemoryBackend());
    const session = {
      cookie: cookie(HOUR),
      get secret(): string {
        throw new Error('secret=hunter2');
      },
    };
    const rejected = await store.set('sid-getter-0001', session).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(SerializationError);
    expect(chainText(rejected)).not.toMatch(/hunter2/);
    expect(err).toHaveBeenCalled();
    for (const [message, error] of err.mock.calls) {
      expect(String(message)).not.toMatch(/hunter2/);
      expect(chainText(error)).not.toMatch(/hunter2/);
    }
    await store.close();
  });
});

describe('12.3: far-future expiries', () => {
  it('keeps a 9999-12-31 cookie expiry as it is', async () => {
    const backend = new MemoryBackend();
    const { store } = storeOn(backend);
    const forever = Date.UTC(9999, 11, 31, 23, 59, 59);
    await store.set('sid-forever-01', { cookie: { expires: new Date(forever).toISOString() }, n: 1 });
    expect(backend.peek('sid-forever-01')?.expiresAt).toBe(forever);
  });

  it('clamps a cookie expiry beyond MAX_EXPIRES_AT, in set and touch, and logs it', async () => {
    const backend = new MemoryBackend();
    const { store, log } = storeOn(backend, { touchAfter: 0 });
    const beyond = { expires: new Date(8.64e15).toISOString() };
    const saved = await store.set('sid-beyond-001', { cookie: beyond });
    expect(saved).toMatchObject({ status: 'created', expiresAt: MAX_EXPIRES_AT });
    expect(backend.peek('sid-beyond-001')?.expiresAt).toBe(MAX_EXPIRES_AT);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^session sid:sid-be… expires .*later than the latest expiry stored/));
    await store.touch('sid-beyond-001', { cookie: { expires: new Date(8.6e15).toISOString() } });
    expect(backend.peek('sid-beyond-001')?.expiresAt).toBe(MAX_EXPIRES_AT);
  });
});

describe('12.10: a touch follows a cut cookie lifetime', () => {
  it('shortens the stored expiry when the cookie lifetime was cut (remember-me off)', async () => {
    const backend = new MemoryBackend();
    const { store } = storeOn(backend, { touchAfter: 10_000 });
    const now = Date.now();
    const saved = await store.set('sid-cut-000001', { cookie: cookie(30 * DAY, now) });
    if (saved.status === 'destroyed') throw new Error('expected a write');
    await expect(store.touch('sid-cut-000001', { cookie: cookie(HOUR, now) }, saved)).resolves.toBe('updated');
    const stored = backend.peek('sid-cut-000001')?.expiresAt ?? 0;
    expect(stored).toBeLessThanOrEqual(now + HOUR);
  });
});
