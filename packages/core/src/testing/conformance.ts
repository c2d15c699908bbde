/// <reference types="jest" />
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type InitContext,
  isTombstone,
  type Payload,
  type SessionBackend,
  type SessionWrite,
  type StoredRecord,
  type StoredSession,
  type Tombstone,
} from '../contract';
import type { SessionLike } from '../expiry';
import { type SessionRead, SessionStore } from '../store';
import type { SessionStoreOptions } from '../store-options';
import { createFakeClock } from './clock';
import { countingBackend } from './counting-backend';
import { describeOwnerConformance } from './owner-conformance';

export interface ConformanceOptions {
  /** Shown in the describe block. */
  name: string;
  /**
   * Returns a backend over fresh, empty storage (a new table, a new key
   * prefix...). Called once per group of tests that needs isolation.
   */
  createBackend: () => SessionBackend | Promise<SessionBackend>;
  /** Releases a backend made by `createBackend` (drop its table...). Default: `backend.close()`. */
  disposeBackend?: (backend: SessionBackend) => Promise<void>;
  /** Whether the backend stores `Uint8Array` payloads. Default true. */
  binaryPayloads?: boolean;
  /** How finely the backend keeps expiry times, in ms (DynamoDB: 1000, whole seconds). Default 1. */
  expiryResolutionMs?: number;
  /** Size of the large-payload round trip, in bytes. Default 300 000. */
  largePayloadBytes?: number;
  /**
   * Optional: reads what the storage holds for an id, bypassing the backend's
   * own logic (`undefined` when nothing). Lets the suite prove that a failed
   * touch left nothing behind.
   */
  readRaw?: (backend: SessionBackend, id: string) => Promise<unknown>;
  /** Trials for each race test. Default 20. */
  raceTrials?: number;
  /** How long a write may take to show in `listByOwner`, in ms (a DynamoDB global secondary index lags). Default 0. */
  ownerIndexLagMs?: number;
}

const text = (bytes: number): string => {
  // Printable, incompressible-ish, multi-byte-free so byte size is exact.
  return randomBytes(Math.ceil(bytes / 2))
    .toString('hex')
    .slice(0, bytes);
};

function samePayload(actual: Payload, expected: Payload): void {
  if (typeof expected === 'string') {
    expect(typeof actual).toBe('string');
    expect(actual).toBe(expected);
  } else {
    expect(actual).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(actual as Uint8Array).equals(Buffer.from(expected))).toBe(true);
  }
}

/**
 * The backend conformance suite. Call it at the top level of a jest test file:
 *
 * ```ts
 * import { describeBackendConformance } from '@connect-dynamodb-session/core/testing';
 * describeBackendConformance({ name: 'my backend', createBackend: () => new MyBackend() });
 * ```
 *
 * It drives the whole contract with an injected clock and random ids: the
 * required operations, the optional ones the backend has, payload round trips
 * (unicode, nested, hundreds of KB, binary), races, and the core store's rules
 * on top of the backend.
 */
