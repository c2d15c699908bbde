import { EventEmitter } from 'node:events';
import {
  CorruptPayloadError,
  type DestroySessionsOfOptions,
  describeValue,
  InvalidOptionError,
  type OwnedSession,
  type ReadState,
  redactId,
  resolveExpiresAt,
  SerializationError,
  type SessionLike,
  type SessionStore,
  type TouchResult,
} from '@connect-dynamodb-session/core';
import { createDynamoDBSessionStore, type DynamoDBSessionStoreOptions } from '@connect-dynamodb-session/dynamodb';
import type { Session, SessionData, Store } from 'express-session';
import { answerNow, assertCallback, type Callback, callbackOrPromise } from './callback';
import { cookieWithStoredExpiry, isUsableCookie } from './cookie';
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
  /** The framework-agnostic core store this adapter delegates to: `cleanup()`, `getEntry()`, `sessionsOf()`, ... */
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
 * connect-dynamodb's `{ session }`, or any `{ Store }` object whose `Store` is
 * the class to extend. `Store: null` means a plain EventEmitter.
 */
export interface SessionModuleLike {
  readonly Store?: (abstract new () => EventEmitter) | null;
  readonly session?: { readonly Store: abstract new () => EventEmitter };
}

type StoreBase = abstract new () => Store;

/** What one request read of its session (or last wrote), and under which id. */
interface RequestRead extends ReadState {
  sid: string;
}

/**
 * Builds the store class on top of `session.Store`. Without an argument it
 * extends express-session's `Store` when express-session is installed, else a
 * plain EventEmitter (enough for @fastify/session).
 */
export function createStoreClass(session?: SessionModuleLike | null): DynamoStoreConstructor {
  const Base = baseClassOf(session) as StoreBase;

  class DynamoDBStore extends Base implements DynamoStore {
    readonly core: SessionStore;
    /** What `get` read, keyed by the plain object it returned, until `createSession` turns that into a Session. */
    private readonly readOfData = new WeakMap<object, RequestRead>();
    /** What each request read (or last wrote), keyed by its Session object: the base of its next save. */
    private readonly readOfSession = new WeakMap<object, RequestRead>();

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
        const data = entry.session;
        if (!isUsableCookie(data.cookie)) return this.unusableCookie(sid, data.cookie);
        data.cookie = cookieWithStoredExpiry(data.cookie, entry.expiresAt) as SessionLike['cookie'];
        const { revision, expiresAt, snapshot } = entry;
        this.readOfData.set(data, { sid, revision, expiresAt, snapshot });
        return data as unknown as SessionData;
      }, callback);
    }

    /** express-session's own, then links the request's new Session object to what `get` read for it. */
    override createSession(req: Parameters<Store['createSession']>[0], data: SessionData): Session & SessionData {
      const own = (Base.prototype as Partial<Store>).createSession;
      if (typeof own !== 'function') {
        throw new TypeError(
          'this store class extends a class without createSession (a plain EventEmitter), which express-session cannot use: pass express-session to the factory',
        );
      }
      const session = own.call(this, req, data);
      const read = this.readOfData.get(data);
      if (read) this.readOfSession.set(session, read);
      return session;
    }

    override set(sid: string, session: SessionData): Promise<void>;
    override set(sid: string, session: SessionData, callback: Callback): void;
    override set(sid: string, session: SessionData, callback?: Callback): Promise<void> | undefined {
      return callbackOrPromise(async () => {
        if (typeof session === 'object' && session !== null && !Array.isArray(session) && !isUsableCookie(session.cookie)) {
          // get() could not hand it back to express-session: refuse it before writing.
          const error = new SerializationError(`session.cookie must be an object; got ${describeValue(session.cookie)}`);
          this.core.options.err(`Unable to save session sid:${redactId(sid)}`, error);
          throw error;
        }
        const result = await this.core.set(sid, session as unknown as SessionLike, this.readOf(sid, session));
        // Kept for a second save in the same request, which then replaces what the first one wrote.
        if (result.status === 'destroyed') this.readOfSession.delete(session);
        else this.readOfSession.set(session, { sid, revision: result.revision, expiresAt: result.expiresAt, snapshot: result.snapshot });
      }, callback);
    }

    override touch(sid: string, session: SessionData): Promise<void>;
    override touch(sid: string, session: SessionData, callback: Callback): void;
    override touch(sid: string, session: SessionData, callback?: Callback): Promise<void> | undefined {
      assertCallback(callback);
      const read = this.readOf(sid, session);
      const data = session as unknown as SessionLike;
      let outcome: TouchResult | Promise<TouchResult>;
      try {
        outcome = this.core.touchMaybeSync(sid, data, read);
      } catch (error) {
        outcome = Promise.reject(error);
      }
      // A touch that needs no write (the throttle skips it) calls back at once, as 1.x did. express-session then ends
      // the response in one write; with a later callback it writes all but the last byte first and the rest after it
      // (a second write, a second TCP segment, on most read requests). 'missing' is no error: touch never revives.
      if (typeof outcome === 'string') return answerNow(undefined, callback);
      const written = outcome;
      return callbackOrPromise(async () => {
        const result = await written;
        if (read && result === 'updated') read.expiresAt = resolveExpiresAt(data, this.core.options.now(), this.core.options.ttl);
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

    /** The read state of this request's session, if it is of this id. */
    private readOf(sid: string, session: SessionData): RequestRead | undefined {
      const read = typeof session === 'object' && session !== null ? this.readOfSession.get(session) : undefined;
      return read?.sid === sid ? read : undefined;
    }

    /**
     * A stored session without a cookie object (written by other code or an
     * older version) is unreadable to express-session: reported like any
     * other unreadable session, and read as no session (or thrown with
     * `onCorruptPayload: 'throw'`).
     */
    private unusableCookie(sid: string, cookie: unknown): null {
      const error = new CorruptPayloadError(`stored session has no usable cookie object (cookie is ${describeValue(cookie)})`);
      this.core.options.err(`Unable to read session sid:${redactId(sid)}: ${error.message}`, error);
      if (this.core.options.onCorruptPayload === 'throw') throw error;
      return null;
    }
  }

  return DynamoDBStore;
}

function baseClassOf(session: SessionModuleLike | null | undefined): abstract new () => EventEmitter {
  if (session === undefined) return expressSessionStore() ?? EventEmitter;
  if (session === null || (typeof session !== 'object' && typeof session !== 'function')) {
    throw new InvalidOptionError('session', `the factory takes express-session (or a { Store } object); got ${describeValue(session)}`);
  }
  const { Store } = session;
  // An explicit `Store: null` asks for a plain EventEmitter (enough for @fastify/session).
  if (Store === null) return EventEmitter;
  if (typeof Store === 'function') return Store;
  if (Store !== undefined) {
    throw new InvalidOptionError('session', `session.Store must be a class to extend; got ${describeValue(Store)}`);
  }
  // connect-dynamodb's form: `factory({ session })`.
  const inner = (session as { session?: unknown }).session;
  if (inner !== undefined && inner !== null && typeof (inner as SessionModuleLike).Store === 'function') {
    return (inner as { Store: abstract new () => EventEmitter }).Store;
  }
  throw new InvalidOptionError(
    'session',
    `the factory takes express-session, { session } (connect-dynamodb's form) or a { Store } object; got an object with neither Store nor session.Store${inner === undefined ? '' : ` (session is ${describeValue(inner)})`}`,
  );
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
