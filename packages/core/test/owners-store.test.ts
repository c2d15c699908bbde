// The core store's ownerOf, sessionsOf and destroySessionsOf on the memory
// backend: what is written, when, and what a caller gets for bad input.
import {
  BackendContractError,
  InvalidOptionError,
  InvalidOwnerError,
  MemoryBackend,
  type SessionBackend,
  type SessionLike,
  SessionStore,
} from '@connect-dynamodb-session/core';
import { countingBackend, createFakeClock } from '@connect-dynamodb-session/core/testing';

type S = SessionLike & { userId?: unknown; n?: number; other?: string };
const T = 1_800_000_000_000;
const cookie = (expiresAt: number) => ({ originalMaxAge: 3_600_000, expires: new Date(expiresAt).toISOString() });

function make(extra: Record<string, unknown> = {}) {
  const clock = createFakeClock(T);
  const memory = new MemoryBackend();
  const counted = countingBackend(memory);
  const errs: Array<[string, unknown]> = [];
  const store = new SessionStore<S>({
    backend: counted.backend,
    now: clock.now,
    cleanupInterval: 0,
    touchAfter: 0,
    ownerOf: (s) => s.userId as string | undefined,
    err: (m, e) => errs.push([m, e]),
    ...extra,
  });
  return { store, memory, clock, calls: counted.calls, errs };
}

describe('ownerOf on save', () => {
  it('writes the owner beside the session, never into the payload, on every save; a touch leaves it', async () => {
    const { store, memory } = make();
    const read = await store.set('s1', { cookie: cookie(T + 60_000), userId: 'ada' });
    expect(memory.peek('s1')?.owner).toBe('ada');
    expect(JSON.parse(String(memory.peek('s1')?.payload))).toEqual({ cookie: cookie(T + 60_000), userId: 'ada' });
    await store.touch('s1', { cookie: cookie(T + 90_000), userId: 'someone else' });
    expect(memory.peek('s1')?.owner).toBe('ada');
    // Switching user, then logging out (no owner), are both saves.
    const switched = await store.set('s1', { cookie: cookie(T + 60_000), userId: 'bob' }, read.status === 'destroyed' ? undefined : read);
    expect(memory.peek('s1')?.owner).toBe('bob');
    await store.set('s1', { cookie: cookie(T + 60_000) }, switched.status === 'destroyed' ? undefined : switched);
    expect(memory.peek('s1')?.owner).toBeUndefined();
  });

  it('takes the owner of the merged session after a conflict', async () => {
    const { store, memory } = make();
    const first = await store.set('s1', { cookie: cookie(T + 60_000), n: 0 });
    if (first.status === 'destroyed') throw new Error('not saved');
    const a = await store.getEntry('s1');
    const b = await store.getEntry('s1');
    if (!a || !b) throw new Error('not read');
    // Request a logs in; request b, which read the anonymous session, changes something else and saves later.
    await store.set('s1', { ...a.session, userId: 'ada' }, a);
    await store.set('s1', { ...b.session, other: 'x' }, b);
    expect(JSON.parse(String(memory.peek('s1')?.payload))).toMatchObject({ userId: 'ada', other: 'x' });
    expect(memory.peek('s1')?.owner).toBe('ada');
  });

  it('refuses a bad owner with InvalidOwnerError, writes nothing, and reports it to err', async () => {
    const { store, memory, errs } = make();
    await expect(store.set('s1', { cookie: cookie(T + 60_000), userId: 42 })).rejects.toThrow(InvalidOwnerError);
    await expect(store.set('s1', { cookie: cookie(T + 60_000), userId: '' })).rejects.toThrow(/empty string/);
    expect(memory.peek('s1')).toBeUndefined();
    expect(errs.length).toBeGreaterThanOrEqual(2);
    expect(errs[0]?.[1]).toBeInstanceOf(InvalidOwnerError);
  });

  it('a throwing ownerOf rejects the save once, with the error as cause', async () => {
    const boom = new Error('boom');
    const { store, memory } = make({
      ownerOf: () => {
        throw boom;
      },
    });
    await expect(store.set('s1', { cookie: cookie(T + 60_000) })).rejects.toMatchObject({ code: 'ERR_INVALID_OWNER', cause: boom });
    expect(memory.peek('s1')).toBeUndefined();
  });

  it('with hashIds stores a keyed hash of the owner, and finds the sessions by the owner', async () => {
    const { store, memory } = make({ hashIds: { secret: 'a test secret of 32 bytes long!!' } });
    await store.set('s1', { cookie: cookie(T + 60_000), userId: 'ada' });
    const key = store.options.storageId('s1');
    expect(memory.peek(key)?.owner).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(memory.peek(key)?.owner).not.toBe('ada');
    expect(await store.sessionsOf('ada')).toEqual([{ id: key, expiresAt: T + 60_000 }]);
  });

  it('tells the backend at init that owners are in use', async () => {
    const seen: unknown[] = [];
    const memory = new MemoryBackend();
    const backend = Object.assign(Object.create(memory) as MemoryBackend, {
      init: (context?: unknown) => {
        seen.push(context);
        return memory.init();
      },
    });
    await new SessionStore<S>({ backend, ownerOf: (s) => s.userId as string, cleanupInterval: 0 }).ready();
    await new SessionStore<S>({ backend, cleanupInterval: 0 }).ready();
    expect(seen).toEqual([{ owners: true }, { owners: false }]);
  });
});

