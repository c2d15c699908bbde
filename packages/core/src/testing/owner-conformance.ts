/// <reference types="jest" />
import { type InitContext, isTombstone, type OwnedSession, type Payload, type SessionBackend, type SessionWrite } from '../contract';
import type { SessionLike } from '../expiry';
import { SessionStore } from '../store';
import { createFakeClock } from './clock';

/** What the owner section of the conformance suite needs from the main suite. */
export interface OwnerConformanceContext {
  /** A backend over fresh storage, initialized with `context`. */
  fresh: (context?: InitContext) => Promise<SessionBackend>;
  /** The suite's base time, epoch ms, on the real clock. */
  t0: number;
  newId: () => string;
  /** Trials for each race test. */
  trials: number;
  /** How long a write may take to show in `listByOwner` (DynamoDB: a GSI is eventually consistent), in ms. Default 0. */
  ownerIndexLagMs?: number;
}

/** Backends of this section are told that owners are in use (DynamoDB: autoCreate makes the owner index). */
const OWNERS: InitContext = { owners: true };

const pause = (ms: number): Promise<void> => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

async function owned(backend: SessionBackend, owner: string, now: number): Promise<OwnedSession[]> {
  const out: OwnedSession[] = [];
  for await (const s of (backend.listByOwner as NonNullable<SessionBackend['listByOwner']>).call(backend, owner, now)) out.push(s);
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Sessions by owner (optional: `listByOwner` with `destroyIfOwnedBy`), the
 * backend contract and the core store's `sessionsOf` / `destroySessionsOf`
 * on it. Skipped, test by test, for a backend without `listByOwner`.
 */
export function describeOwnerConformance(ctx: OwnerConformanceContext): void {
  const { t0, newId, trials } = ctx;
  const lag = (): Promise<void> => pause(ctx.ownerIndexLagMs ?? 0);
  const w = (payload: Payload, expiresAt: number, owner?: string): SessionWrite =>
    owner === undefined ? { payload, expiresAt } : { payload, expiresAt, owner };
  const ids = (list: OwnedSession[]): string[] => list.map((s) => s.id);
  const sorted = (list: string[]): string[] => [...list].sort();

  describe('sessions by owner (optional: listByOwner, destroyIfOwnedBy)', () => {
    let backend: SessionBackend;
    let supported = false;
    beforeAll(async () => {
      backend = await ctx.fresh(OWNERS);
      supported = typeof backend.listByOwner === 'function';
      if (supported && typeof backend.destroyIfOwnedBy !== 'function') {
        throw new Error('a backend with listByOwner must have destroyIfOwnedBy too');
      }
    });

    it('listByOwner yields the sessions whose last write carried the owner, with their expiry', async () => {
      if (!supported) return;
      const owner = `owner-${newId()}`;
      const [a, b, other, none, expired] = [newId(), newId(), newId(), newId(), newId()];
      await backend.create(a, w('a', t0 + 60_000, owner));
      await backend.create(b, w('b', t0 + 120_000, owner));
      await backend.create(other, w('o', t0 + 60_000, `${owner}-other`));
      await backend.create(none, w('n', t0 + 60_000));
      await backend.create(expired, w('e', t0 - 1000, owner));
      await lag();
      const live = await owned(backend, owner, t0);
      expect(ids(live)).toEqual(sorted([a, b]));
      const byId = new Map(live.map((s) => [s.id, s.expiresAt]));
      expect(byId.get(a)).toBeLessThanOrEqual(t0 + 60_000);
      expect(byId.get(a)).toBeGreaterThan(t0 + 59_000 - 1);
      // A cutoff of 0 takes expired sessions too (the core ends those as well).
      expect(ids(await owned(backend, owner, 0))).toEqual(sorted([a, b, expired]));
      expect(await owned(backend, `${owner}-nobody`, t0)).toEqual([]);
    });

    it('a save with another owner or none moves the session; a tombstone takes it out; a touch keeps it', async () => {
      if (!supported) return;
      const owner = `owner-${newId()}`;
      const [moved, dropped, destroyed, touched] = [newId(), newId(), newId(), newId()];
      for (const id of [moved, dropped, destroyed, touched]) await backend.create(id, w('x', t0 + 60_000, owner));
      await backend.replace(moved, w('x', t0 + 60_000, `${owner}-2`), 1);
      await backend.replace(dropped, w('x', t0 + 60_000), 1);
      await backend.destroy(destroyed, t0 + 86_400_000);
      await backend.updateExpiry(touched, t0 + 90_000, t0);
      await lag();
      expect(ids(await owned(backend, owner, t0))).toEqual([touched]);
      expect(ids(await owned(backend, `${owner}-2`, t0))).toEqual([moved]);
    });

    it('destroyIfOwnedBy ends a session of that owner only, with a tombstone that refuses every save', async () => {
      if (!supported) return;
      const destroyIfOwnedBy = backend.destroyIfOwnedBy as NonNullable<SessionBackend['destroyIfOwnedBy']>;
      const owner = `owner-${newId()}`;
      const [mine, theirs, nobodys, missing] = [newId(), newId(), newId(), newId()];
      await backend.create(mine, w('m', t0 + 60_000, owner));
      await backend.create(theirs, w('t', t0 + 60_000, `${owner}-other`));
      await backend.create(nobodys, w('n', t0 + 60_000));
      const tombstoneUntil = t0 + 86_400_000;
      await expect(destroyIfOwnedBy.call(backend, mine, owner, tombstoneUntil)).resolves.toBe(true);
      const got = await backend.get(mine);
      expect(got !== null && isTombstone(got)).toBe(true);
      await expect(backend.replace(mine, w('back', t0 + 60_000, owner), 1)).resolves.toBe(false);
      await expect(backend.create(mine, w('back', t0 + 60_000, owner))).resolves.toBe(false);
      await expect(destroyIfOwnedBy.call(backend, mine, owner, tombstoneUntil)).resolves.toBe(false);
      await expect(destroyIfOwnedBy.call(backend, theirs, owner, tombstoneUntil)).resolves.toBe(false);
      await expect(destroyIfOwnedBy.call(backend, nobodys, owner, tombstoneUntil)).resolves.toBe(false);
      await expect(destroyIfOwnedBy.call(backend, missing, owner, tombstoneUntil)).resolves.toBe(false);
      for (const id of [theirs, nobodys]) expect((await backend.get(id)) as { revision?: number }).toMatchObject({ revision: 1 });
      await expect(backend.get(missing)).resolves.toBeNull();
    });

    it(`destroyIfOwnedBy racing a replace never leaves the session alive with that owner (${trials} trials)`, async () => {
      if (!supported) return;
      const destroyIfOwnedBy = backend.destroyIfOwnedBy as NonNullable<SessionBackend['destroyIfOwnedBy']>;
      let alive = 0;
      for (let trial = 0; trial < trials; trial++) {
        const owner = `owner-${newId()}`;
        const id = newId();
        await backend.create(id, w('v1', t0 + 60_000, owner));
        const [ended] = await Promise.all([
          destroyIfOwnedBy.call(backend, id, owner, t0 + 86_400_000),
          backend.replace(id, w('v2', t0 + 120_000, owner), 1),
        ]);
        const after = await backend.get(id);
        // Either order: the tombstone wins (ended), or the replace came first and the destroy still ended it.
        if (!ended || after === null || !isTombstone(after)) alive++;
      }
      expect(alive).toBe(0);
    });

    describe('the core store: ownerOf, sessionsOf, destroySessionsOf', () => {
      const make = async (extra: Record<string, unknown> = {}) => {
        const clock = createFakeClock(t0);
        const store = new SessionStore<SessionLike & { userId?: string; n?: number }>({
          backend: await ctx.fresh(OWNERS),
          now: clock.now,
          cleanupInterval: 0,
          touchAfter: 0,
          ownerOf: (s) => s.userId,
          ...extra,
        });
        return { clock, store };
      };
      const cookie = (expiresAt: number) => ({ originalMaxAge: 3_600_000, expires: new Date(expiresAt).toISOString() });

      it('sessionsOf lists the live sessions of the owner, latest expiry first', async () => {
        if (!supported) return;
        const { store } = await make();
        const [early, late, bobs] = [newId(), newId(), newId()];
        await store.set(early, { cookie: cookie(t0 + 60_000), userId: 'ada' });
        await store.set(late, { cookie: cookie(t0 + 120_000), userId: 'ada' });
        await store.set(bobs, { cookie: cookie(t0 + 60_000), userId: 'bob' });
        await store.set(newId(), { cookie: cookie(t0 + 60_000) });
        await lag();
        expect((await store.sessionsOf('ada')).map((s) => s.id)).toEqual([late, early]);
        expect((await store.sessionsOf('bob')).map((s) => s.id)).toEqual([bobs]);
        await store.close();
      });

      it('destroySessionsOf ends all but except, as destroy does, and counts the live ones it ended', async () => {
        if (!supported) return;
        const { store, clock } = await make();
        const [current, other, stale, bobs] = [newId(), newId(), newId(), newId()];
        await store.set(other, { cookie: cookie(t0 + 60_000), userId: 'ada', n: 1 });
        const read = await store.getEntry(other); // what a request of `other` still in flight read
        await store.set(current, { cookie: cookie(t0 + 60_000), userId: 'ada' });
        await store.set(stale, { cookie: cookie(t0 + 5000), userId: 'ada' });
        await store.set(bobs, { cookie: cookie(t0 + 60_000), userId: 'bob' });
        clock.advance(10_000); // `stale` has expired, and is still stored
        await lag();
        await expect(store.destroySessionsOf('ada', { except: current })).resolves.toBe(1);
        await expect(store.get(current)).resolves.toMatchObject({ userId: 'ada' });
        await expect(store.get(bobs)).resolves.toMatchObject({ userId: 'bob' });
        await expect(store.get(other)).resolves.toBeNull();
        // A request of `other` that read it before: its save and its touch write nothing.
        await expect(store.set(other, { cookie: cookie(t0 + 90_000), userId: 'ada', n: 2 }, read ?? undefined)).resolves.toEqual({
          status: 'destroyed',
        });
        await expect(store.set(other, { cookie: cookie(t0 + 90_000), userId: 'ada', n: 3 })).resolves.toEqual({ status: 'destroyed' });
        await expect(store.touch(other, { cookie: cookie(t0 + 90_000) })).resolves.toBe('missing');
        // The expired one is ended too, so no request in flight can save it back.
        await expect(store.set(stale, { cookie: cookie(t0 + 90_000), userId: 'ada' })).resolves.toEqual({ status: 'destroyed' });
        await lag();
        expect((await store.sessionsOf('ada')).map((s) => s.id)).toEqual([current]);
        await expect(store.destroySessionsOf('ada')).resolves.toBe(1);
        await expect(store.destroySessionsOf('ada')).resolves.toBe(0);
        await store.close();
      });

      it('with hashIds the backend sees a keyed hash of the owner, never the owner', async () => {
        if (!supported) return;
        const backend = await ctx.fresh(OWNERS);
        const store = new SessionStore<SessionLike & { userId?: string }>({
          backend,
          now: () => t0,
          cleanupInterval: 0,
          ownerOf: (s) => s.userId,
          hashIds: { secret: 'conformance secret of 32 bytes!!' },
        });
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), userId: 'ada' });
        await lag();
        expect(await owned(backend, 'ada', t0)).toEqual([]);
        const listed = await store.sessionsOf('ada');
        expect(listed.map((s) => s.id)).toEqual([store.options.storageId(id)]);
        await expect(store.destroySessionsOf('ada', { except: id })).resolves.toBe(0);
        await expect(store.destroySessionsOf('ada')).resolves.toBe(1);
        await expect(store.get(id)).resolves.toBeNull();
        await store.close();
      });
    });
  });
}
