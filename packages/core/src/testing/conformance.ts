/// <reference types="jest" />
import { randomBytes, randomUUID } from 'node:crypto';
import type { Payload, SessionBackend, StoredSession } from '../contract';
import { SessionStore } from '../store';
import type { SessionStoreOptions } from '../store-options';
import { createFakeClock } from './clock';
import { countingBackend } from './counting-backend';

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
  const fresh = async (): Promise<SessionBackend> => {
    const backend = await options.createBackend();
    created.push(backend);
    await backend.init();
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

    describe('required operations', () => {
      it('init can be called again', async () => {
        await backend.init();
      });

      it('get of an unknown id is null', async () => {
        await expect(backend.get(newId())).resolves.toBeNull();
      });

      it('put then get returns the payload and expiry', async () => {
        const id = newId();
        await backend.put(id, { payload: '{"a":1}', expiresAt: t0 + 5000 });
        const got = await backend.get(id);
        expect(got).not.toBeNull();
        samePayload((got as StoredSession).payload, '{"a":1}');
        expectExpiry((got as StoredSession).expiresAt, t0 + 5000);
      });

      it('put replaces the record', async () => {
        const id = newId();
        await backend.put(id, { payload: 'first', expiresAt: t0 + 5000 });
        await backend.put(id, { payload: 'second', expiresAt: t0 + 9000 });
        const got = (await backend.get(id)) as StoredSession;
        samePayload(got.payload, 'second');
        expectExpiry(got.expiresAt, t0 + 9000);
      });

      it('delete removes the record, and deleting a missing id succeeds', async () => {
        const id = newId();
        await backend.put(id, { payload: 'x', expiresAt: t0 + 5000 });
        await backend.delete(id);
        await expect(backend.get(id)).resolves.toBeNull();
        await expect(backend.delete(id)).resolves.toBeUndefined();
      });

      it('updateExpiry extends a live record and leaves its payload alone', async () => {
        const id = newId();
        await backend.put(id, { payload: 'keep me', expiresAt: t0 + 5000 });
        await expect(backend.updateExpiry(id, t0 + 50_000, t0)).resolves.toBe(true);
        const got = (await backend.get(id)) as StoredSession;
        samePayload(got.payload, 'keep me');
        expectExpiry(got.expiresAt, t0 + 50_000);
      });

      it('updateExpiry of a missing id is false and creates nothing', async () => {
        const id = newId();
        await expect(backend.updateExpiry(id, t0 + 50_000, t0)).resolves.toBe(false);
        await expect(backend.get(id)).resolves.toBeNull();
        if (options.readRaw) await expect(options.readRaw(backend, id)).resolves.toBeUndefined();
      });

      it('updateExpiry of a destroyed id is false and does not revive it', async () => {
        const id = newId();
        await backend.put(id, { payload: 'x', expiresAt: t0 + 5000 });
        await backend.delete(id);
        await expect(backend.updateExpiry(id, t0 + 50_000, t0)).resolves.toBe(false);
        await expect(backend.get(id)).resolves.toBeNull();
        if (options.readRaw) await expect(options.readRaw(backend, id)).resolves.toBeUndefined();
      });

      it('updateExpiry of an expired record is false and does not extend it', async () => {
        const id = newId();
        await backend.put(id, { payload: 'x', expiresAt: t0 });
        // Expired at t0, asked at t0 + 1 s: not extended.
        await expect(backend.updateExpiry(id, t0 + 50_000, t0 + 1000)).resolves.toBe(false);
        const got = await backend.get(id);
        if (got) expectExpiry(got.expiresAt, t0);
      });

      it('concurrent puts of different ids are all kept', async () => {
        const ids = Array.from({ length: 25 }, newId);
        await Promise.all(ids.map((id, i) => backend.put(id, { payload: `p${i}`, expiresAt: t0 + 5000 })));
        const got = await Promise.all(ids.map((id) => backend.get(id)));
        for (const [i, g] of got.entries()) samePayload((g as StoredSession).payload, `p${i}`);
      });
    });

    describe('putIfExists (optional)', () => {
      it('replaces an existing record', async () => {
        if (!backend.putIfExists) return;
        const id = newId();
        await backend.put(id, { payload: 'old', expiresAt: t0 + 5000 });
        await expect(backend.putIfExists(id, { payload: 'new', expiresAt: t0 + 9000 })).resolves.toBe(true);
        const got = (await backend.get(id)) as StoredSession;
        samePayload(got.payload, 'new');
        expectExpiry(got.expiresAt, t0 + 9000);
      });

      it('writes nothing for a missing or destroyed id', async () => {
        if (!backend.putIfExists) return;
        const missing = newId();
        await expect(backend.putIfExists(missing, { payload: 'x', expiresAt: t0 + 5000 })).resolves.toBe(false);
        await expect(backend.get(missing)).resolves.toBeNull();
        const destroyed = newId();
        await backend.put(destroyed, { payload: 'x', expiresAt: t0 + 5000 });
        await backend.delete(destroyed);
        await expect(backend.putIfExists(destroyed, { payload: 'y', expiresAt: t0 + 5000 })).resolves.toBe(false);
        await expect(backend.get(destroyed)).resolves.toBeNull();
        if (options.readRaw) await expect(options.readRaw(backend, destroyed)).resolves.toBeUndefined();
      });

      it(`racing delete never recreates (${trials} trials)`, async () => {
        if (!backend.putIfExists) return;
        let recreated = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await backend.put(id, { payload: 'x', expiresAt: t0 + 5000 });
          await Promise.all([backend.delete(id), backend.putIfExists(id, { payload: 'y', expiresAt: t0 + 5000 })]);
          if ((await backend.get(id)) !== null) recreated++;
        }
        expect(recreated).toBe(0);
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
      it.each(cases)('%s', async (_name, make) => {
        const id = newId();
        const payload = make();
        await backend.put(id, { payload, expiresAt: t0 + 5000 });
        samePayload(((await backend.get(id)) as StoredSession).payload, payload);
      });

      it('ids with unicode and punctuation', async () => {
        const id = `${newId()}-ünï/cødé:🎉 .#`;
        await backend.put(id, { payload: 'u', expiresAt: t0 + 5000 });
        samePayload(((await backend.get(id)) as StoredSession).payload, 'u');
      });
    });

    describe('races', () => {
      it(`updateExpiry racing delete never revives (${trials} trials)`, async () => {
        let revived = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await backend.put(id, { payload: 'x', expiresAt: t0 + 5000 });
          await Promise.all([backend.delete(id), backend.updateExpiry(id, t0 + 50_000, t0)]);
          if ((await backend.get(id)) !== null) revived++;
        }
        expect(revived).toBe(0);
      });
    });

    describe('deleteExpired (optional)', () => {
      let own: SessionBackend;
      beforeAll(async () => {
        own = await fresh();
      });

      it('removes expired records only', async () => {
        if (!own.deleteExpired) return;
        const expired = Array.from({ length: 30 }, newId);
        const live = Array.from({ length: 30 }, newId);
        await Promise.all([
          ...expired.map((id) => own.put(id, { payload: 'old', expiresAt: t0 - 10_000 })),
          ...live.map((id) => own.put(id, { payload: 'new', expiresAt: t0 + 60_000 })),
        ]);
        const result = await own.deleteExpired(t0);
        expect(result.deleted).toBe(30);
        expect(result.scanned).toBeGreaterThanOrEqual(result.deleted);
        for (const id of expired) await expect(own.get(id)).resolves.toBeNull();
        for (const id of live) await expect(own.get(id)).resolves.not.toBeNull();
      });

      it('spares a record refreshed between being found and being deleted', async () => {
        if (!own.deleteExpired) return;
        const ids = Array.from({ length: 40 }, newId);
        await Promise.all(ids.map((id) => own.put(id, { payload: 'old', expiresAt: t0 - 10_000 })));
        const refreshed = ids.filter((_, i) => i % 2 === 0);
        // Start the cleanup, then re-save half of the sessions while it runs.
        const cleanup = own.deleteExpired(t0);
        await Promise.all(refreshed.map((id) => own.put(id, { payload: 'fresh', expiresAt: t0 + 60_000 })));
        await cleanup;
        for (const id of refreshed) samePayload(((await own.get(id)) as StoredSession).payload, 'fresh');
      });
    });

    describe('list, count and clear (optional)', () => {
      let own: SessionBackend;
      const live = Array.from({ length: 12 }, newId);
      beforeAll(async () => {
        own = await fresh();
        await Promise.all([
          ...live.map((id) => own.put(id, { payload: `live ${id}`, expiresAt: t0 + 60_000 })),
          ...Array.from({ length: 5 }, () => own.put(newId(), { payload: 'dead', expiresAt: t0 - 60_000 })),
        ]);
      });

      it('list yields every live record, and no expired one', async () => {
        if (!own.list) return;
        const seen = new Map<string, StoredSession>();
        for await (const r of own.list(t0)) seen.set(r.id, r);
        expect([...seen.keys()].sort()).toEqual([...live].sort());
        for (const id of live) samePayload((seen.get(id) as StoredSession).payload, `live ${id}`);
      });

      it('count counts live records', async () => {
        if (!own.count) return;
        await expect(own.count(t0)).resolves.toBe(live.length);
      });

      it('clear deletes everything', async () => {
        if (!own.clear) return;
        await own.clear();
        for (const id of live) await expect(own.get(id)).resolves.toBeNull();
        if (own.count) await expect(own.count(t0 - 120_000)).resolves.toBe(0);
      });
    });

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

      it('a set whose expiry is past deletes the session', async () => {
        const { store, backend } = await make();
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 10_000), n: 1 });
        await store.set(id, { cookie: cookie(t0 - 1), n: 2 });
        await expect(backend.get(id)).resolves.toBeNull();
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
        await expect(backend.get(destroyed)).resolves.toBeNull();

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
        // 60 requests, one per second: get + touch each, as express-session does.
        for (let i = 0; i < 60; i++) {
          clock.advance(1000);
          const session = await store.get(id);
          expect(session).not.toBeNull();
          await store.touch(id, { cookie: cookie(clock.now() + maxAge) });
        }
        expect(calls.put).toBe(1);
        expect(calls.updateExpiry).toBe(6);
      });

      it('a touch never rewrites data', async () => {
        const { clock, store } = await make({ touchAfter: 0 });
        const id = newId();
        await store.set(id, { cookie: cookie(t0 + 60_000), v: 'new' });
        clock.advance(1000);
        await store.touch(id, { cookie: cookie(t0 + 120_000), v: 'stale' });
        await expect(store.get(id)).resolves.toMatchObject({ v: 'new' });
      });

      it(`a save racing a logout never brings the session back (${trials} trials)`, async () => {
        const { store } = await make();
        let revived = 0;
        for (let i = 0; i < trials; i++) {
          const id = newId();
          await store.set(id, { cookie: cookie(t0 + 60_000), v: 'before' });
          // The in-flight request read the session first, as express-session does.
          await store.get(id);
          await Promise.all([store.destroy(id), store.set(id, { cookie: cookie(t0 + 60_000), v: 'in flight' })]);
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
    });
  });
}
