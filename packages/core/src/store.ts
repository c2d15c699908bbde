import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BackendInfo,
  type CleanupResult,
  type GetOptions,
  isTombstone,
  type OwnedSession,
  type Payload,
  type SessionBackend,
  type SessionWrite,
  type StoredRecord,
  type StoredSession,
} from './contract';
import {
  BackendContractError,
  BackendError,
  CorruptPayloadError,
  InvalidOptionError,
  InvalidSessionIdError,
  SerializationError,
  SessionConflictError,
  SessionStoreError,
  StoreClosedError,
} from './errors';
import { decideTouch, isExpired, MAX_EXPIRES_AT, resolveExpiry, type SessionLike } from './expiry';
import { mergeSessions } from './merge';
import { describeValue } from './options';
import {
  collectOwned,
  type DestroySessionsOfOptions,
  eachConcurrently,
  latestFirst,
  OWNER_DESTROY_CONCURRENCY,
  ownerArgument,
  ownerToStore,
} from './owners';
import { redactId } from './redact';
import { deserialize, serialize } from './serializer';
import { MAX_SESSION_ID_BYTES, type ResolvedStoreOptions, resolveStoreOptions, type SessionStoreOptions } from './store-options';

/** The revision of a stored session; a backend that gives none (a record written without one) means 0. */
const isRevision = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const revisionOf = (found: StoredSession): number => (isRevision(found.revision) ? found.revision : 0);

/**
 * The pause before retry `retry` (1, 2, ...) after a revision conflict: random in 5 to 50 ms, the range growing by
 * 1.25 each retry, so that many requests of one session contending at once spread out further each round. When the
 * refused attempt took `roundTripMs` over {@link CONFLICT_PAUSE_LATENCY_UNIT_MS}, the range stretches in proportion:
 * on a slow (loaded, throttled) backend a fixed 5 to 50 ms range is shorter than one read and write, and the
 * contenders' retries would keep colliding.
 */
export const conflictPause = (retry: number, random = Math.random(), roundTripMs = 0): number =>
  (CONFLICT_PAUSE_MS.min + random * (CONFLICT_PAUSE_MS.max - CONFLICT_PAUSE_MS.min)) *
  CONFLICT_PAUSE_GROWTH ** (retry - 1) *
  Math.max(1, roundTripMs / CONFLICT_PAUSE_LATENCY_UNIT_MS);

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Write attempts of one save (the first, then retries after conflicts) before {@link SessionConflictError}.
 * Measured: 20 concurrent saves of one session over two stores, each backend call taking 2 to 12 ms, lost 0 of
 * 200 with 10 attempts and growing pauses; 5 attempts with flat 5 to 50 ms pauses failed 15 to 61 of 200.
 */
export const MAX_SAVE_ATTEMPTS = 10;
/** Bounds of the random pause before the first retry after a revision conflict, in ms. */
export const CONFLICT_PAUSE_MS = { min: 5, max: 50 } as const;
/** How much the pause range grows with each further retry. */
export const CONFLICT_PAUSE_GROWTH = 1.25;
/** A refused attempt (read, merge, write) taking longer than this, in ms, stretches the pause range in proportion. */
export const CONFLICT_PAUSE_LATENCY_UNIT_MS = 20;

/** What {@link SessionStore.touch} did. */
export type TouchResult = 'updated' | 'skipped' | 'missing';

/**
 * What a request knows about the stored session it read (or last wrote):
 * what {@link SessionStore.set} and {@link SessionStore.touch} are conditioned on.
 */
export interface ReadState {
  /** The revision read (or written). */
  revision: number;
  /** The stored expiry read (or written), epoch ms. */
  expiresAt: number;
  /** The serialized session as read (or written): the base of a three-way merge. */
  snapshot: string;
}

/** A live session as {@link SessionStore.getEntry} returns it. */
export interface SessionRead<S> extends ReadState {
  session: S;
}

/**
 * What {@link SessionStore.set} did. After a write it carries the new
 * {@link ReadState}: pass it as `read` to the next save of the same request.
 * - `created`: a new session was written (nothing was stored under the id);
 * - `replaced`: the session was overwritten (it was at the revision read, or the save carried no read state);
 * - `merged`: the session had been changed meanwhile; the three-way merge of both changes was written;
 * - `destroyed`: nothing was written, because the session was destroyed (a tombstone) or vanished meanwhile,
 *   or because this save's own expiry was already past (the session was destroyed).
 */
