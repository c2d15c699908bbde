import {
  BackendError,
  CorruptPayloadError,
  InvalidSessionIdError,
  MemoryBackend,
  SerializationError,
  type SessionBackend,
  SessionStore,
  StoreClosedError,
} from '@connect-dynamodb-session/core';
import { countingBackend, createFakeClock } from '@connect-dynamodb-session/core/testing';

const HOUR = 3_600_000;
const sid = 'sid-0123456789abcdef';

function setup(extra: Record<string, unknown> = {}) {
  const clock = createFakeClock(1_800_000_000_000);
  const memory = new MemoryBackend();
  const counted = countingBackend(memory);
  const err = jest.fn();
  const log = jest.fn();
  const store = new SessionStore({ backend: counted.backend, now: clock.now, cleanupInterval: 0, err, log, ...extra });
  const cookie = (ms = HOUR) => ({ originalMaxAge: ms, expires: new Date(clock.now() + ms) });
  return { clock, memory, calls: counted.calls, store, err, log, cookie };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('SessionStore', () => {
  it('round-trips a session as JSON (Dates come back as ISO strings)', async () => {
    const { store, cookie } = setup();
    const when = new Date('2030-01-02T03:04:05.000Z');
    await store.set(sid, { cookie: cookie(), when, nested: { list: [1, 'two', null] } });
    await expect(store.get(sid)).resolves.toMatchObject({ when: '2030-01-02T03:04:05.000Z', nested: { list: [1, 'two', null] } });
  });

  it('never mutates the session it is given', async () => {
    const { store, cookie } = setup();
    const session = deepFreeze({ cookie: cookie(), user: { name: 'ada' } });
    const before = JSON.stringify(session);
    await store.set(sid, session);
    await store.touch(sid, session);
    expect(JSON.stringify(session)).toBe(before);
  });

  it('returns null for a stored session past its expiry, without deleting it', async () => {
    const { store, clock, memory, cookie } = setup();
    await store.set(sid, { cookie: cookie(1000) });
    clock.advance(1000);
    await expect(store.get(sid)).resolves.toBeNull();
    expect(memory.size).toBe(1);
  });

  it('set with an already-past cookie expiry deletes instead of writing', async () => {
    const { store, memory, calls, cookie } = setup();
    await store.set(sid, { cookie: cookie() });
    await store.set(sid, { cookie: cookie(-1) });
    expect(memory.size).toBe(0);
    expect(calls.put).toBe(1);
    expect(calls.delete).toBe(1);
  });

  it('touch after set within touchAfter writes nothing; touchAfter 0 writes expiry only', async () => {
    const a = setup();
    await a.store.set(sid, { cookie: a.cookie() });
    a.clock.advance(5_000);
    await expect(a.store.touch(sid, { cookie: a.cookie() })).resolves.toBe('skipped');
    expect(a.calls.updateExpiry).toBeUndefined();

    const b = setup({ touchAfter: 0 });
    await b.store.set(sid, { cookie: b.cookie(), v: 1 });
    b.clock.advance(5_000);
    await expect(b.store.touch(sid, { cookie: b.cookie(), v: 2 })).resolves.toBe('updated');
    expect(b.calls.put).toBe(1);
    expect(b.memory.peek(sid)?.expiresAt).toBe(b.clock.now() + HOUR);
    await expect(b.store.get(sid)).resolves.toMatchObject({ v: 1 });
  });

  describe('a save racing a logout', () => {
    it('is not written back once this process destroyed the session', async () => {
      const { store, memory, calls, cookie, log } = setup();
      await store.set(sid, { cookie: cookie(), v: 1 });
      await store.destroy(sid);
      await store.set(sid, { cookie: cookie(), v: 2 });
      expect(memory.size).toBe(0);
      expect(calls.put).toBe(1);
      expect(log).toHaveBeenCalledWith('not saving session sid:sid-01…: it was destroyed meanwhile (logout wins)');
    });

    it('is conditional on the session still existing when this store read it before (another instance may destroy it)', async () => {
      const { store, memory, calls, cookie } = setup();
      await store.set(sid, { cookie: cookie(), v: 1 });
      await store.get(sid);
      await memory.delete(sid); // the logout, served by another instance
      await store.set(sid, { cookie: cookie(), v: 2 });
      expect(calls.putIfExists).toBe(1);
      expect(memory.size).toBe(0);
    });

    it('writes a new session unconditionally', async () => {
      const { store, memory, calls, cookie } = setup();
      await store.set('a-brand-new-session', { cookie: cookie() });
      expect(calls.put).toBe(1);
      expect(calls.putIfExists).toBeUndefined();
      expect(memory.size).toBe(1);
    });
  });

  it('a touch that finds nothing is a silent no-op', async () => {
    const { store, err, memory } = setup({ touchAfter: 0 });
    await expect(store.touch(sid, { cookie: null })).resolves.toBe('missing');
    await expect(store.touch(sid, null as never)).resolves.toBe('missing');
    expect(err).not.toHaveBeenCalled();
    expect(memory.size).toBe(0);
  });

  it('keeps its touchAfter bookkeeping bounded', async () => {
    const { store, cookie } = setup({ touchMemoSize: 100 });
    for (let i = 0; i < 1000; i++) await store.set(`session-${i}`, { cookie: cookie() });
    expect(store.bookkeepingSize).toBe(100);
    await store.clear();
    expect(store.bookkeepingSize).toBe(0);
  });

  describe('serialization', () => {
    it.each([
      [
        'a circular reference',
        () => {
          const s: Record<string, unknown> = { cookie: null };
          s.self = s;
          return s;
        },
      ],
      ['a BigInt', () => ({ cookie: null, big: 10n })],
    ])('rejects %s with a SerializationError and writes nothing', async (_name, make) => {
      const { store, memory, err } = setup();
      await expect(store.set(sid, make())).rejects.toBeInstanceOf(SerializationError);
      expect(memory.size).toBe(0);
      expect(err).toHaveBeenCalledTimes(1);
    });

    it('drops functions and undefined values, as JSON does', async () => {
      const { store } = setup();
      await store.set(sid, { cookie: null, f: () => 1, u: undefined, keep: 1 });
      const got = await store.get(sid);
      expect(got).toEqual({ cookie: null, keep: 1 });
    });
  });

  describe('corrupt stored payloads', () => {
    const corrupt = async (extra: Record<string, unknown>) => {
      const ctx = setup(extra);
      await ctx.memory.put(sid, { payload: '{not json', expiresAt: ctx.clock.now() + HOUR });
      return ctx;
    };

    it('read as no session by default, reported to err with a CorruptPayloadError', async () => {
      const { store, err } = await corrupt({});
      await expect(store.get(sid)).resolves.toBeNull();
      expect(err).toHaveBeenCalledWith(expect.stringContaining('sid-01…'), expect.any(CorruptPayloadError));
    });

    it("reject with onCorruptPayload: 'throw'", async () => {
      const { store } = await corrupt({ onCorruptPayload: 'throw' });
      await expect(store.get(sid)).rejects.toMatchObject({ code: 'ERR_CORRUPT_PAYLOAD' });
    });

    it.each([
      ['a JSON array', '[1,2]'],
      ['a JSON string', '"x"'],
      ['null', 'null'],
      ['bytes', new Uint8Array([1, 2])],
    ])('treat %s as corrupt', async (_name, payload) => {
      const { store, memory, clock } = setup({ onCorruptPayload: 'throw' });
      await memory.put(sid, { payload, expiresAt: clock.now() + HOUR });
      await expect(store.get(sid)).rejects.toBeInstanceOf(CorruptPayloadError);
    });
  });

  describe('session ids', () => {
    it.each([
      ['empty', ''],
      ['a number', 42],
      ['undefined', undefined],
      ['over 1024 bytes', 'x'.repeat(1025)],
      ['over 1024 bytes in UTF-8', '🎉'.repeat(257)],
    ])('rejects an id that is %s with an InvalidSessionIdError', async (_name, id) => {
      const { store, calls } = setup();
      await expect(store.get(id as string)).rejects.toBeInstanceOf(InvalidSessionIdError);
      await expect(store.set(id as string, { cookie: null })).rejects.toBeInstanceOf(InvalidSessionIdError);
      await expect(store.destroy(id as string)).rejects.toBeInstanceOf(InvalidSessionIdError);
      expect(calls.get ?? 0).toBe(0);
    });

    it('accepts unicode and control characters as opaque strings', async () => {
      const { store } = setup();
      const id = 'ü\u0000\n\t🎉';
      await store.set(id, { cookie: null, ok: true });
      await expect(store.get(id)).resolves.toMatchObject({ ok: true });
    });
  });

  describe('backend failures', () => {
    const failing = (extra: Partial<SessionBackend> = {}): SessionBackend => ({
      ...new MemoryBackend(),
      init: async () => ({}),
      get: async () => {
        throw new Error('boom');
      },
      put: async () => {
        throw new Error('boom');
      },
      delete: async () => {},
      updateExpiry: async () => false,
      ...extra,
    });

    it('reject with a BackendError carrying the original as cause, and go to err once', async () => {
      const err = jest.fn();
      const store = new SessionStore({ backend: failing(), err, cleanupInterval: 0 });
      const error = await store.get(sid).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).cause).toEqual(new Error('boom'));
      expect((error as BackendError).operation).toBe('get');
      expect(err).toHaveBeenCalledTimes(1);
      expect(err.mock.calls[0]?.[0]).toBe('Unable to get session sid:sid-01…');
    });

    it('never pass whole ids or session contents to the hooks', async () => {
      const err = jest.fn();
      const log = jest.fn();
      const store = new SessionStore({ backend: failing(), err, log, cleanupInterval: 0 });
      await store.set(sid, { cookie: null, secret: 'hunter2' }).catch(() => undefined);
      const text = JSON.stringify([err.mock.calls.map((c) => String(c[0])), log.mock.calls]);
      expect(text).not.toContain(sid);
      expect(text).not.toContain('hunter2');
    });

    it('memoize init across concurrent calls, and retry it after a failure', async () => {
      let attempts = 0;
      const backend = failing({
        init: async () => {
          attempts++;
          if (attempts === 1) throw new Error('not yet');
          return {};
        },
        get: async () => null,
      });
      const store = new SessionStore({ backend, cleanupInterval: 0 });
      const first = await Promise.allSettled(Array.from({ length: 20 }, () => store.get(sid)));
      expect(first.every((r) => r.status === 'rejected')).toBe(true);
      expect(attempts).toBe(1);
      await Promise.all(Array.from({ length: 20 }, () => store.get(sid)));
      expect(attempts).toBe(2);
    });
  });

  it('rejects every operation after close with a StoreClosedError', async () => {
    const { store, cookie } = setup();
    await store.close();
    await store.close();
    await expect(store.get(sid)).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.set(sid, { cookie: cookie() })).rejects.toBeInstanceOf(StoreClosedError);
  });

  describe('all, ids, length', () => {
    it('list live sessions only, skipping unreadable ones', async () => {
      const { store, memory, clock, cookie, err } = setup();
      await store.set('a-live-session', { cookie: cookie(), n: 1 });
      await store.set('b-live-session', { cookie: cookie(), n: 2 });
      await store.set('c-short-session', { cookie: cookie(10) });
      await memory.put('d-corrupt-session', { payload: 'nope', expiresAt: clock.now() + HOUR });
      clock.advance(20);
      const all = await store.all();
      expect(all.map((e) => e.id).sort()).toEqual(['a-live-session', 'b-live-session']);
      expect(err).toHaveBeenCalledWith(expect.stringContaining('d-corr…'), expect.any(CorruptPayloadError));
      expect((await store.ids()).sort()).toEqual(['a-live-session', 'b-live-session', 'd-corrupt-session']);
      await expect(store.length()).resolves.toBe(3);
    });

    it('say clearly when the backend lacks list', async () => {
      const backend = {
        init: async () => {},
        get: async () => null,
        put: async () => {},
        delete: async () => {},
        updateExpiry: async () => false,
      };
      const store = new SessionStore({ backend, cleanupInterval: 0 });
      await expect(store.all()).rejects.toThrow('this backend does not implement the optional method list()');
      await expect(store.length()).rejects.toMatchObject({ code: 'ERR_BACKEND_CONTRACT' });
    });
  });
});
