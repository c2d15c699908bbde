import { createHmac } from 'node:crypto';
import {
  InvalidOwnerError,
  MAX_OWNER_BYTES,
  ownerArgument,
  ownerToStore,
  resolveHashIds,
  resolveOwnerHash,
} from '@connect-dynamodb-session/core';
import { collectOwned, eachConcurrently, latestFirst } from '../src/owners';

const same = (owner: string) => owner;

describe('ownerToStore', () => {
  it("stores ownerOf's string, mapped; undefined and null are no owner", () => {
    expect(ownerToStore((s: { userId?: string }) => s.userId, { userId: 'ada' }, same)).toBe('ada');
    expect(
      ownerToStore(
        (s: { userId?: string }) => s.userId,
        { userId: 'ada' },
        (o) => `h(${o})`,
      ),
    ).toBe('h(ada)');
    expect(ownerToStore((s: { userId?: string }) => s.userId, {}, same)).toBeUndefined();
    expect(ownerToStore(() => null as unknown as undefined, {}, same)).toBeUndefined();
  });

  it.each([
    [42, /returned 42 \(number\).*String\(s\.userId\)/],
    ['', /returned an empty string/],
    [{ id: 1 }, /returned an object \(object\)/],
    ['x'.repeat(MAX_OWNER_BYTES + 1), /1025 bytes, over the limit of 1024/],
  ])('refuses %p with InvalidOwnerError', (value, message) => {
    expect(() => ownerToStore(() => value as string, {}, same)).toThrow(InvalidOwnerError);
    expect(() => ownerToStore(() => value as string, {}, same)).toThrow(message);
  });

  it('refuses an async ownerOf, and leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(() => ownerToStore((async () => 'ada') as unknown as () => string, {}, same)).toThrow(
        /returned a promise; it must return the owner synchronously/,
      );
      expect(() => ownerToStore(() => Promise.reject(new Error('late')) as unknown as string, {}, same)).toThrow(InvalidOwnerError);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('accepts an owner of exactly the limit, in UTF-8 bytes', () => {
    const owner = 'é'.repeat(MAX_OWNER_BYTES / 2);
    expect(ownerToStore(() => owner, {}, same)).toBe(owner);
    expect(() => ownerToStore(() => `${owner}x`, {}, same)).toThrow(/1025 bytes/);
  });

  it('wraps what ownerOf throws, as cause', () => {
    const boom = new Error('boom');
    let error: unknown;
    try {
      ownerToStore(
        () => {
          throw boom;
        },
        {},
        same,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOwnerError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OWNER', cause: boom });
  });
});

describe('ownerArgument', () => {
  it('takes a non-empty string and refuses anything else', () => {
    expect(ownerArgument('ada')).toBe('ada');
    for (const bad of [undefined, null, '', 7, {}]) expect(() => ownerArgument(bad)).toThrow(InvalidOwnerError);
  });
});

describe('resolveOwnerHash', () => {
  it('is off without hashIds', () => {
    expect(resolveOwnerHash(undefined)).toBeUndefined();
  });

  it('is HMAC-SHA-256 under a key derived from the secret, in the ids encoding, and differs from the id hash', () => {
    const hash = resolveOwnerHash({ secret: 'Jefe', encoding: 'hex' });
    const ownerKey = createHmac('sha256', 'Jefe').update('connect-dynamodb-session owner v1').digest();
    expect(hash?.('ada')).toBe(createHmac('sha256', ownerKey).update('ada').digest('hex'));
    expect(hash?.('ada')).not.toBe(resolveHashIds({ secret: 'Jefe', encoding: 'hex' })?.('ada'));
    expect(resolveOwnerHash({ secret: 'Jefe' })?.('ada')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(resolveOwnerHash({ secret: 'other' })?.('ada')).not.toBe(resolveOwnerHash({ secret: 'Jefe' })?.('ada'));
  });

  it('validates hashIds as resolveHashIds does', () => {
    expect(() => resolveOwnerHash({ secret: '' })).toThrow(/hashIds.secret/);
  });
});

describe('collectOwned, latestFirst, eachConcurrently', () => {
  it('keeps the first of each id, sorts the latest expiry first, then by id', async () => {
    async function* listing() {
      yield { id: 'b', expiresAt: 1 };
      yield { id: 'a', expiresAt: 2 };
      yield { id: 'b', expiresAt: 3 };
      yield { id: 'c', expiresAt: 2 };
    }
    const got = await collectOwned(listing());
    expect(got).toEqual([
      { id: 'b', expiresAt: 1 },
      { id: 'a', expiresAt: 2 },
      { id: 'c', expiresAt: 2 },
    ]);
    expect([...got].sort(latestFirst).map((s) => s.id)).toEqual(['a', 'c', 'b']);
  });

  it('runs at most limit tasks at once, all of them, and throws the first failure after the others settle', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await eachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      done.push(n);
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const settled: number[] = [];
    await expect(
      eachConcurrently([1, 2, 3], 3, async (n) => {
        await new Promise((resolve) => setImmediate(resolve));
        settled.push(n);
        if (n === 1) throw new Error('first');
      }),
    ).rejects.toThrow('first');
    expect(settled.sort()).toEqual([1, 2, 3]);
    await expect(eachConcurrently([], 3, async () => {})).resolves.toBeUndefined();
  });
});