export type SaveResult = ({ status: 'created' | 'replaced' | 'merged' } & ReadState) | { status: 'destroyed' };

/** One session as returned by {@link SessionStore.all}. */
export interface SessionEntry<S> {
  /** The id as stored in the backend (a keyed hash when hashed ids are on). */
  id: string;
  session: S;
  expiresAt: number;
}

/** The outcome of decoding a stored record. */
type Decoded<S> = { ok: true; text: string; session: S } | { ok: false };

/**
 * The framework-agnostic session store: expiry, touchAfter throttling,
 * serialization, the write protocol (revisions, tombstones, merges; see
 * docs/write-protocol.md) and cleanup over a {@link SessionBackend}.
 * Promise-based; adapters (Express, Koa) wrap it.
 *
 * Guarantees: `get` never returns a session whose expiry is at or before now;
 * after `destroy(id)` no save of `id` writes anything for `tombstoneTtl`,
 * whatever any process remembers; a save of a session that changed since it
 * was read merges both changes; `touch` never creates, revives or rewrites a
 * session; nothing here mutates a session it is given; backend failures reject
 * with a {@link BackendError}.
 */
export class SessionStore<S extends SessionLike = SessionLike> {
  readonly options: ResolvedStoreOptions<S>;
  private readonly backend: SessionBackend;
  private initPromise: Promise<BackendInfo> | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private cleanupRun: Promise<CleanupResult> | undefined;
  private closed = false;

  constructor(options: SessionStoreOptions<S>) {
    this.options = resolveStoreOptions(options);
    this.backend = this.options.backend;
    if (this.options.ownerOf !== undefined) {
      const missing = (['listByOwner', 'destroyIfOwnedBy'] as const).filter((m) => typeof this.backend[m] !== 'function');
      if (missing.length > 0) {
        throw new BackendContractError(
          missing,
          `option "ownerOf" needs a backend that finds sessions by owner; this backend does not implement ${missing.join(' and ')}`,
        );
      }
    }
    if (this.options.cleanupInterval > 0 && typeof this.backend.deleteExpired === 'function') this.scheduleCleanup();
    // Initialise at construction, in the background (1.x created its table at startup): a failure has
    // reached `err` through call(), and the next operation tries again.
    this.ready().catch(() => undefined);
  }