export function describeBackendConformance(options: ConformanceOptions): void {
  const resolution = options.expiryResolutionMs ?? 1;
  const trials = options.raceTrials ?? 20;
  const dispose = options.disposeBackend ?? (async (b: SessionBackend) => b.close?.());
  const newId = (): string => `conformance-${randomUUID()}`;
  const created: SessionBackend[] = [];
  const fresh = async (context?: InitContext): Promise<SessionBackend> => {
    const backend = await options.createBackend();
    created.push(backend);
    await backend.init(context);
    return backend;
  };
  const expectExpiry = (actual: number, written: number): void => {
    expect(actual).toBeLessThanOrEqual(written);
    expect(actual).toBeGreaterThan(written - resolution);
  };

  describe(`backend conformance: ${options.name}`, () => {
    let backend: SessionBackend;
    // A base time on the real clock, so a backend with native expiry (DynamoDB TTL) never deletes test data early.
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 60_000;

    beforeAll(async () => {
      backend = await fresh();
    });

    afterAll(async () => {
      for (const b of created.splice(0)) await dispose(b);
    });

    const w = (payload: Payload, expiresAt: number): SessionWrite => ({ payload, expiresAt });
    const session = (got: StoredRecord | null): StoredSession => {
      expect(got).not.toBeNull();
      expect(isTombstone(got as StoredRecord)).toBe(false);
      return got as StoredSession;
    };
    const expectTombstone = (got: StoredRecord | null, expiresAt?: number): void => {
      expect(got).not.toBeNull();
      expect(isTombstone(got as StoredRecord)).toBe(true);
      expect((got as StoredSession).payload).toBeUndefined();
      if (expiresAt !== undefined) expectExpiry((got as Tombstone).expiresAt, expiresAt);
    };

    describe('required operations', () => {
      it('init can be called again', async () => {
        await backend.init();
      });

      it('get of an unknown id is null', async () => {
        await expect(backend.get(newId())).resolves.toBeNull();
      });

      it('create then get returns the payload, the expiry and revision 1', async () => {
        const id = newId();
        await expect(backend.create(id, w('{"a":1}', t0 + 5000))).resolves.toBe(true);
        const got = session(await backend.get(id));
        samePayload(got.payload, '{"a":1}');
        expectExpiry(got.expiresAt, t0 + 5000);
        expect(got.revision).toBe(1);
      });

      it('create over an existing session is refused and changes nothing', async () => {
        const id = newId();
        await backend.create(id, w('first', t0 + 5000));
        await expect(backend.create(id, w('second', t0 + 9000))).resolves.toBe(false);
        const got = session(await backend.get(id));
        samePayload(got.payload, 'first');
        expect(got.revision).toBe(1);
      });

      it('create over an expired session is refused', async () => {
        const id = newId();
        await backend.create(id, w('old', t0 - 5000));
        await expect(backend.create(id, w('new', t0 + 5000))).resolves.toBe(false);
        samePayload(session(await backend.get(id)).payload, 'old');
      });

      it('replace with the revision stored writes and raises the revision by one', async () => {
        const id = newId();
        await backend.create(id, w('first', t0 + 5000));
        await expect(backend.replace(id, w('second', t0 + 9000), 1)).resolves.toBe(true);
        let got = session(await backend.get(id));
        samePayload(got.payload, 'second');
        expectExpiry(got.expiresAt, t0 + 9000);
        expect(got.revision).toBe(2);
        await expect(backend.replace(id, w('third', t0 + 9000), 2)).resolves.toBe(true);
        got = session(await backend.get(id));
        samePayload(got.payload, 'third');
        expect(got.revision).toBe(3);
      });

      it('replace with a stale revision is refused and changes nothing', async () => {
        const id = newId();
        await backend.create(id, w('first', t0 + 5000));
        await backend.replace(id, w('second', t0 + 5000), 1);
        await expect(backend.replace(id, w('stale', t0 + 9000), 1)).resolves.toBe(false);
        await expect(backend.replace(id, w('ahead', t0 + 9000), 7)).resolves.toBe(false);
        const got = session(await backend.get(id));
        samePayload(got.payload, 'second');
        expect(got.revision).toBe(2);
        expectExpiry(got.expiresAt, t0 + 5000);
      });

      it('replace of a missing id is refused and creates nothing', async () => {
        const id = newId();
        await expect(backend.replace(id, w('x', t0 + 5000), 0)).resolves.toBe(false);
        await expect(backend.replace(id, w('x', t0 + 5000), 1)).resolves.toBe(false);
        await expect(backend.get(id)).resolves.toBeNull();
        if (options.readRaw) await expect(options.readRaw(backend, id)).resolves.toBeUndefined();
      });

      it('destroy leaves a tombstone; destroying a missing or destroyed id succeeds', async () => {
        const id = newId();
        await backend.create(id, w('x', t0 + 5000));
        await expect(backend.destroy(id, t0 + 86_400_000)).resolves.toBeUndefined();
        expectTombstone(await backend.get(id), t0 + 86_400_000);
        await expect(backend.destroy(id, t0 + 90_000_000)).resolves.toBeUndefined();
        expectTombstone(await backend.get(id), t0 + 90_000_000);
        const missing = newId();
        await backend.destroy(missing, t0 + 86_400_000);
        expectTombstone(await backend.get(missing), t0 + 86_400_000);
      });

      it('a tombstone refuses create and replace at every revision, live or expired', async () => {
        const id = newId();
        await backend.create(id, w('x', t0 + 5000));
        await backend.destroy(id, t0 + 86_400_000);
        await expect(backend.create(id, w('again', t0 + 5000))).resolves.toBe(false);
        for (const r of [0, 1, 2]) await expect(backend.replace(id, w('again', t0 + 5000), r)).resolves.toBe(false);
        expectTombstone(await backend.get(id), t0 + 86_400_000);
        const expired = newId();
        await backend.destroy(expired, t0 - 1000);
        await expect(backend.create(expired, w('again', t0 + 5000))).resolves.toBe(false);
        await expect(backend.replace(expired, w('again', t0 + 5000), 0)).resolves.toBe(false);
        expectTombstone(await backend.get(expired));
      });

      it('updateExpiry extends a live session and leaves its payload and revision alone', async () => {
        const id = newId();
        await backend.create(id, w('keep me', t0 + 5000));
        await backend.replace(id, w('keep me', t0 + 5000), 1);
        await expect(backend.updateExpiry(id, t0 + 50_000, t0)).resolves.toBe(true);
        const got = session(await backend.get(id));
        samePayload(got.payload, 'keep me');
        expectExpiry(got.expiresAt, t0 + 50_000);
        expect(got.revision).toBe(2);
        // The revision a request read still matches: a touch is no conflict.
        await expect(backend.replace(id, w('next', t0 + 50_000), 2)).resolves.toBe(true);
      });

      it('updateExpiry of a missing id is false and creates nothing', async () => {
        const id = newId();
        await expect(backend.updateExpiry(id, t0 + 50_000, t0)).resolves.toBe(false);
        await expect(backend.get(id)).resolves.toBeNull();
        if (options.readRaw) await expect(options.readRaw(backend, id)).resolves.toBeUndefined();
      });

      it('updateExpiry of a tombstone is false and leaves the tombstone as it was', async () => {
        const id = newId();
        await backend.create(id, w('x', t0 + 5000));
        await backend.destroy(id, t0 + 86_400_000);
        await expect(backend.updateExpiry(id, t0 + 50_000, t0)).resolves.toBe(false);
        expectTombstone(await backend.get(id), t0 + 86_400_000);
      });

      it('updateExpiry of an expired session is false and does not extend it', async () => {
        const id = newId();
        await backend.create(id, w('x', t0));
        // Expired at t0, asked at t0 + 1 s: not extended.
        await expect(backend.updateExpiry(id, t0 + 50_000, t0 + 1000)).resolves.toBe(false);
        const got = await backend.get(id);
        if (got) expectExpiry(got.expiresAt, t0);
      });

      it('concurrent creates of different ids are all kept', async () => {
        const ids = Array.from({ length: 25 }, newId);
        await Promise.all(ids.map((id, i) => backend.create(id, w(`p${i}`, t0 + 5000))));
        const got = await Promise.all(ids.map((id) => backend.get(id)));
        for (const [i, g] of got.entries()) samePayload(session(g).payload, `p${i}`);
      });
    });

    describe('payloads round-trip exactly', () => {
      const cases: Array<[string, () => Payload]> = [
        ['unicode', () => JSON.stringify({ s: 'héllo wörld — 日本語 🎉🧑‍💻 עברית \u0301e \u2028\u2029 \u0000 \\ "q"' })],
        [
          'nested JSON',
          () =>
            JSON.stringify({
              cookie: { originalMaxAge: 3600000, expires: '2030-01-01T00:00:00.000Z', httpOnly: true, path: '/' },
              user: { id: 42, roles: ['a', 'b'], prefs: { deep: { deeper: { deepest: [1, [2, [3, { x: null }]]] } } } },
            }),
        ],
        ['empty string', () => ''],
        ['large (hundreds of KB)', () => JSON.stringify({ blob: text((options.largePayloadBytes ?? 300_000) - 12) })],
      ];
      if (options.binaryPayloads !== false) {
        cases.push(['binary, every byte value', () => new Uint8Array(Array.from({ length: 1024 }, (_, i) => i % 256))]);
        cases.push(['binary, large', () => new Uint8Array(randomBytes(200_000))]);
      }
      it.each(cases)('%s (create, then replace)', async (_name, make) => {
        const id = newId();
        const payload = make();
        await backend.create(id, w(payload, t0 + 5000));
        samePayload(session(await backend.get(id)).payload, payload);
        await backend.replace(id, w(payload, t0 + 5000), 1);
        samePayload(session(await backend.get(id)).payload, payload);
      });

      it('ids with unicode and punctuation', async () => {
        const id = `${newId()}-ünï/cødé:🎉 .#`;
        await backend.create(id, w('u', t0 + 5000));
        samePayload(session(await backend.get(id)).payload, 'u');
      });
    });

    describe('races (each conditional write is atomic)', () => {
      it(`concurrent creates of one id: exactly one wins (${trials} trials)`, async () => {
        for (let i = 0; i < trials; i++) {
          const id = newId();
          const results = await Promise.all(['a', 'b', 'c'].map((p) => backend.create(id, w(p, t0 + 5000))));
          expect(results.filter(Boolean)).toHaveLength(1);
          samePayload(session(await backend.get(id)).payload, ['a', 'b', 'c'][results.indexOf(true)] as string);
        }
      });

      it(`concurrent replaces of one revision: exactly one wins (${trials} trials)`, async () => {
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await backend.create(id, w('base', t0 + 5000));
          const results = await Promise.all(['a', 'b', 'c'].map((p) => backend.replace(id, w(p, t0 + 5000), 1)));
          expect(results.filter(Boolean)).toHaveLength(1);
          const got = session(await backend.get(id));
          expect(got.revision).toBe(2);
          samePayload(got.payload, ['a', 'b', 'c'][results.indexOf(true)] as string);
        }
      });

      it(`replace or create racing destroy never brings the session back (${trials} trials)`, async () => {
        let revived = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await backend.create(id, w('x', t0 + 5000));
          await Promise.all([backend.destroy(id, t0 + 86_400_000), backend.replace(id, w('y', t0 + 5000), 1)]);
          const fresh = newId();
          await Promise.all([backend.destroy(fresh, t0 + 86_400_000), backend.create(fresh, w('y', t0 + 5000))]);
          for (const got of [await backend.get(id), await backend.get(fresh)]) if (!got || !isTombstone(got)) revived++;
        }
        expect(revived).toBe(0);
      });

      it(`updateExpiry racing destroy never revives (${trials} trials)`, async () => {
        let revived = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await backend.create(id, w('x', t0 + 5000));
          await Promise.all([backend.destroy(id, t0 + 86_400_000), backend.updateExpiry(id, t0 + 50_000, t0)]);
          const got = await backend.get(id);
          if (!got || !isTombstone(got)) revived++;
        }
        expect(revived).toBe(0);
      });
    });

    describe('deleteExpired (optional)', () => {
      let own: SessionBackend;
      beforeAll(async () => {
        own = await fresh();
      });

      it('removes expired sessions and expired tombstones only', async () => {
        if (!own.deleteExpired) return;
        const expired = Array.from({ length: 20 }, newId);
        const live = Array.from({ length: 20 }, newId);
        const deadTombstones = Array.from({ length: 10 }, newId);
        const liveTombstones = Array.from({ length: 10 }, newId);
        await Promise.all([
          ...expired.map((id) => own.create(id, w('old', t0 - 10_000))),
          ...live.map((id) => own.create(id, w('new', t0 + 60_000))),
          ...deadTombstones.map((id) => own.destroy(id, t0 - 10_000)),
          ...liveTombstones.map((id) => own.destroy(id, t0 + 60_000)),
        ]);
        const result = await own.deleteExpired(t0);
        expect(result.deleted).toBe(30);
        expect(result.scanned).toBeGreaterThanOrEqual(result.deleted);
        for (const id of [...expired, ...deadTombstones]) await expect(own.get(id)).resolves.toBeNull();
        for (const id of live) session(await own.get(id));
        for (const id of liveTombstones) expectTombstone(await own.get(id));
        // The tombstone window is over: the id may be used again.
        await expect(own.create(deadTombstones[0] as string, w('reused', t0 + 60_000))).resolves.toBe(true);
      });

      it('spares a record refreshed between being found and being deleted', async () => {
        if (!own.deleteExpired) return;
        const ids = Array.from({ length: 40 }, newId);
        await Promise.all(ids.map((id) => own.create(id, w('old', t0 - 10_000))));
        const refreshed = ids.filter((_, i) => i % 2 === 0);
        // Start the cleanup, then re-save half of the sessions while it runs.
        const cleanup = own.deleteExpired(t0);
        await Promise.all(refreshed.map((id) => own.replace(id, w('fresh', t0 + 60_000), 1)));
        await cleanup;
        for (const id of refreshed) {
          const got = await own.get(id);
          // Either the replace landed first (and the cleanup spared it), or the cleanup did (and the replace found nothing).
          if (got) samePayload(session(got).payload, 'fresh');
        }
      });
    });

    describe('list, count and clear (optional)', () => {
      let own: SessionBackend;
      const live = Array.from({ length: 12 }, newId);
      const destroyed = Array.from({ length: 4 }, newId);
      beforeAll(async () => {
        own = await fresh();
        await Promise.all([
          ...live.map((id) => own.create(id, w(`live ${id}`, t0 + 60_000))),
          ...Array.from({ length: 5 }, () => own.create(newId(), w('dead', t0 - 60_000))),
          ...destroyed.map((id) => own.destroy(id, t0 + 86_400_000)),
        ]);
      });

      it('list yields every live session, and no expired one and no tombstone', async () => {
        if (!own.list) return;
        const seen = new Map<string, StoredSession>();
        for await (const r of own.list(t0)) seen.set(r.id, r);
        expect([...seen.keys()].sort()).toEqual([...live].sort());
        for (const id of live) {
          const r = seen.get(id) as StoredSession;
          samePayload(r.payload, `live ${id}`);
          expect(r.revision).toBe(1);
        }
      });

      it('count counts live sessions, not tombstones', async () => {
        if (!own.count) return;
        await expect(own.count(t0)).resolves.toBe(live.length);
      });

      it('clear turns every session into a tombstone that refuses saves', async () => {
        if (!own.clear) return;
        await own.clear(t0 + 86_400_000);
        for (const id of live) {
          expectTombstone(await own.get(id), t0 + 86_400_000);
          await expect(own.create(id, w('back', t0 + 60_000))).resolves.toBe(false);
          await expect(own.replace(id, w('back', t0 + 60_000), 1)).resolves.toBe(false);
        }
        for (const id of destroyed) expectTombstone(await own.get(id));
        if (own.count) await expect(own.count(t0 - 120_000)).resolves.toBe(0);
        if (own.list) for await (const r of own.list(t0 - 120_000)) throw new Error(`list yielded ${r.id} after clear`);
      });
    });

    describeOwnerConformance({ fresh, t0, newId, trials, ownerIndexLagMs: options.ownerIndexLagMs });

    describe('the core store on this backend', () => {
      const make = async (extra: Partial<SessionStoreOptions> = {}) => {
        const clock = createFakeClock(t0);
        const counted = countingBackend(await fresh());
        const store = new SessionStore({ backend: counted.backend, now: clock.now, cleanupInterval: 0, ...extra });
        return { clock, store, calls: counted.calls, backend: counted.backend };
      };
      const cookie = (expiresAt: number) => ({ originalMaxAge: 3_600_000, expires: new Date(expiresAt).toISOString() });

      it('never returns a session at or after its expiry', async () => {
        const { clock, store } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 10_000), n: 1 });
        clock.advance(10_000 - resolution - 1);
        await expect(store.get(id)).resolves.toMatchObject({ n: 1 });
        clock.set(t0 + 10_000);
        await expect(store.get(id)).resolves.toBeNull();
      });

      it('falls back to ttl when the cookie has no expiry', async () => {
        const { clock, store } = await make({ ttl: 20_000 });
        const id = newId();
        await store.set(id, { cookie: { originalMaxAge: null, expires: null }, n: 2 });
        clock.advance(19_000 - resolution);
        await expect(store.get(id)).resolves.toMatchObject({ n: 2 });
        clock.advance(1000 + resolution);
        await expect(store.get(id)).resolves.toBeNull();
      });

      it('a set whose expiry is past destroys the session', async () => {
        const { store, backend } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 10_000), n: 1 });
        await expect(store.set(id, { cookie: cookie(t0 - 1), n: 2 })).resolves.toEqual({ status: 'destroyed' });
        expectTombstone(await backend.get(id));
        await expect(store.get(id)).resolves.toBeNull();
      });

      it('a touch of a missing, destroyed or expired session creates nothing', async () => {
        const { clock, store, backend } = await make({ touchAfter: 0 });
        const missing = newId();
        await expect(store.touch(missing, { cookie: cookie(t0 + 60_000) })).resolves.toBe('missing');
        await expect(backend.get(missing)).resolves.toBeNull();

        const destroyed = newId();
        await store.set(destroyed, { cookie: cookie(t0 + 60_000) });
        await store.destroy(destroyed);
        await expect(store.touch(destroyed, { cookie: cookie(t0 + 60_000) })).resolves.toBe('missing');
        expectTombstone(await backend.get(destroyed));

        const expired = newId();
        await store.set(expired, { cookie: cookie(t0 + 5_000), n: 3 });
        clock.advance(6_000);
        await expect(store.touch(expired, { cookie: cookie(clock.now() + 60_000) })).resolves.toBe('missing');
        await expect(store.get(expired)).resolves.toBeNull();
      });

      it('touchAfter holds writes to one per interval for an unchanged session', async () => {
        const { clock, store, calls } = await make({ touchAfter: 10_000 });
        const id = newId();
        const maxAge = 3_600_000;
        await store.set(id, { cookie: cookie(clock.now() + maxAge) });
        // 60 requests, one per second: each reads the session, then touches it with what it read.
        for (let i = 0; i < 60; i++) {
          clock.advance(1000);
          const entry = await store.getEntry(id);
          expect(entry).not.toBeNull();
          await store.touch(id, { cookie: cookie(clock.now() + maxAge) }, entry ?? undefined);
        }
        expect(calls.create).toBe(1);
        expect(calls.replace ?? 0).toBe(0);
        expect(calls.updateExpiry).toBe(6);
      });

      it('a touch never rewrites data, and leaves the revision alone', async () => {
        const { clock, store } = await make({ touchAfter: 0 });
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), v: 'new' });
        clock.advance(1000);
        await expect(store.touch(id, { cookie: cookie(t0 + 120_000), v: 'stale' })).resolves.toBe('updated');
        const entry = await store.getEntry(id);
        expect(entry?.session).toMatchObject({ v: 'new' });
        expect(entry?.revision).toBe(1);
        expectExpiry(entry?.expiresAt as number, t0 + 120_000);
      });

      it('each save raises the revision by one; the result is the next save’s read state', async () => {
        const { store } = await make();
        const id = newId();
        const first = await store.set(id, { cookie: cookie(t0 + 60_000), n: 1 });
        expect(first).toMatchObject({ status: 'created', revision: 1 });
        const second = await store.set(id, { cookie: cookie(t0 + 60_000), n: 2 }, first.status === 'destroyed' ? undefined : first);
        expect(second).toMatchObject({ status: 'replaced', revision: 2 });
        const entry = await store.getEntry(id);
        expect(entry).toMatchObject({ revision: 2, session: { n: 2 } });
        const third = await store.set(id, { cookie: cookie(t0 + 60_000), n: 3 }, entry ?? undefined);
        expect(third).toMatchObject({ status: 'replaced', revision: 3 });
      });

      it('a save without read state over an existing session replaces it whole', async () => {
        const { store } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), a: 1 });
        await expect(store.set(id, { cookie: cookie(t0 + 60_000), b: 2 })).resolves.toMatchObject({ status: 'replaced', revision: 2 });
        const got = await store.get(id);
        expect(got).toMatchObject({ b: 2 });
        expect(got).not.toHaveProperty('a');
      });

      it('a conflict merges changes to different keys, at any depth', async () => {
        const { store } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), cart: { apples: 1 }, user: 'ada', gone: true });
        const a = (await store.getEntry(id)) as SessionRead<SessionLike>;
        const b = (await store.getEntry(id)) as SessionRead<SessionLike>;
        await expect(
          store.set(id, { cookie: cookie(t0 + 60_000), cart: { apples: 1, pears: 2 }, user: 'ada', gone: true }, a),
        ).resolves.toMatchObject({ status: 'replaced', revision: 2 });
        await expect(
          store.set(id, { cookie: cookie(t0 + 60_000), cart: { apples: 5 }, user: 'ada', theme: 'dark' }, b),
        ).resolves.toMatchObject({ status: 'merged', revision: 3 });
        const got = await store.get(id);
        expect(got).toMatchObject({ cart: { apples: 5, pears: 2 }, user: 'ada', theme: 'dark' });
        expect(got).not.toHaveProperty('gone');
      });

      it('a conflict on the same key: the later save wins, without an error', async () => {
        const { store } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), step: 0 });
        const a = (await store.getEntry(id)) as SessionRead<SessionLike>;
        const b = (await store.getEntry(id)) as SessionRead<SessionLike>;
        await store.set(id, { cookie: cookie(t0 + 60_000), step: 1 }, a);
        await store.set(id, { cookie: cookie(t0 + 60_000), step: 2 }, b);
        await expect(store.get(id)).resolves.toMatchObject({ step: 2 });
      });

      it('10 concurrent saves of one session, each changing its own key: none is lost', async () => {
        const { store } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), keys: {} });
        const reads = await Promise.all(Array.from({ length: 10 }, () => store.getEntry(id)));
        await Promise.all(
          reads.map((read, i) =>
            store.set(id, { cookie: cookie(t0 + 60_000), keys: { [`k${i}`]: i }, [`top${i}`]: true }, read ?? undefined),
          ),
        );
        const got = (await store.get(id)) as SessionLike;
        for (let i = 0; i < 10; i++) {
          expect(got[`top${i}`]).toBe(true);
          expect((got.keys as Record<string, number>)[`k${i}`]).toBe(i);
        }
      });

      it('destroyed stays destroyed: a save with read state, a blind save, and a brand-new store all write nothing', async () => {
        const { store, backend } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), v: 'before' });
        const read = (await store.getEntry(id)) as SessionRead<SessionLike>;
        await store.destroy(id);
        await expect(store.set(id, { cookie: cookie(t0 + 60_000), v: 'in flight' }, read)).resolves.toEqual({ status: 'destroyed' });
        await expect(store.set(id, { cookie: cookie(t0 + 60_000), v: 'blind' })).resolves.toEqual({ status: 'destroyed' });
        // Another instance, or this one restarted: it remembers nothing, and still writes nothing.
        const other = new SessionStore({ backend, now: () => t0, cleanupInterval: 0 });
        await expect(other.set(id, { cookie: cookie(t0 + 60_000), v: 'elsewhere' })).resolves.toEqual({ status: 'destroyed' });
        await expect(other.set(id, { cookie: cookie(t0 + 60_000), v: 'elsewhere' }, read)).resolves.toEqual({ status: 'destroyed' });
        await expect(other.touch(id, { cookie: cookie(t0 + 120_000) })).resolves.toBe('missing');
        await expect(other.get(id)).resolves.toBeNull();
        await expect(store.get(id)).resolves.toBeNull();
        expectTombstone(await backend.get(id));
        await other.close();
      });

      it(`a save racing a logout never brings the session back (${trials} trials)`, async () => {
        const { store } = await make();
        let revived = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await store.set(id, { cookie: cookie(t0 + 60_000), v: 'before' });
          // The in-flight request read the session first, as an adapter does.
          const read = await store.getEntry(id);
          const blind = store.set(id, { cookie: cookie(t0 + 60_000), v: 'blind' });
          await Promise.all([store.destroy(id), store.set(id, { cookie: cookie(t0 + 60_000), v: 'in flight' }, read ?? undefined), blind]);
          if ((await store.get(id)) !== null) revived++;
        }
        expect(revived).toBe(0);
      });

      it(`destroy racing touch never revives (${trials} trials)`, async () => {
        const { store } = await make({ touchAfter: 0 });
        let revived = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await store.set(id, { cookie: cookie(t0 + 60_000) });
          await Promise.all([store.destroy(id), store.touch(id, { cookie: cookie(t0 + 120_000) })]);
          if ((await store.get(id)) !== null) revived++;
        }
        expect(revived).toBe(0);
      });

      it('all, ids and length skip tombstones', async () => {
        const { store, backend } = await make();
        if (!backend.list) return;
        const live = [newId(), newId()];
        const gone = [newId(), newId()];
        for (const id of [...live, ...gone]) await store.set(id, { cookie: cookie(t0 + 60_000), id });
        for (const id of gone) await store.destroy(id);
        const ids = await store.ids();
        for (const id of live) expect(ids).toContain(id);
        for (const id of gone) expect(ids).not.toContain(id);
        const all = await store.all();
        for (const id of gone) expect(all.map((e) => e.id)).not.toContain(id);
        await expect(store.length()).resolves.toBe(ids.length);
      });

      it('clear() leaves tombstones that refuse every later save', async () => {
        const { store, backend } = await make();
        if (!backend.clear && !backend.list) return;
        const ids = [newId(), newId(), newId()];
        for (const id of ids) await store.set(id, { cookie: cookie(t0 + 60_000), id });
        const reads = await Promise.all(ids.map((id) => store.getEntry(id)));
        await store.clear();
        for (const [i, id] of ids.entries()) {
          await expect(store.get(id)).resolves.toBeNull();
          await expect(store.set(id, { cookie: cookie(t0 + 60_000), back: true }, reads[i] ?? undefined)).resolves.toEqual({
            status: 'destroyed',
          });
          await expect(store.set(id, { cookie: cookie(t0 + 60_000), back: true })).resolves.toEqual({ status: 'destroyed' });
          expectTombstone(await backend.get(id));
        }
        await expect(store.length()).resolves.toBe(0);
      });

      it('cleanup removes tombstones once their window is over', async () => {
        const { store, backend } = await make({ tombstoneTtl: 1000 });
        if (!backend.deleteExpired) return;
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000) });
        await store.destroy(id);
        expectTombstone(await backend.get(id), t0 + 1000);
        await backend.deleteExpired(t0 + 500);
        expectTombstone(await backend.get(id));
        await backend.deleteExpired(t0 + 2000);
        await expect(backend.get(id)).resolves.toBeNull();
      });
    });
  });
}
