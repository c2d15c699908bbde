import { EventEmitter } from 'node:events';
import {
  type DestroySessionsOfOptions,
  describeValue,
  InvalidOptionError,
  type OwnedSession,
  type ReadState,
  type SessionLike,
  type SessionStore,
} from '@connect-dynamodb-session/core';
import { createDynamoDBSessionStore, type DynamoDBSessionStoreOptions } from '@connect-dynamodb-session/dynamodb';
import type { Session, SessionData, Store } from 'express-session';
import { type Callback, callbackOrPromise } from './callback';
import type { DynamoStoreOptions } from './options';

/** What `all()` returns: every live session keyed by its id, the shape express-session's MemoryStore returns. */
export type SessionsById = Record<string, SessionData>;

/**
 * The store: an express-session `Store` (so an EventEmitter, with
 * express-session's own `regenerate`, `load` and `createSession`) that
 * delegates to the core store. Every method takes an optional callback;
 * without one it returns a promise.
 */
export interface DynamoStore extends Store {
  /** The framework-agnostic core store this adapter delegates to: `cleanup()`, `getEntry()`, ... */
  readonly core: SessionStore;
  /**
   * Initializes the backend now (with `autoCreate`, creates the table) instead
   * of on the first request. The constructor makes no network call.
   */
  ready(): Promise<void>;
  ready(callback: Callback): void;
  /** The session's plain data (express-session hydrates it), or `null` when there is none or it has expired. */
  get(sid: string): Promise<SessionData | null>;
  get(sid: string, callback: Callback<SessionData | null>): void;
  /** Stores the session until its cookie expires (or now + `ttl`); a session already expired is deleted instead. */
  set(sid: string, session: SessionData): Promise<void>;
  set(sid: string, session: SessionData, callback: Callback): void;
  /** Extends the expiry of an existing session, at most once per `touchAfter`. Finding nothing is not an error. */
  touch(sid: string, session: SessionData): Promise<void>;
  touch(sid: string, session: SessionData, callback: Callback): void;
  /** Deletes the session; deleting a missing one succeeds. */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback): void;
  /** Every live session keyed by id (a full table Scan with DynamoDB: for admin tools, not for requests). */
  all(): Promise<SessionsById>;
  all(callback: Callback<SessionsById>): void;
  /** The ids of every live session (a Scan). */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  /** How many live sessions there are (a Scan). */
  length(): Promise<number>;
  length(callback: Callback<number>): void;
  /** Deletes every session. */
  clear(): Promise<void>;
  clear(callback: Callback): void;
  /**
   * The live sessions of `owner` (the `ownerOf` option), `[{ id, expiresAt }]`, the latest expiry first; `id` as
   * stored (a keyed hash with `hashIds`). No Scan.
   */
  sessionsOf(owner: string): Promise<OwnedSession[]>;
  sessionsOf(owner: string, callback: Callback<OwnedSession[]>): void;
  /**
   * Ends every session of `owner` except `options.except` (a session id, e.g. `req.sessionID`), as `destroy`
   * does; resolves how many live sessions it ended.
   */
  destroySessionsOf(owner: string, options?: DestroySessionsOfOptions): Promise<number>;
  destroySessionsOf(owner: string, callback: Callback<number>): void;
  destroySessionsOf(owner: string, options: DestroySessionsOfOptions | undefined, callback: Callback<number>): void;
  /** Stops the cleanup timer and releases the DynamoDB client if the store created it. Idempotent. */
  close(): Promise<void>;
  close(callback: Callback): void;
}

/** The store class: `new DynamoStore(options)`. */
export interface DynamoStoreConstructor {
  new (options?: DynamoStoreOptions): DynamoStore;
}

/**
 * What the factory takes: express-session's module (or connect's `session`),
 * or any `{ Store }` object whose `Store` is the class to extend. A missing or
 * null `Store` means a plain EventEmitter.
 */
export interface SessionModuleLike {
  readonly Store?: (abstract new () => EventEmitter) | null;
}

type StoreBase = abstract new () => Store;

/**
 * Builds the store class on top of `session.Store`. Without an argument it
 * extends express-session's `Store` when express-session is installed, else a
 * plain EventEmitter (enough for @fastify/session).
 */
