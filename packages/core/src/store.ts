import type { BackendInfo, CleanupResult, SessionBackend } from './contract';
import {
  BackendContractError,
  BackendError,
  CorruptPayloadError,
  InvalidSessionIdError,
  SerializationError,
  SessionStoreError,
  StoreClosedError,
} from './errors';
import { decideTouch, isExpired, resolveExpiresAt, type SessionLike } from './expiry';
import { DESTROYED, ExpiryMemo } from './expiry-memo';
import { redactId } from './redact';
import { deserialize, serialize } from './serializer';
import { MAX_SESSION_ID_BYTES, type ResolvedStoreOptions, resolveStoreOptions, type SessionStoreOptions } from './store-options';

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What {@link SessionStore.touch} did. */
export type TouchResult = 'updated' | 'skipped' | 'missing';

/** One session as returned by {@link SessionStore.all}. */
export interface SessionEntry<S> {
  /** The id as stored in the backend (a keyed hash when hashed ids are on). */
  id: string;
  session: S;
  expiresAt: number;
}

/**
 * The framework-agnostic session store: expiry, touchAfter throttling,
 * serialization and cleanup over a {@link SessionBackend}. Promise-based;
 * adapters (Express, Koa) wrap it.
 *
 * Guarantees: `get` never returns a session whose expiry is at or before now;
 * `touch` never creates, revives or rewrites a session; nothing here mutates
 * a session it is given; backend failures reject with a {@link BackendError}.
 */
export class SessionStore<S extends SessionLike = SessionLike> {
  readonly options: ResolvedStoreOptions<S>;
  private readonly backend: SessionBackend;
  private readonly memo: ExpiryMemo;
  private initPromise: Promise<BackendInfo> | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private cleanupRun: Promise<CleanupResult> | undefined;
  private closed = false;

  constructor(options: SessionStoreOptions<S>) {
    this.options = resolveStoreOptions(options);
    this.backend = this.options.backend;
    this.memo = new ExpiryMemo(this.options.touchMemoSize);
    if (this.options.cleanupInterval > 0 && typeof this.backend.deleteExpired === 'function') this.scheduleCleanup();
    // Initialise at construction, in the background (1.x created its table at startup): a failure has
    // reached `err` through call(), and the next operation tries again.
    this.ready().catch(() => undefined);
  }