  /** Initializes the backend once (memoized); a failed init is retried by the next call. */
  ready(): Promise<BackendInfo> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (!this.initPromise) {
      const context = { owners: this.options.ownerOf !== undefined };
      const attempt = this.call('init', '', () => this.backend.init(context)).then((info) => info ?? {});
      this.initPromise = attempt;
      attempt.catch(() => {
        if (this.initPromise === attempt) this.initPromise = undefined;
      });
    }
    return this.initPromise;
  }

  /**
   * The live session stored under `id` with what a later save needs (its
   * revision, stored expiry and serialized form), or `null` when there is none,
   * it was destroyed, or it has expired.
   */
  async getEntry(id: string): Promise<SessionRead<S> | null> {
    const key = this.key(id);
    await this.ready();
    const now = this.options.now();
    const found = await this.read(id, key);
    if (!found || isTombstone(found) || isExpired(found.expiresAt, now)) return null;
    const decoded = await this.decode(id, key, found);
    if (!decoded.ok) return null;
    return { session: decoded.session, revision: revisionOf(found), expiresAt: found.expiresAt, snapshot: decoded.text };
  }

  /** The session stored under `id`, or `null` when there is none, it was destroyed, or it has expired. */
  async get(id: string): Promise<S | null> {
    return (await this.getEntry(id))?.session ?? null;
  }

  /**
   * Stores `session` under `id`, expiring at the cookie's expiry (or now +
   * ttl). A session whose expiry is already past is destroyed instead.
   *
   * With `read` (what {@link getEntry} or the previous save of this request
   * returned) the write is conditional on the revision read; if the session
   * changed meanwhile, it is re-read and both changes are merged (at most
   * {@link MAX_SAVE_ATTEMPTS} attempts, then {@link SessionConflictError}).
   * Without `read` the session is created, or, if one is stored under the id,
   * replaced whole. Either way, a session destroyed meanwhile (on any
   * instance) is never written again: the result is `{ status: 'destroyed' }`.
   */
  async set(id: string, session: S, read?: Partial<ReadState>): Promise<SaveResult> {
    const key = this.key(id);
    if (session === null || typeof session !== 'object' || Array.isArray(session)) {
      // get() would read any of these back as corrupt: refuse them before writing.
      const got = session === null ? 'null' : Array.isArray(session) ? 'an array' : typeof session;
      const error = new SerializationError(`session must be an object; got ${got}`);
      this.options.err(`Unable to save session sid:${redactId(id)}`, error);
      throw error;
    }
    const now = this.options.now();
    const expiresAt = this.expiryOf(id, session, now, 'save');
    if (isExpired(expiresAt, now)) {
      await this.destroy(id);
      return { status: 'destroyed' };
    }
    const mine = this.serialize(id, session);
    let text = mine;
    let owner = this.ownerOf(id, session);
    let payload = await this.encode(id, key, text);
    await this.ready();
    // A revision that no backend could have stored (NaN, -1, 1.5) is no read state: it could only ever conflict.
    const blind = !isRevision(read?.revision);
    let expected = blind ? undefined : read?.revision;
    let merged = false;
    let createRefusedOverNothing = 0;
    let attemptStarted = Date.now();
    for (let attempt = 1; ; attempt++) {
      const write: SessionWrite = owner === undefined ? { payload, expiresAt } : { payload, expiresAt, owner };
      const revisionRead = expected;
      const written =
        revisionRead === undefined
          ? await this.call('create', id, () => this.backend.create(key, write))
          : await this.call('replace', id, () => this.backend.replace(key, write, revisionRead));
      if (written) {
        const revision = expected === undefined ? 1 : expected + 1;
        return { status: expected === undefined ? 'created' : merged ? 'merged' : 'replaced', revision, expiresAt, snapshot: text };
      }
      if (attempt >= MAX_SAVE_ATTEMPTS) break;
      // A create refused by an existing record is no contention; a refused replace is: spread the retries out.
      // The pause keeps the process alive (a ref'd timer): a save someone awaits must finish, not vanish at exit.
      if (expected !== undefined) await sleep(conflictPause(attempt, Math.random(), Date.now() - attemptStarted));
      attemptStarted = Date.now();
      const current = await this.read(id, key, { latest: true });
      if (current === null) {
        // Nothing stored. A session this request read has vanished (destroyed, then its tombstone removed; or expired
        // and cleaned up): not written again. A save without read state meets a record removed since: create again.
        if (!blind) return this.skipDestroyedSave(id, 'it no longer exists');
        // Once is a record removed between two calls (a tombstone expiring). Twice running, the backend refuses to
        // create over something its get cannot read: a backend fault, not contention, and retrying cannot help.
        if (revisionRead === undefined && createRefusedOverNothing++ > 0) {
          const cause = new Error('create was refused twice, yet get reads nothing stored under the id (an item the backend cannot read?)');
          const error = new BackendError('create', cause);
          this.options.err(`Unable to create session sid:${redactId(id)}`, error);
          throw error;
        }
        expected = undefined;
        continue;
      }
      if (isTombstone(current)) return this.skipDestroyedSave(id, 'it was destroyed meanwhile (logout wins)');
      const revision = revisionOf(current);
      if (!blind) {
        if (typeof read?.snapshot !== 'string') {
          return this.conflict(id, attempt, 'it was changed since it was read, and the save carries no snapshot to merge against');
        }
        const theirs = await this.decode(id, key, current);
        // Always this save against the latest stored state: merging an earlier merge again would let the other
        // request's older values win over its newer ones. Theirs unreadable: nothing to merge, this save replaces it.
        const next = theirs.ok ? this.mergeText(id, read.snapshot, mine, theirs.text) : mine;
        if (next === undefined) {
          return this.conflict(id, attempt, 'it was changed since it was read, and the snapshot it carries cannot be parsed');
        }
        merged = theirs.ok;
        if (next !== text) {
          text = next;
          // The owner of what is written: a merge may take the other request's login or logout.
          owner = this.ownerOf(id, deserialize(this.options.serializer, text) as S);
          payload = await this.encode(id, key, text);
        }
      }
      // Without read state the save replaces what is stored whole (last writer wins): there is no base to merge against.
      expected = revision;
    }
    return this.conflict(id, MAX_SAVE_ATTEMPTS, `it kept changing during ${MAX_SAVE_ATTEMPTS} attempts`);
  }

  /**
   * Extends the expiry of a session that still exists and has not expired, at
   * most once per touchAfter, measured against `read.expiresAt` (the stored
   * expiry this request read); without it the touch writes. Never creates,
   * revives or rewrites a session, and leaves its revision alone; a touch that
   * finds nothing (or a tombstone) resolves `'missing'`.
   */
  async touch(id: string, session: S, read?: Partial<Pick<ReadState, 'expiresAt'>>): Promise<TouchResult> {
    return this.touchMaybeSync(id, session, read);
  }

  /**
   * {@link touch}, answering without a promise when no I/O is needed: a touch
   * the throttle skips (`'skipped'`) or one of a session this request read as
   * expired (`'missing'`). Otherwise the promise of the write. Throws (instead
   * of rejecting) what it finds wrong before any I/O: a bad id, a closed store.
   *
   * For adapters whose framework takes a synchronous answer: express-session
   * ends the response in one write when the touch calls back at once, and
   * splits it around the callback otherwise.
   */
  touchMaybeSync(id: string, session: S, read?: Partial<Pick<ReadState, 'expiresAt'>>): TouchResult | Promise<TouchResult> {
    const key = this.key(id);
    const now = this.options.now();
    const newExpiresAt = this.expiryOf(id, session ?? ({} as S), now, 'touch');
    const decision = decideTouch({
      now,
      newExpiresAt,
      storedExpiresAt: typeof read?.expiresAt === 'number' ? read.expiresAt : undefined,
      touchAfter: this.options.touchAfter,
    });
    if (decision === 'skip-fresh') return 'skipped';
    if (decision === 'skip-expired') return 'missing';
    return this.writeExpiry(id, key, newExpiresAt, now);
  }

  private async writeExpiry(id: string, key: string, newExpiresAt: number, now: number): Promise<TouchResult> {
    await this.ready();
    const updated = await this.call('updateExpiry', id, () => this.backend.updateExpiry(key, newExpiresAt, now));
    return updated ? 'updated' : 'missing';
  }

  /**
   * Ends the session: leaves a tombstone that refuses every save of `id`, by
   * any request on any instance, for `tombstoneTtl`. Destroying a missing or
   * destroyed session succeeds.
   */
  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    await this.ready();
    const tombstoneExpiresAt = this.options.now() + this.options.tombstoneTtl;
    await this.call('destroy', id, () => this.backend.destroy(key, tombstoneExpiresAt));
  }

  /**
   * The live sessions of `owner` (as the `ownerOf` option returns it), the
   * latest expiry first: `{ id, expiresAt }`, `id` as stored (a keyed hash
   * with `hashIds`). No Scan: the backend finds them by owner (DynamoDB: a
   * global secondary index, eventually consistent, so a session saved in the
   * last moment may be missing).
   */
  async sessionsOf(owner: string): Promise<OwnedSession[]> {
    const { listByOwner, stored } = this.ownerLookup(owner);
    await this.ready();
    const now = this.options.now();
    const found = await this.call('listByOwner', '', () => collectOwned(listByOwner.call(this.backend, stored, now)));
    return found.filter((s) => !isExpired(s.expiresAt, now)).sort(latestFirst);
  }

  /**
   * Ends every session of `owner` except `options.except` (a session id, as
   * the cookie carries it), each as {@link destroy} does: a tombstone, so a
   * request of it still in flight, on any instance, cannot save it back. A
   * session is ended only if its stored owner is still `owner` when it is
   * written (one that switched user meanwhile is kept). Sessions of the owner
   * that have expired but are still stored are ended too, and not counted.
   * Resolves how many live sessions were ended.
   */
  async destroySessionsOf(owner: string, options?: DestroySessionsOfOptions): Promise<number> {
    const { listByOwner, destroyIfOwnedBy, stored } = this.ownerLookup(owner);
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new InvalidOptionError(
        'except',
        `destroySessionsOf's second argument must be an object { except }; got ${describeValue(options)}`,
      );
    }
    const keep = options?.except === undefined ? undefined : this.key(options.except);
    await this.ready();
    const now = this.options.now();
    const tombstoneExpiresAt = now + this.options.tombstoneTtl;
    return this.call('destroyIfOwnedBy', '', async () => {
      // Cutoff 0: expired sessions too. One that expired a moment ago may still have a request in flight that
      // read it live, and whose save would otherwise bring it back.
      const found = (await collectOwned(listByOwner.call(this.backend, stored, 0))).filter((s) => s.id !== keep);
      let ended = 0;
      await eachConcurrently(found, OWNER_DESTROY_CONCURRENCY, async (s) => {
        const done = await destroyIfOwnedBy.call(this.backend, s.id, stored, tombstoneExpiresAt);
        if (done && !isExpired(s.expiresAt, now)) ended++;
      });
      this.options.log(`destroySessionsOf ended ${ended} live session(s) of ${found.length} found`);
      return ended;
    });
  }

  /** Every live session. Reads the whole backend (for DynamoDB, a Scan): not for hot paths. */
  async all(): Promise<SessionEntry<S>[]> {
    const list = this.optional('list');
    await this.ready();
    const now = this.options.now();
    const entries: SessionEntry<S>[] = [];
    await this.call('list', '', async () => {
      for await (const record of list.call(this.backend, now)) {
        if (isTombstone(record as StoredRecord) || isExpired(record.expiresAt, now)) continue;
        try {
          const text = await this.options.codec.decode(record.payload, record.id);
          entries.push({ id: record.id, session: deserialize(this.options.serializer, text), expiresAt: record.expiresAt });
        } catch (error) {
          this.options.err(`Skipping unreadable session sid:${redactId(record.id)} in all()`, error);
        }
      }
    });
    return entries;
  }

  /** The ids of every live session (keyed hashes when hashed ids are on). */
  async ids(): Promise<string[]> {
    const list = this.optional('list');
    await this.ready();
    const now = this.options.now();
    const ids: string[] = [];
    await this.call('list', '', async () => {
      for await (const record of list.call(this.backend, now)) {
        if (!isTombstone(record as StoredRecord) && !isExpired(record.expiresAt, now)) ids.push(record.id);
      }
    });
    return ids;
  }

  /** How many live sessions there are. Uses the backend's `count`, else counts `list`. */
  async length(): Promise<number> {
    const count = this.backend.count;
    if (typeof count === 'function') {
      await this.ready();
      const now = this.options.now();
      return this.call('count', '', () => count.call(this.backend, now));
    }
    return (await this.ids()).length;
  }

  /**
   * Ends every session as {@link destroy} would: each becomes a tombstone, so
   * a request still in flight cannot save one back. Uses the backend's
   * `clear`, else destroys every id `list` yields.
   */
  async clear(): Promise<void> {
    const clear = this.backend.clear;
    const list = typeof clear === 'function' ? undefined : this.optional('list');
    await this.ready();
    const now = this.options.now();
    const tombstoneExpiresAt = now + this.options.tombstoneTtl;
    if (typeof clear === 'function') {
      await this.call('clear', '', () => clear.call(this.backend, tombstoneExpiresAt));
      return;
    }
    await this.call('clear', '', async () => {
      const ids: string[] = [];
      for await (const record of (list as NonNullable<SessionBackend['list']>).call(this.backend, now)) ids.push(record.id);
      for (const key of ids) await this.backend.destroy(key, tombstoneExpiresAt);
    });
  }

  /**
   * Deletes expired sessions now (what the cleanup timer runs). Concurrent
   * calls share one run. Resolves zeros when the backend expires records
   * itself or cannot delete expired ones.
   */
  cleanup(): Promise<CleanupResult> {
    if (!this.cleanupRun) {
      const run = this.runCleanup();
      this.cleanupRun = run;
      const release = (): void => {
        this.cleanupRun = undefined;
      };
      run.then(release, release);
    }
    return this.cleanupRun;
  }

  /** Stops the cleanup timer and closes the backend (a backend never closes what it was given). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.cleanupTimer) clearTimeout(this.cleanupTimer);
    this.cleanupTimer = undefined;
    await this.cleanupRun?.catch(() => undefined);
    if (typeof this.backend.close === 'function') await this.call('close', '', () => this.backend.close?.() ?? Promise.resolve());
  }

  private async runCleanup(): Promise<CleanupResult> {
    const deleteExpired = this.backend.deleteExpired;
    const info = await this.ready();
    if (info.expiresItemsNatively || typeof deleteExpired !== 'function') return { scanned: 0, deleted: 0 };
    const result = await this.call('deleteExpired', '', () => deleteExpired.call(this.backend, this.options.now()));
    this.options.log(`cleanup removed ${result.deleted} expired session(s), scanned ${result.scanned}`);
    return result;
  }

  private scheduleCleanup(): void {
    // A chain of timeouts, not an interval: a slow run can never overlap the next.
    const timer = setTimeout(() => {
      this.cleanupTimer = undefined;
      this.cleanup()
        .catch((error: unknown) => this.options.err('Unable to clean up expired sessions', error))
        .then(() => this.ready().catch(() => ({}) as BackendInfo))
        .then((info) => {
          if (this.closed) return;
          if (info.expiresItemsNatively) {
            this.options.log('backend expires sessions natively (e.g. DynamoDB TTL): periodic cleanup scans are off');
            return;
          }
          this.scheduleCleanup();
        })
        // The hooks are guarded, so nothing above rejects; should it ever, it must not become an unhandled rejection.
        .catch(() => undefined);
    }, this.options.cleanupInterval);
    timer.unref();
    this.cleanupTimer = timer;
  }

  /** What a save of `session` stores as its owner (hashed with hashIds); a bad one is reported and thrown. */
  private ownerOf(id: string, session: S): string | undefined {
    const ownerOf = this.options.ownerOf;
    if (ownerOf === undefined) return undefined;
    try {
      return ownerToStore(ownerOf, session, this.options.storageOwner);
    } catch (error) {
      this.options.err(`Unable to save session sid:${redactId(id)}`, error);
      throw error;
    }
  }

  /** The backend methods and the stored form of `owner` for sessionsOf / destroySessionsOf; throws when they cannot work. */
  private ownerLookup(owner: string): {
    listByOwner: NonNullable<SessionBackend['listByOwner']>;
    destroyIfOwnedBy: NonNullable<SessionBackend['destroyIfOwnedBy']>;
    stored: string;
  } {
    if (this.closed) throw new StoreClosedError();
    if (this.options.ownerOf === undefined) {
      throw new InvalidOptionError(
        'ownerOf',
        'sessionsOf() and destroySessionsOf() need the option "ownerOf" (e.g. (session) => session.userId): without it no save records an owner',
      );
    }
    const stored = this.options.storageOwner(ownerArgument(owner));
    // The constructor checked that both exist.
    return {
      listByOwner: this.backend.listByOwner as NonNullable<SessionBackend['listByOwner']>,
      destroyIfOwnedBy: this.backend.destroyIfOwnedBy as NonNullable<SessionBackend['destroyIfOwnedBy']>,
      stored,
    };
  }

  /**
   * When `session` expires if written at `now`: a bad `ttl` function result is
   * reported and rejects (nothing is written); a cookie expiry beyond what the
   * store keeps is clamped, and logged.
   */
  private expiryOf(id: string, session: S, now: number, operation: 'save' | 'touch'): number {
    let resolved: ReturnType<typeof resolveExpiry>;
    try {
      resolved = resolveExpiry(session, now, this.options.ttl);
    } catch (error) {
      this.options.err(`Unable to ${operation} session sid:${redactId(id)}`, error);
      throw error;
    }
    if (resolved.clampedFrom !== undefined) {
      this.options.log(
        `session sid:${redactId(id)} expires ${new Date(resolved.clampedFrom).toISOString()}, later than the latest expiry stored (${new Date(MAX_EXPIRES_AT).toISOString()}): stored as that`,
      );
    }
    return resolved.expiresAt;
  }

  private skipDestroyedSave(id: string, why: string): SaveResult {
    this.options.log(`not saving session sid:${redactId(id)}: ${why}`);
    return { status: 'destroyed' };
  }

  private conflict(id: string, attempts: number, why: string): never {
    const error = new SessionConflictError(`session was not saved: ${why}`, attempts);
    this.options.err(`Unable to save session sid:${redactId(id)}`, error);
    throw error;
  }

  /** The stored record (the contract's `get`); `latest` after a failed conditional write. */
  private read(id: string, key: string, options?: GetOptions): Promise<StoredRecord | null> {
    return this.call('get', id, () => (options ? this.backend.get(key, options) : this.backend.get(key)));
  }

  /** Decodes and parses a stored session; an unreadable one is reported, then read as absent (or thrown, with onCorruptPayload 'throw'). */
  private async decode(id: string, key: string, found: StoredSession): Promise<Decoded<S>> {
    try {
      const text = await this.options.codec.decode(found.payload, key);
      return { ok: true, text, session: deserialize(this.options.serializer, text) };
    } catch (error) {
      const corrupt =
        error instanceof CorruptPayloadError ? error : new CorruptPayloadError('stored session could not be decoded', { cause: error });
      this.options.err(`Unable to read session sid:${redactId(id)}: ${corrupt.message}`, corrupt);
      if (this.options.onCorruptPayload === 'throw') throw corrupt;
      return { ok: false };
    }
  }

  private serialize(id: string, session: S): string {
    try {
      return serialize(this.options.serializer, session);
    } catch (error) {
      this.options.err(`Unable to save session sid:${redactId(id)}`, error);
      throw error;
    }
  }

  private async encode(id: string, key: string, text: string): Promise<Payload> {
    try {
      return await this.options.codec.encode(text, key);
    } catch (error) {
      this.options.err(`Unable to save session sid:${redactId(id)}`, error);
      throw error;
    }
  }

  /**
   * The serialized three-way merge of base (the snapshot this request read),
   * mine (what it saves) and theirs (what is stored now). All three go through
   * the serializer's parse, so that they are compared as the same kind of tree
   * (a Cookie instance in `mine` is a plain object in the others).
   */
  private mergeText(id: string, baseText: string, mineText: string, theirsText: string): string | undefined {
    const parse = (t: string): unknown => deserialize(this.options.serializer, t);
    let base: unknown;
    try {
      base = parse(baseText);
    } catch {
      // A snapshot the caller passed that is not a serialized session: no base to merge against.
      return undefined;
    }
    const merged = mergeSessions(base, parse(mineText) as S, parse(theirsText));
    return this.serialize(id, merged);
  }

  private key(id: string): string {
    if (this.closed) throw new StoreClosedError();
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidSessionIdError(
        `session id must be a non-empty string; got ${typeof id === 'string' ? 'an empty string' : typeof id}`,
      );
    }
    // UTF-8 has no encoding for a lone surrogate: it would be stored as U+FFFD, the same key as other ids.
    if (LONE_SURROGATE.test(id)) {
      throw new InvalidSessionIdError('session id must be well-formed Unicode; it contains a lone surrogate (U+D800 to U+DFFF)');
    }
    const bytes = Buffer.byteLength(id, 'utf8');
    if (bytes > MAX_SESSION_ID_BYTES) {
      throw new InvalidSessionIdError(`session id is ${bytes} bytes long, over the limit of ${MAX_SESSION_ID_BYTES} bytes`);
    }
    return this.options.storageId(id);
  }

  private optional<K extends 'list' | 'clear'>(method: K): NonNullable<SessionBackend[K]> {
    const fn = this.backend[method];
    if (typeof fn !== 'function') {
      throw new BackendContractError([method], `this backend does not implement the optional method ${method}()`);
    }
    return fn as NonNullable<SessionBackend[K]>;
  }

  /** Runs one backend operation: reports failures to the err hook and wraps them (once) in a BackendError. */
  private async call<T>(operation: string, id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const wrapped = error instanceof SessionStoreError ? error : new BackendError(operation, error);
      this.options.err(`Unable to ${operation}${id ? ` session sid:${redactId(id)}` : ''}`, wrapped);
      throw wrapped;
    }
  }
}