export function createStoreClass(session?: SessionModuleLike | null): DynamoStoreConstructor {
  const Base = baseClassOf(session) as StoreBase;

  /** What a request read (or last wrote) of its session, with the id it is for. */
  type Read = ReadState & { sid: string };

  class DynamoDBStore extends Base implements DynamoStore {
    readonly core: SessionStore;
    /** The data object `get` returned → its read state, until express-session hands it to `createSession`. */
    private readonly loaded = new WeakMap<object, Read>();
    /** Each request's `req.session` object → its read state: per request, never per process. */
    private readonly reads = new WeakMap<object, Read>();

    constructor(options?: DynamoStoreOptions) {
      super();
      this.core = createDynamoDBSessionStore(options as DynamoDBSessionStoreOptions | undefined);
    }

    ready(): Promise<void>;
    ready(callback: Callback): void;
    ready(callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(async () => {
        await this.core.ready();
      }, callback);
    }

    override get(sid: string): Promise<SessionData | null>;
    override get(sid: string, callback: Callback<SessionData | null>): void;
    override get(sid: string, callback?: Callback<SessionData | null>): Promise<SessionData | null> | undefined {
      return callbackOrPromise(async () => {
        const entry = await this.core.getEntry(sid);
        if (!entry) return null;
        this.loaded.set(entry.session, { sid, revision: entry.revision, expiresAt: entry.expiresAt, snapshot: entry.snapshot });
        return entry.session as unknown as SessionData;
      }, callback);
    }

    /** express-session's own, then links the request's new Session object to what `get` read. */
    override createSession(req: Parameters<Store['createSession']>[0], data: SessionData): Session & SessionData {
      const session = super.createSession(req, data);
      const read = this.loaded.get(data);
      if (read) {
        this.loaded.delete(data);
        this.reads.set(session, read);
      }
      return session;
    }

    private readOf(sid: string, session: object): Read | undefined {
      const read = this.reads.get(session);
      return read?.sid === sid ? read : undefined;
    }

    override set(sid: string, session: SessionData): Promise<void>;
    override set(sid: string, session: SessionData, callback: Callback): void;
    override set(sid: string, session: SessionData, callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(async () => {
        const result = await this.core.set(sid, session as unknown as SessionLike, this.readOf(sid, session));
        if (result.status === 'destroyed') this.reads.delete(session);
        else this.reads.set(session, { sid, revision: result.revision, expiresAt: result.expiresAt, snapshot: result.snapshot });
      }, callback);
    }

    override touch(sid: string, session: SessionData): Promise<void>;
    override touch(sid: string, session: SessionData, callback: Callback): void;
    override touch(sid: string, session: SessionData, callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(async () => {
        // 'missing' is not an error: the session was destroyed or expired meanwhile, and touch never revives it.
        await this.core.touch(sid, session as unknown as SessionLike, this.readOf(sid, session));
      }, callback);
    }

    override destroy(sid: string): Promise<void>;
    override destroy(sid: string, callback: Callback): void;
    override destroy(sid: string, callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(() => this.core.destroy(sid), callback);
    }

    override all(): Promise<SessionsById>;
    override all(callback: Callback<SessionsById>): void;
    override all(callback?: Callback<SessionsById>): Promise<SessionsById> | undefined {
      return callbackOrPromise(async () => {
        // Keyed by id like MemoryStore; no prototype, so an id such as "__proto__" is just a key.
        const sessions: SessionsById = Object.create(null);
        for (const entry of await this.core.all()) sessions[entry.id] = entry.session as unknown as SessionData;
        return sessions;
      }, callback);
    }

    ids(): Promise<string[]>;
    ids(callback: Callback<string[]>): void;
    ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
      return callbackOrPromise(() => this.core.ids(), callback);
    }

    override length(): Promise<number>;
    override length(callback: Callback<number>): void;
    override length(callback?: Callback<number>): Promise<number> | undefined {
      return callbackOrPromise(() => this.core.length(), callback);
    }

    override clear(): Promise<void>;
    override clear(callback: Callback): void;
    override clear(callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(() => this.core.clear(), callback);
    }

    sessionsOf(owner: string): Promise<OwnedSession[]>;
    sessionsOf(owner: string, callback: Callback<OwnedSession[]>): void;
    sessionsOf(owner: string, callback?: Callback<OwnedSession[]>): Promise<OwnedSession[]> | undefined {
      return callbackOrPromise(() => this.core.sessionsOf(owner), callback);
    }

    destroySessionsOf(owner: string, options?: DestroySessionsOfOptions): Promise<number>;
    destroySessionsOf(owner: string, callback: Callback<number>): void;
    destroySessionsOf(owner: string, options: DestroySessionsOfOptions | undefined, callback: Callback<number>): void;
    destroySessionsOf(
      owner: string,
      optionsOrCallback?: DestroySessionsOfOptions | Callback<number>,
      callback?: Callback<number>,
    ): Promise<number> | undefined {
      const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
      const done = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
      return callbackOrPromise(() => this.core.destroySessionsOf(owner, options), done);
    }

    close(): Promise<void>;
    close(callback: Callback): void;
    close(callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(() => this.core.close(), callback);
    }
  }

  return DynamoDBStore;
}

function baseClassOf(session: SessionModuleLike | null | undefined): abstract new () => EventEmitter {
  if (session === undefined) return expressSessionStore() ?? EventEmitter;
  if (session === null || (typeof session !== 'object' && typeof session !== 'function')) {
    throw new InvalidOptionError('session', `the factory takes express-session (or a { Store } object); got ${describeValue(session)}`);
  }
  const Store = session.Store;
  if (Store === undefined || Store === null) return EventEmitter;
  if (typeof Store !== 'function') {
    throw new InvalidOptionError('session', `session.Store must be a class to extend; got ${describeValue(Store)}`);
  }
  return Store;
}

/** express-session's Store class, or undefined when express-session is not installed. */
export function expressSessionStore(): (abstract new () => EventEmitter) | undefined {
  try {
    return (require('express-session') as typeof import('express-session')).Store;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}