  /** Initializes the backend once (memoized); a failed init is retried by the next call. */
  ready(): Promise<BackendInfo> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (!this.initPromise) {
      const attempt = this.call('init', '', () => this.backend.init()).then((info) => info ?? {});
      this.initPromise = attempt;
      attempt.catch(() => {
        if (this.initPromise === attempt) this.initPromise = undefined;
      });
    }
    return this.initPromise;
  }

  /** The session stored under `id`, or `null` when there is none or it has expired. */
  async get(id: string): Promise<S | null> {
    const key = this.key(id);
    await this.ready();
    const now = this.options.now();
    const found = await this.call('get', id, () => this.backend.get(key));
    if (!found || isExpired(found.expiresAt, now)) {
      this.memo.delete(key);
      return null;
    }
    let session: S;
    try {
      const text = await this.options.codec.decode(found.payload, key);
      session = deserialize(this.options.serializer, text);
    } catch (error) {
      const corrupt =
        error instanceof CorruptPayloadError ? error : new CorruptPayloadError('stored session could not be decoded', { cause: error });
      this.options.err(`Unable to read session sid:${redactId(id)}: ${corrupt.message}`, corrupt);
      if (this.options.onCorruptPayload === 'throw') throw corrupt;
      this.memo.delete(key);
      return null;
    }
    this.memo.set(key, found.expiresAt);
    return session;
  }

  /**
   * Stores `session` under `id`, expiring at the cookie's expiry (or now +
   * ttl). A session whose expiry is already past is deleted instead.
   *
   * A session this store has read or written before is saved only if it still
   * exists (with a backend that has `putIfExists`), and a session this process
   * destroyed is not saved again: a request still in flight when the user logs
   * out cannot bring the session back. New sessions are written as they are.
   */
  async set(id: string, session: S): Promise<void> {
    const key = this.key(id);
    if (session === null || typeof session !== 'object' || Array.isArray(session)) {
      // get() would read any of these back as corrupt: refuse them before writing.
      const got = session === null ? 'null' : Array.isArray(session) ? 'an array' : typeof session;
      const error = new SerializationError(`session must be an object; got ${got}`);
      this.options.err(`Unable to save session sid:${redactId(id)}`, error);
      throw error;
    }
    const now = this.options.now();
    const expiresAt = resolveExpiresAt(session, now, this.options.ttl);
    if (isExpired(expiresAt, now)) return this.destroy(id);
    const known = this.memo.get(key);
    if (known === DESTROYED) return this.skipDestroyedSave(id);
    let payload: Awaited<ReturnType<typeof this.options.codec.encode>>;
    try {
      payload = await this.options.codec.encode(serialize(this.options.serializer, session), key);
    } catch (error) {
      this.options.err(`Unable to save session sid:${redactId(id)}`, error);
      throw error;
    }
    await this.ready();
    const record = { payload, expiresAt };
    const putIfExists = this.backend.putIfExists;
    if (known !== undefined && typeof putIfExists === 'function') {
      const saved = await this.call('put', id, () => putIfExists.call(this.backend, key, record));
      if (!saved) return this.skipDestroyedSave(id);
    } else {
      await this.call('put', id, () => this.backend.put(key, record));
    }
    // A destroy that landed while this save was in flight wins.
    if (this.memo.get(key) !== DESTROYED) this.memo.set(key, expiresAt);
  }

  /**
   * Extends the expiry of a session that still exists and has not expired, at
   * most once per touchAfter. Never creates, revives or rewrites a session; a
   * touch that finds nothing resolves `'missing'`.
   */
  async touch(id: string, session: S): Promise<TouchResult> {
    const key = this.key(id);
    const now = this.options.now();
    const newExpiresAt = resolveExpiresAt(session ?? ({} as S), now, this.options.ttl);
    const decision = decideTouch({
      now,
      newExpiresAt,
      storedExpiresAt: this.memo.get(key),
      touchAfter: this.options.touchAfter,
    });
    if (decision === 'skip-fresh') return 'skipped';
    if (decision === 'skip-expired') return 'missing';
    await this.ready();
    const updated = await this.call('updateExpiry', id, () => this.backend.updateExpiry(key, newExpiresAt, now));
    if (updated) this.memo.set(key, newExpiresAt);
    else this.memo.delete(key);
    return updated ? 'updated' : 'missing';
  }

  /** Deletes the session; deleting a missing one succeeds. */
  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    this.memo.markDestroyed(key);
    await this.ready();
    await this.call('delete', id, () => this.backend.delete(key));
  }

  /** Every live session. Reads the whole backend (for DynamoDB, a Scan): not for hot paths. */
  async all(): Promise<SessionEntry<S>[]> {
    const list = this.optional('list');
    await this.ready();
    const now = this.options.now();
    const entries: SessionEntry<S>[] = [];
    await this.call('list', '', async () => {
      for await (const record of list.call(this.backend, now)) {
        if (isExpired(record.expiresAt, now)) continue;
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
      for await (const record of list.call(this.backend, now)) if (!isExpired(record.expiresAt, now)) ids.push(record.id);
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

  /** Deletes every session. */
  async clear(): Promise<void> {
    const clear = this.optional('clear');
    await this.ready();
    this.memo.clear();
    await this.call('clear', '', () => clear.call(this.backend));
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
    this.memo.clear();
    await this.cleanupRun?.catch(() => undefined);
    if (typeof this.backend.close === 'function') await this.call('close', '', () => this.backend.close?.() ?? Promise.resolve());
  }

  /** How many session ids the touchAfter bookkeeping currently remembers (bounded by `touchMemoSize`). */
  get bookkeepingSize(): number {
    return this.memo.size;
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
        });
    }, this.options.cleanupInterval);
    timer.unref();
    this.cleanupTimer = timer;
  }

  private skipDestroyedSave(id: string): void {
    this.memo.markDestroyed(this.options.storageId(id));
    this.options.log(`not saving session sid:${redactId(id)}: it was destroyed meanwhile (logout wins)`);
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
