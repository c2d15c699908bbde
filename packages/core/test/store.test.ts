import {
  BackendError,
  CorruptPayloadError,
  conflictPause,
  InvalidSessionIdError,
  MAX_SAVE_ATTEMPTS,
  MemoryBackend,
  SerializationError,
  type SessionBackend,
  SessionConflictError,
  type SessionLike,
  type SessionRead,
  SessionStore,
  type SessionWrite,
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

  it('never mutates the session it is given, not even when merging a conflict', async () => {
    const { store, cookie } = setup();
    await store.set(sid, { cookie: cookie(), a: { x: 1 } });
    const mine = (await store.getEntry(sid)) as SessionRead<SessionLike>;
    const theirs = (await store.getEntry(sid)) as SessionRead<SessionLike>;
    await store.set(sid, { cookie: cookie(), a: { x: 1, y: 2 } }, theirs);
    const session = deepFreeze({ cookie: cookie(), a: { x: 3 }, list: [1, { deep: true }] });
    const before = JSON.stringify(session);
    await expect(store.set(sid, session, mine)).resolves.toMatchObject({ status: 'merged' });
    await store.touch(sid, session, mine);
    expect(JSON.stringify(session)).toBe(before);
    await expect(store.get(sid)).resolves.toMatchObject({ a: { x: 3, y: 2 }, list: [1, { deep: true }] });
  });

  it('ignores a read revision no backend could hold (NaN, negative, fractional): a save without read state', async () => {
    const { store, cookie } = setup();
    await store.set(sid, { cookie: cookie(), v: 1 });
    for (const revision of [Number.NaN, -1, 1.5]) {
      await expect(store.set(sid, { cookie: cookie(), v: revision }, { revision, snapshot: '{}' })).resolves.toMatchObject({
        status: 'replaced',
      });
    }
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

  it('set with an already-past cookie expiry destroys instead of writing', async () => {
    const { store, memory, calls, cookie } = setup();
    await store.set(sid, { cookie: cookie() });
    await expect(store.set(sid, { cookie: cookie(-1) })).resolves.toEqual({ status: 'destroyed' });
    expect(memory.peek(sid)).toEqual({ tombstone: true, expiresAt: 1_800_000_000_000 + 86_400_000 });
    expect(calls.create).toBe(1);
    expect(calls.replace).toBeUndefined();
    expect(calls.destroy).toBe(1);
  });

  it('touch within touchAfter of the expiry read writes nothing; touchAfter 0 writes expiry only', async () => {
    const a = setup();
    await a.store.set(sid, { cookie: a.cookie() });
    const read = await a.store.getEntry(sid);
    a.clock.advance(5_000);
    await expect(a.store.touch(sid, { cookie: a.cookie() }, read ?? undefined)).resolves.toBe('skipped');
    expect(a.calls.updateExpiry).toBeUndefined();
    // Without read state the store cannot know the stored expiry: the touch writes.
    await expect(a.store.touch(sid, { cookie: a.cookie() })).resolves.toBe('updated');
    expect(a.calls.updateExpiry).toBe(1);

    const b = setup({ touchAfter: 0 });
    await b.store.set(sid, { cookie: b.cookie(), v: 1 });
    b.clock.advance(5_000);
    await expect(b.store.touch(sid, { cookie: b.cookie(), v: 2 })).resolves.toBe('updated');
    expect(b.calls.create).toBe(1);
    expect(b.memory.peek(sid)?.expiresAt).toBe(b.clock.now() + HOUR);
    await expect(b.store.get(sid)).resolves.toMatchObject({ v: 1 });
  });

  it('a touch with read state of an expired read skips the write', async () => {
    const { store, clock, calls, cookie } = setup({ touchAfter: 0 });
    await store.set(sid, { cookie: cookie(1000) });
    const read = await store.getEntry(sid);
    clock.advance(2000);
    await expect(store.touch(sid, { cookie: cookie() }, read ?? undefined)).resolves.toBe('missing');
    expect(calls.updateExpiry).toBeUndefined();
  });

  it('touchMaybeSync answers without a promise when no I/O is needed, and throws what it finds wrong before any', async () => {
    const { store, clock, calls, cookie } = setup();
    await store.set(sid, { cookie: cookie() });
    const read = (await store.getEntry(sid)) ?? undefined;
    clock.advance(5_000);
    expect(store.touchMaybeSync(sid, { cookie: cookie() }, read)).toBe('skipped');
    clock.advance(2 * HOUR);
    expect(store.touchMaybeSync(sid, { cookie: cookie() }, read)).toBe('missing');
    expect(calls.updateExpiry).toBeUndefined();
    // Without read state it writes: the promise of the UpdateItem.
    const written = store.touchMaybeSync(sid, { cookie: cookie() });
    expect(written).toBeInstanceOf(Promise);
    await expect(written).resolves.toBe('missing'); // the session expired an hour ago
    expect(calls.updateExpiry).toBe(1);
    expect(() => store.touchMaybeSync('', { cookie: cookie() })).toThrow(InvalidSessionIdError);
    await expect(store.touch('', { cookie: cookie() })).rejects.toThrow(InvalidSessionIdError);
  });

  describe('a save racing a logout', () => {
    it('writes nothing after a destroy, with or without read state, and says so to log', async () => {
      const { store, memory, calls, cookie, log } = setup();
      const created = await store.set(sid, { cookie: cookie(), v: 1 });
      await store.destroy(sid);
      await expect(store.set(sid, { cookie: cookie(), v: 2 })).resolves.toEqual({ status: 'destroyed' });
      await expect(store.set(sid, { cookie: cookie(), v: 3 }, created.status === 'destroyed' ? undefined : created)).resolves.toEqual({
        status: 'destroyed',
      });
      expect(memory.peek(sid)).toMatchObject({ tombstone: true });
      expect(calls.create).toBe(2);
      expect(calls.replace).toBe(1);
      expect(log).toHaveBeenCalledWith('not saving session sid:sid-01…: it was destroyed meanwhile (logout wins)');
    });

    it('writes nothing when the session it read has vanished (tombstone expired and removed)', async () => {
      const { store, memory, cookie, log } = setup();
      await store.set(sid, { cookie: cookie(), v: 1 });
      const read = await store.getEntry(sid);
      await memory.destroy(sid, 0); // another instance's logout, long ago
      await memory.deleteExpired(1);
      await expect(store.set(sid, { cookie: cookie(), v: 2 }, read ?? undefined)).resolves.toEqual({ status: 'destroyed' });
      expect(memory.size).toBe(0);
      expect(log).toHaveBeenCalledWith('not saving session sid:sid-01…: it no longer exists');
    });

    it('creates a new session with one write', async () => {
      const { store, memory, calls, cookie } = setup();
      await expect(store.set('a-brand-new-session', { cookie: cookie() })).resolves.toMatchObject({ status: 'created', revision: 1 });
      expect(calls).toEqual({ init: 1, create: 1 });
      expect(memory.size).toBe(1);
    });
  });

  describe('revision conflicts', () => {
    it('a replace that meets a newer revision costs one read and one write more, and merges', async () => {
      const { store, calls, cookie } = setup();
      await store.set(sid, { cookie: cookie(), a: 0, b: 0 });
      const mine = (await store.getEntry(sid)) as SessionRead<SessionLike>;
      const theirs = (await store.getEntry(sid)) as SessionRead<SessionLike>;
      await store.set(sid, { cookie: cookie(), a: 1, b: 0 }, theirs);
      for (const k of Object.keys(calls)) delete calls[k];
      await expect(store.set(sid, { cookie: cookie(), a: 0, b: 2 }, mine)).resolves.toMatchObject({ status: 'merged', revision: 3 });
      expect(calls).toEqual({ replace: 2, get: 1 });
      await expect(store.get(sid)).resolves.toMatchObject({ a: 1, b: 2 });
    });

    it('reads the latest write (get with { latest: true }) after a failed replace, and only then', async () => {
      const { store, memory, cookie } = setup();
      const get = jest.spyOn(memory, 'get');
      await store.set(sid, { cookie: cookie(), a: 0 });
      const mine = (await store.getEntry(sid)) as SessionRead<SessionLike>;
      await store.set(sid, { cookie: cookie(), a: 1 }, (await store.getEntry(sid)) as SessionRead<SessionLike>);
      get.mockClear();
      await store.set(sid, { cookie: cookie(), b: 2 }, mine);
      expect(get.mock.calls).toEqual([[sid, { latest: true }]]);
      get.mockClear();
      await store.get(sid);
      expect(get.mock.calls).toEqual([[sid]]);
    });

    it('pauses 5 to 50 ms before the first retry, the range growing by 1.25 each retry', () => {
      expect(conflictPause(1, 0)).toBe(5);
      expect(conflictPause(1, 1)).toBe(50);
      expect(conflictPause(2, 0)).toBe(6.25);
      expect(conflictPause(3, 1)).toBeCloseTo(78.125);
      expect(MAX_SAVE_ATTEMPTS).toBe(10);
    });

    it(`gives up after ${MAX_SAVE_ATTEMPTS} attempts with a SessionConflictError, writing nothing`, async () => {
      const clock = createFakeClock(1_800_000_000_000);
      const memory = new MemoryBackend();
      const err = jest.fn();
      // A backend on which someone else always saved just before: every replace meets a newer revision.
      const backend: SessionBackend = Object.assign(Object.create(memory) as MemoryBackend, {
        replace: jest.fn(async (id: string, w: SessionWrite, r: number) => {
          await memory.replace(id, { payload: '{"other":true}', expiresAt: w.expiresAt }, r);
          return false;
        }),
      });
      const store = new SessionStore({ backend, now: clock.now, cleanupInterval: 0, err });
      const expires = new Date(clock.now() + HOUR);
      await store.set(sid, { cookie: { expires }, v: 1 });
      const read = await store.getEntry(sid);
      const started = Date.now();
      const error = await store.set(sid, { cookie: { expires }, v: 2 }, read ?? undefined).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionConflictError);
      expect(error).toMatchObject({ code: 'ERR_CONFLICT', attempts: MAX_SAVE_ATTEMPTS });
      expect(backend.replace).toHaveBeenCalledTimes(MAX_SAVE_ATTEMPTS);
      // A pause between every two attempts, each at least its range's minimum.
      let minimum = 0;
      for (let retry = 1; retry < MAX_SAVE_ATTEMPTS; retry++) minimum += conflictPause(retry, 0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(Math.floor(minimum) - 1);
      expect(err).toHaveBeenCalledWith('Unable to save session sid:sid-01…', error);
      await expect(store.get(sid)).resolves.toMatchObject({ other: true });
    });

    it('a save without read state that meets a concurrent save replaces it whole, without an error (last writer wins)', async () => {
      const clock = createFakeClock(1_800_000_000_000);
      const memory = new MemoryBackend();
      let raced = false;
      // Another request saves between this save's re-read and its replace, once.
      const backend: SessionBackend = Object.assign(Object.create(memory) as MemoryBackend, {
        replace: async (id: string, w: SessionWrite, r: number) => {
          if (!raced) {
            raced = true;
            await memory.replace(id, { payload: '{"other":true}', expiresAt: w.expiresAt }, r);
          }
          return memory.replace(id, w, r);
        },
      });
      const store = new SessionStore({ backend, now: clock.now, cleanupInterval: 0 });
      const expires = new Date(clock.now() + HOUR);
      await store.set(sid, { cookie: { expires }, v: 1 });
      await expect(store.set(sid, { cookie: { expires }, v: 2 })).resolves.toMatchObject({ status: 'replaced', revision: 3 });
      await expect(store.get(sid)).resolves.toEqual({ cookie: { expires: expires.toISOString() }, v: 2 });
    });

    it('a save without read state whose session vanishes meanwhile creates it anew', async () => {
      const clock = createFakeClock(1_800_000_000_000);
      const memory = new MemoryBackend();
      let raced = false;
      // The expired session is cleaned up between this save's re-read and its replace.
      const backend: SessionBackend = Object.assign(Object.create(memory) as MemoryBackend, {
        replace: async (id: string, w: SessionWrite, r: number) => {
          if (!raced) {
            raced = true;
            await memory.deleteExpired(clock.now() + 2 * HOUR);
          }
          return memory.replace(id, w, r);
        },
      });
      const store = new SessionStore({ backend, now: clock.now, cleanupInterval: 0 });
      await memory.create(sid, { payload: '{"old":true}', expiresAt: clock.now() - 1 });
      const expires = new Date(clock.now() + HOUR);
      await expect(store.set(sid, { cookie: { expires }, v: 2 })).resolves.toMatchObject({ status: 'created', revision: 1 });
      await expect(store.get(sid)).resolves.toMatchObject({ v: 2 });
    });

    it('a backend that refuses to create over an item its get reads as nothing gets a BackendError after two tries, not ten', async () => {
      const clock = createFakeClock(1_800_000_000_000);
      const memory = new MemoryBackend();
      const err = jest.fn();
      // An item the backend cannot read (a foreign shape): get says null, create says something is there.
      const backend: SessionBackend = Object.assign(Object.create(memory) as MemoryBackend, {
        get: async () => null,
        create: jest.fn(async () => false),
      });
      const store = new SessionStore({ backend, now: clock.now, cleanupInterval: 0, err });
      const error = await store.set(sid, { cookie: { expires: new Date(clock.now() + HOUR) } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect(error).toMatchObject({ operation: 'create', cause: { message: expect.stringMatching(/get reads nothing/) } });
      expect(backend.create).toHaveBeenCalledTimes(2);
      expect(err).toHaveBeenCalledWith('Unable to create session sid:sid-01…', error);
    });

    it('a conflict without a snapshot to merge against (or with one that cannot be parsed) is a SessionConflictError', async () => {
      const { store, cookie, err } = setup();
      await store.set(sid, { cookie: cookie(), v: 1 });
      await store.set(sid, { cookie: cookie(), v: 2 });
      await expect(store.set(sid, { cookie: cookie(), v: 3 }, { revision: 1 })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
      await expect(store.set(sid, { cookie: cookie(), v: 3 }, { revision: 1, snapshot: '{not json' })).rejects.toMatchObject({
        code: 'ERR_CONFLICT',
        message: 'session was not saved: it was changed since it was read, and the snapshot it carries cannot be parsed',
      });
      expect(err).toHaveBeenCalledTimes(2);
      await expect(store.get(sid)).resolves.toMatchObject({ v: 2 });
    });

    it('merges 20 concurrent saves of one session changing distinct keys, top-level and nested: none lost', async () => {
      const { store, cookie } = setup();
      await store.set(sid, { cookie: cookie(), nested: { deep: {} } });
      const reads = await Promise.all(Array.from({ length: 20 }, () => store.getEntry(sid)));
      const results = await Promise.all(
        reads.map((read, i) => store.set(sid, { cookie: cookie(), [`top${i}`]: i, nested: { deep: { [`k${i}`]: i } } }, read ?? undefined)),
      );
      expect(results.filter((r) => r.status === 'merged').length).toBeGreaterThan(0);
      const got = (await store.get(sid)) as { nested: { deep: Record<string, number> } } & Record<string, unknown>;
      for (let i = 0; i < 20; i++) {
        expect(got[`top${i}`]).toBe(i);
        expect(got.nested.deep[`k${i}`]).toBe(i);
      }
    });

    it('20 concurrent saves over two stores, on a backend taking 2 to 12 ms per call: no change lost, no error', async () => {
      const memory = new MemoryBackend();
      // Every call waits 1 to 6 ms before and after acting, like a network round trip.
      const wait = () => new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 5));
      const backend = new Proxy(memory, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (typeof value !== 'function' || prop === 'list') return value;
          return async (...args: unknown[]) => {
            await wait();
            const out = await (value as (...a: unknown[]) => unknown).apply(target, args);
            await wait();
            return out;
          };
        },
      });
      const stores = [0, 1].map(() => new SessionStore({ backend, cleanupInterval: 0 }));
      const expires = new Date(Date.now() + HOUR);
      for (let round = 0; round < 3; round++) {
        const id = `contended-${round}`;
        await stores[0]?.set(id, { cookie: { expires }, nested: {} });
        const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]?.getEntry(id)));
        const results = await Promise.allSettled(
          reads.map((read, i) =>
            stores[i % 2]?.set(id, { cookie: { expires }, [`k${i}`]: i, nested: { [`n${i}`]: i } }, read ?? undefined),
          ),
        );
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const got = (await stores[0]?.get(id)) as Record<string, unknown> & { nested: Record<string, number> };
        for (let i = 0; i < 20; i++) {
          expect(got[`k${i}`]).toBe(i);
          expect(got.nested[`n${i}`]).toBe(i);
        }
      }
    });

    it('a stored record without a revision (1.x, 2.0) is read as revision 0 and gains one on its next save', async () => {
      const records = new Map<string, { payload: string; expiresAt: number; revision?: number }>();
      const memory = new MemoryBackend();
      const legacy: SessionBackend = Object.assign(Object.create(memory) as MemoryBackend, {
        get: async (id: string) => {
          const r = records.get(id);
          return r ? { payload: r.payload, expiresAt: r.expiresAt, revision: r.revision as number } : memory.get(id);
        },
        replace: async (id: string, w: SessionWrite, expected: number) => {
          const r = records.get(id);
          if (!r || (r.revision ?? 0) !== expected) return false;
          records.set(id, { payload: w.payload as string, expiresAt: w.expiresAt, revision: expected + 1 });
          return true;
        },
      });
      const clock = createFakeClock(1_800_000_000_000);
      records.set(sid, { payload: JSON.stringify({ cookie: {}, old: true }), expiresAt: clock.now() + HOUR });
      const store = new SessionStore({ backend: legacy, now: clock.now, cleanupInterval: 0 });
      const read = await store.getEntry(sid);
      expect(read).toMatchObject({ revision: 0, session: { old: true } });
      await expect(store.set(sid, { cookie: {}, old: true, n: 1 }, read ?? undefined)).resolves.toMatchObject({ revision: 1 });
      expect(records.get(sid)?.revision).toBe(1);
    });
  });

  it('a touch that finds nothing is a silent no-op', async () => {
    const { store, err, memory } = setup({ touchAfter: 0 });
    await expect(store.touch(sid, { cookie: null })).resolves.toBe('missing');
    await expect(store.touch(sid, null as never)).resolves.toBe('missing');
    expect(err).not.toHaveBeenCalled();
    expect(memory.size).toBe(0);
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
      await ctx.memory.create(sid, { payload: '{not json', expiresAt: ctx.clock.now() + HOUR });
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
      await memory.create(sid, { payload, expiresAt: clock.now() + HOUR });
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
      create: async () => {
        throw new Error('boom');
      },
      replace: async () => {
        throw new Error('boom');
      },
      destroy: async () => {},
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
      await memory.create('d-corrupt-session', { payload: 'nope', expiresAt: clock.now() + HOUR });
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
        create: async () => true,
        replace: async () => true,
        destroy: async () => {},
        updateExpiry: async () => false,
      };
      const store = new SessionStore({ backend, cleanupInterval: 0 });
      await expect(store.all()).rejects.toThrow('this backend does not implement the optional method list()');
      await expect(store.length()).rejects.toMatchObject({ code: 'ERR_BACKEND_CONTRACT' });
      await expect(store.clear()).rejects.toMatchObject({ code: 'ERR_BACKEND_CONTRACT' });
    });

    it('skip tombstones and expired records a backend lists anyway', async () => {
      const { clock } = setup();
      const records = [
        { id: 'live', payload: '{"n":1}', expiresAt: clock.now() + HOUR, revision: 1 },
        { id: 'tomb', tombstone: true, expiresAt: clock.now() + HOUR },
        { id: 'old', payload: '{"n":3}', expiresAt: clock.now() - 1, revision: 1 },
      ];
      const memory = new MemoryBackend();
      const backend = Object.assign(Object.create(memory) as MemoryBackend, {
        list: async function* () {
          yield* records as never[];
        },
        count: undefined,
      });
      const store = new SessionStore({ backend, now: clock.now, cleanupInterval: 0 });
      await expect(store.ids()).resolves.toEqual(['live']);
      await expect(store.all()).resolves.toEqual([{ id: 'live', session: { n: 1 }, expiresAt: clock.now() + HOUR }]);
      await expect(store.length()).resolves.toBe(1);
    });
  });

  describe('clear', () => {
    it("uses the backend's clear with now + tombstoneTtl", async () => {
      const { store, calls, memory, cookie } = setup({ tombstoneTtl: 5000 });
      await store.set('one-session', { cookie: cookie() });
      await store.clear();
      expect(calls.clear).toBe(1);
      expect(memory.peek('one-session')).toEqual({ tombstone: true, expiresAt: 1_800_000_000_000 + 5000 });
    });

    it('without a backend clear, destroys every listed session (a tombstone each)', async () => {
      const clock = createFakeClock(1_800_000_000_000);
      const memory = new MemoryBackend();
      const backend = Object.assign(Object.create(memory) as MemoryBackend, { clear: undefined });
      const store = new SessionStore({ backend, now: clock.now, cleanupInterval: 0 });
      const expires = new Date(clock.now() + HOUR);
      for (const id of ['a-session', 'b-session']) await store.set(id, { cookie: { expires } });
      await store.clear();
      expect(memory.peek('a-session')).toMatchObject({ tombstone: true });
      expect(memory.peek('b-session')).toMatchObject({ tombstone: true });
      await expect(store.set('a-session', { cookie: { expires } })).resolves.toEqual({ status: 'destroyed' });
      await expect(store.length()).resolves.toBe(0);
    });
  });
});
