import {
  type DestroySessionsOfOptions,
  InvalidSessionIdError,
  type OwnedSession,
  type ReadState,
  resolveExpiresAt,
  type SessionStore,
} from '@connect-dynamodb-session/core';

/**
 * A session as koa-session hands it to a store: the app's own keys, plus
 * koa-session's bookkeeping, which is stored with them.
 */
export interface KoaSessionData {
  /** koa-session: when the cookie expires, epoch ms. Absent with `maxAge: 'session'`. */
  _expire?: number;
  /** koa-session: the cookie's maxAge in ms, restored into the options when the session is loaded. */
  _maxAge?: number;
  /** koa-session: present (true) with `maxAge: 'session'`. */
  _session?: boolean;
  [key: string]: unknown;
}

/**
 * What this adapter stores through the core: koa-session's data under `data`,
 * beside a cookie-like `{ expires }` from which the core takes the expiry, so
 * its rules (expiry, ttl fallback, touchAfter) apply unchanged. Nesting keeps
 * a session key of the app's own named `cookie` out of the core's way.
 */
export interface KoaStoredSession {
  cookie: { expires: Date | string | null };
  data: KoaSessionData;
  [key: string]: unknown;
}

/** koa-session's `maxAge` argument: ms, or `'session'` for a browser-session cookie. */
export type KoaMaxAge = number | 'session' | undefined;

/** The third (get, destroy) or fourth (set) argument koa-session passes. */
export interface KoaStoreCallOptions {
  /** koa-session's `rolling` option. */
  rolling?: boolean;
  /** `set` only: whether koa-session saw the session's data change in this request. */
  changed?: boolean;
  /** The Koa context of the request. */
  ctx?: object;
}

/**
 * What one request (one `ctx`) loaded: which key, the data as it was
 * (`_expire` left out), and the stored state it read or last wrote, which its
 * next save is conditional on.
 */
interface Loaded {
  key: string;
  fingerprint: string;
  read: ReadState;
}

/**
 * koa-session's external store (`get`, `set`, `destroy`) over the core
 * {@link SessionStore}. It translates calls and does no session logic of its
 * own: expiry, touchAfter, serialization and cleanup are the core's.
 */
export class KoaStore {
  /** The framework-agnostic core store: `all()`, `length()`, `clear()`, `cleanup()`... */
  readonly core: SessionStore<KoaStoredSession>;
  private readonly loaded = new WeakMap<object, Loaded>();

  constructor(core: SessionStore<KoaStoredSession>) {
    this.core = core;
  }

  /** Initializes the backend now (with `autoCreate`, creates the table) instead of on the first request. */
  async ready(): Promise<void> {
    await this.core.ready();
  }

  /** The session stored under `key`, or `null` when there is none or it has expired. */
  async get(key: string, _maxAge?: KoaMaxAge, options?: KoaStoreCallOptions): Promise<KoaSessionData | null> {
    let entry: Awaited<ReturnType<SessionStore<KoaStoredSession>['getEntry']>>;
    try {
      entry = await this.core.getEntry(key);
    } catch (error) {
      // An empty or over-long cookie value is no session: koa-session starts a new one.
      if (error instanceof InvalidSessionIdError) return null;
      throw error;
    }
    const data = entry?.session.data;
    if (!entry || typeof data !== 'object' || data === null) return null;
    if (options?.ctx) {
      const { revision, expiresAt, snapshot } = entry;
      this.loaded.set(options.ctx, { key, fingerprint: fingerprint(data), read: { revision, expiresAt, snapshot } });
    }
    if (options?.rolling) {
      // With rolling, an unchanged session is saved by a touch, which extends the
      // stored expiry but never rewrites the data, so `_expire` in the data falls
      // behind, and koa-session would drop a live session because of it. The core
      // has just checked the real expiry; koa-session reads `_expire` otherwise
      // only for `renew`, which `rolling` overrides.
      delete data._expire;
    }
    return data;
  }

  /**
   * Saves the session for `maxAge` ms (koa-session adds 10 s so that the store
   * outlives the cookie), or for the core's `ttl` with `maxAge: 'session'`.
   *
   * With `rolling`, koa-session saves every request; a save whose data is what
   * this request loaded becomes a core `touch`, held down by touchAfter. Any
   * other save is a full write: koa-session reports `changed: false` for
   * forced saves too (`ctx.session.save()`, `regenerate()`, a new
   * `ctx.session.maxAge`), so its flag alone is not trusted.
   */
  async set(key: string, data: KoaSessionData, maxAge: KoaMaxAge, options?: KoaStoreCallOptions): Promise<void> {
    const expires = typeof maxAge === 'number' ? new Date(this.core.options.now() + maxAge) : null;
    const record: KoaStoredSession = { cookie: { expires }, data };
    const ctx = options?.ctx;
    const loaded = ctx ? this.loaded.get(ctx) : undefined;
    const own = loaded?.key === key ? loaded : undefined;
    if (options?.rolling === true && options.changed === false && own?.fingerprint === fingerprint(data)) {
      // 'missing' is not an error: the session was destroyed or expired meanwhile, and a touch never revives it.
      if ((await this.core.touch(key, record, own.read)) === 'updated') {
        own.read = { ...own.read, expiresAt: resolveExpiresAt(record, this.core.options.now(), this.core.options.ttl) };
      }
      return;
    }
    // Conditional on what this request read; without it (a new or regenerated key) a create.
    const saved = await this.core.set(key, record, own?.read);
    if (!ctx) return;
    if (saved.status === 'destroyed') this.loaded.delete(ctx);
    else {
      const { revision, expiresAt, snapshot } = saved;
      this.loaded.set(ctx, { key, fingerprint: fingerprint(data), read: { revision, expiresAt, snapshot } });
    }
  }

  /** Deletes the session; deleting a missing one succeeds. */
  async destroy(key: string, _options?: KoaStoreCallOptions): Promise<void> {
    await this.core.destroy(key);
  }

  /**
   * The live sessions of `owner` (the `ownerOf` option), `[{ id, expiresAt }]`, the latest expiry first; `id` is
   * the session key as stored (a keyed hash with `hashIds`). No Scan.
   */
  sessionsOf(owner: string): Promise<OwnedSession[]> {
    return this.core.sessionsOf(owner);
  }

  /**
   * Ends every session of `owner` except `options.except` (a session key, as koa-session's cookie carries it), as
   * `destroy` does; resolves how many live sessions it ended.
   */
  destroySessionsOf(owner: string, options?: DestroySessionsOfOptions): Promise<number> {
    return this.core.destroySessionsOf(owner, options);
  }

  /** Stops the cleanup timer and releases what the store created (the DynamoDB client it built). Idempotent. */
  async close(): Promise<void> {
    await this.core.close();
  }
}

/** The data as JSON without `_expire`, which koa-session renews on every save. */
function fingerprint(data: KoaSessionData): string {
  const { _expire, ...rest } = data;
  return JSON.stringify(rest);
}
