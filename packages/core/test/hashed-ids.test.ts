import { InvalidOptionError, MemoryBackend, resolveHashIds, SessionStore } from '@connect-dynamodb-session/core';
import { createFakeClock } from '@connect-dynamodb-session/core/testing';

const HOUR = 3_600_000;

describe('resolveHashIds', () => {
  it('computes HMAC-SHA-256 (RFC 4231 test case 2)', () => {
    const hex = resolveHashIds({ secret: 'Jefe', encoding: 'hex' });
    expect(hex?.('what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    const base64url = resolveHashIds({ secret: Buffer.from('Jefe') });
    expect(base64url?.('what do ya want for nothing?')).toBe(
      Buffer.from('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'hex').toString('base64url'),
    );
  });

  it('is off when not set', () => {
    expect(resolveHashIds(undefined)).toBeUndefined();
  });

  it.each([
    ['secret', 'hashIds', /must be an object \{ secret, encoding \}; got a string of 6 characters \(not shown: it may be the secret\)/],
    [{}, 'hashIds.secret', /non-empty string or Buffer.*; got undefined/],
    [{ secret: '' }, 'hashIds.secret', /got an empty one/],
    [{ secret: Buffer.alloc(0) }, 'hashIds.secret', /got an empty one/],
    [{ secret: 42 }, 'hashIds.secret', /got 42/],
    [{ secret: 's', encoding: 'base64' }, 'hashIds.encoding', /one of "base64url", "hex"; got "base64"/],
  ])('rejects %p naming the option', (value, option, message) => {
    let error: unknown;
    try {
      resolveHashIds(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toMatch(message);
  });
});

describe('SessionStore with hashIds', () => {
  const secret = 'a-long-random-secret-from-the-environment';
  const sid = 'Qm9vLXRoaXMtaXMtYS1zZXNzaW9uLWlk';
  const hash = resolveHashIds({ secret }) as (id: string) => string;

  function setup() {
    const clock = createFakeClock(1_800_000_000_000);
    const memory = new MemoryBackend();
    const store = new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0, hashIds: { secret } });
    const cookie = { originalMaxAge: HOUR, expires: new Date(clock.now() + HOUR) };
    return { memory, store, cookie, clock };
  }

  it('stores the session under the hash, never under the id', async () => {
    const { memory, store, cookie } = setup();
    await store.set(sid, { cookie, user: 'ada' });
    expect(memory.peek(sid)).toBeUndefined();
    expect(memory.peek(hash(sid))?.payload).toMatch(/"user":"ada"/);
    expect(hash(sid)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const read = await store.getEntry(sid);
    expect(read?.session).toMatchObject({ user: 'ada' });
    await expect(store.touch(sid, { cookie }, read ?? undefined)).resolves.toBe('skipped');
    await store.destroy(sid);
    expect(memory.peek(sid)).toBeUndefined();
    expect(memory.peek(hash(sid))).toMatchObject({ tombstone: true });
  });

  it('all() and ids() return the hashes, which do not work as session ids', async () => {
    const { store, cookie } = setup();
    await store.set(sid, { cookie, user: 'ada' });
    await expect(store.ids()).resolves.toEqual([hash(sid)]);
    await expect(store.all()).resolves.toEqual([
      { id: hash(sid), session: expect.objectContaining({ user: 'ada' }), expiresAt: cookie.expires.getTime() },
    ]);
    // A listed id, used as a session id, is hashed again: it finds nothing and destroys nothing.
    await expect(store.get(hash(sid))).resolves.toBeNull();
    await store.destroy(hash(sid));
    await expect(store.get(sid)).resolves.toMatchObject({ user: 'ada' });
  });

  it('does not find sessions stored under the plain id before hashing was turned on; plain JSON under the hash reads', async () => {
    const { memory, store, clock } = setup();
    await memory.create(sid, { payload: '{"cookie":{},"user":"ada"}', expiresAt: clock.now() + HOUR });
    await expect(store.get(sid)).resolves.toBeNull();
    await memory.create(hash(sid), { payload: '{"cookie":{},"user":"ada"}', expiresAt: clock.now() + HOUR });
    await expect(store.get(sid)).resolves.toMatchObject({ user: 'ada' });
  });

  it('cannot be combined with a storageId function', () => {
    expect(() => new SessionStore({ backend: new MemoryBackend(), hashIds: { secret }, storageId: (id) => id })).toThrow(
      /options "hashIds" and "storageId" cannot both be given/,
    );
  });
});