describe('sessionsOf and destroySessionsOf', () => {
  it('lists live sessions latest expiry first, and ends all but except, counting the live ones', async () => {
    const { store, clock } = make();
    await store.set('a1', { cookie: cookie(T + 60_000), userId: 'ada' });
    await store.set('a2', { cookie: cookie(T + 120_000), userId: 'ada' });
    await store.set('a3', { cookie: cookie(T + 5_000), userId: 'ada' });
    await store.set('b1', { cookie: cookie(T + 60_000), userId: 'bob' });
    clock.advance(10_000);
    expect(await store.sessionsOf('ada')).toEqual([
      { id: 'a2', expiresAt: T + 120_000 },
      { id: 'a1', expiresAt: T + 60_000 },
    ]);
    await expect(store.destroySessionsOf('ada', { except: 'a1' })).resolves.toBe(1);
    await expect(store.get('a1')).resolves.toMatchObject({ userId: 'ada' });
    await expect(store.get('b1')).resolves.toMatchObject({ userId: 'bob' });
    // a3 (expired) is a tombstone now too: a request still holding it cannot save it back.
    await expect(store.set('a3', { cookie: cookie(T + 60_000), userId: 'ada' })).resolves.toEqual({ status: 'destroyed' });
    await expect(store.set('a2', { cookie: cookie(T + 60_000), userId: 'ada' })).resolves.toEqual({ status: 'destroyed' });
    expect(await store.sessionsOf('ada')).toEqual([{ id: 'a1', expiresAt: T + 60_000 }]);
  });

  it('keeps a session that changed owner between the listing and the write', async () => {
    const { store, memory } = make();
    await store.set('s1', { cookie: cookie(T + 60_000), userId: 'ada' });
    // A listing that is stale by the time of the write (DynamoDB: the index lags).
    const original = memory.listByOwner.bind(memory);
    memory.listByOwner = async function* (owner: string, now: number) {
      const listed = [];
      for await (const s of original(owner, now)) listed.push(s);
      await store.set('s1', { cookie: cookie(T + 60_000), userId: 'bob' });
      yield* listed;
    };
    await expect(store.destroySessionsOf('ada')).resolves.toBe(0);
    await expect(store.get('s1')).resolves.toMatchObject({ userId: 'bob' });
  });

  it('refuses a bad owner or except', async () => {
    const { store } = make();
    await expect(store.sessionsOf('')).rejects.toThrow(InvalidOwnerError);
    await expect(store.sessionsOf(undefined as unknown as string)).rejects.toThrow(InvalidOwnerError);
    await expect(store.destroySessionsOf(7 as unknown as string)).rejects.toThrow(InvalidOwnerError);
    await expect(store.destroySessionsOf('ada', { except: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_SESSION_ID' });
    await expect(store.destroySessionsOf('ada', 'sid' as never)).rejects.toThrow(InvalidOptionError);
  });

  it('without ownerOf: InvalidOptionError naming it', async () => {
    const store = new SessionStore<S>({ backend: new MemoryBackend(), cleanupInterval: 0 });
    await expect(store.sessionsOf('ada')).rejects.toMatchObject({ option: 'ownerOf' });
    await expect(store.destroySessionsOf('ada')).rejects.toMatchObject({ option: 'ownerOf' });
  });

  it('on a backend without listByOwner and destroyIfOwnedBy: BackendContractError at construction', () => {
    const memory = new MemoryBackend();
    const bare: SessionBackend = {
      init: () => memory.init(),
      get: (id) => memory.get(id),
      create: (id, w) => memory.create(id, w),
      replace: (id, w, r) => memory.replace(id, w, r),
      destroy: (id, t) => memory.destroy(id, t),
      updateExpiry: (id, e, n) => memory.updateExpiry(id, e, n),
    };
    let error: unknown;
    try {
      new SessionStore<S>({ backend: bare, ownerOf: (s) => s.userId as string });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BackendContractError);
    expect(error).toMatchObject({ missing: ['listByOwner', 'destroyIfOwnedBy'] });
    expect((error as Error).message).toMatch(/ownerOf/);
    // Without ownerOf the same backend is fine.
    expect(() => new SessionStore<S>({ backend: bare, cleanupInterval: 0 })).not.toThrow();
  });

  it('ownerOf must be a function', () => {
    expect(() => new SessionStore<S>({ backend: new MemoryBackend(), ownerOf: 'userId' as never })).toThrow(InvalidOptionError);
  });
});
