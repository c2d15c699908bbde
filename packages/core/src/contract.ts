/**
 * The backend contract: what a storage engine implements so that the core
 * store can keep sessions in it.
 *
 * Rules every backend follows:
 * - Times cross this contract as absolute epoch **milliseconds**. A backend
 *   does no expiry arithmetic; where it needs "now" (to refuse a touch of an
 *   expired record, or to find expired records) the core passes it in.
 * - Payloads arrive already serialized (and, when configured, compressed and
 *   encrypted) as a string or bytes. A backend stores them and gives them back
 *   unchanged.
 * - "Not found" is `null` or `false`, never an error. Any other failure
 *   rejects; the core wraps it in a {@link BackendError}.
 *
 * The write protocol (see docs/write-protocol.md) lives in what is stored, not
 * in what a process remembers:
 * - Every session record carries a **revision**, a counter that each save
 *   raises by one. A save of a session that a request read is conditional on
 *   the revision that request read ({@link SessionBackend.replace}); on a
 *   mismatch the core re-reads and merges.
 * - `destroy` leaves a **tombstone**: a record without a payload that expires
 *   after the tombstone window. No write of any kind succeeds over a
 *   tombstone, so a logout wins against every request still in flight, on
 *   every instance, whatever each process remembers.
 * - Every conditional method must be atomic: check and write in one step.
 */

/** A serialized session payload: text (JSON by default) or bytes (compressed or encrypted). */
export type Payload = string | Uint8Array;

/** What the core asks a backend to write for one session. */
export interface SessionWrite {
  /** The serialized session, exactly as the core hands it over. */
  payload: Payload;
  /** When the session expires, epoch milliseconds. A backend may round this down to whole seconds. */
  expiresAt: number;
  /**
   * Who the session belongs to (the `ownerOf` option; hashed when hashed ids are
   * on), or `undefined` for none. Backends that implement {@link SessionBackend.listByOwner}
   * store it so that they can find an owner's sessions; others ignore it.
   */
  owner?: string;
}

/** A session record as a backend returns it. */
export interface StoredSession {
  /** The serialized session, exactly as the core handed it over. */
  payload: Payload;
  /** When the session expires, epoch milliseconds. */
  expiresAt: number;
  /**
   * The record's revision: 1 after {@link SessionBackend.create}, one more after
   * each {@link SessionBackend.replace}. 0 for a record written without one (by
   * connect-dynamodb-session 1.x or 2.0, or another store); its next save gives it 1.
   */
  revision: number;
}

/** What {@link SessionBackend.destroy} leaves: a marker that refuses every write of this id until `expiresAt`. */
export interface Tombstone {
  tombstone: true;
  /** When the tombstone may be removed, epoch milliseconds. */
  expiresAt: number;
}

/** How {@link SessionBackend.get} must read. */
export interface GetOptions {
  /** Reflect every write that completed before this call (a strongly consistent read). */
  latest?: boolean;
}

/** Anything a backend may hold for an id. */
export type StoredRecord = StoredSession | Tombstone;

/** One record yielded by {@link SessionBackend.list}. */
export interface ListedSession extends StoredSession {
  id: string;
}

/** One record yielded by {@link SessionBackend.listByOwner}: enough to show and end it. */
export interface OwnedSession {
  /** The id as stored (a keyed hash when hashed ids are on). */
  id: string;
  expiresAt: number;
}

/** What the core tells {@link SessionBackend.init} about how it will use the backend. */
export interface InitContext {
  /**
   * The store has `ownerOf`: saves carry owners, and {@link SessionBackend.listByOwner}
   * may be called. A backend may prepare for it (DynamoDB: `autoCreate` creates
   * the owner index with the table).
   */
  owners: boolean;
}

/** What a backend reports once it is ready. */
export interface BackendInfo {
  /**
   * True when the storage engine deletes expired records by itself (for
   * example DynamoDB with Time to Live enabled on the expiry attribute). The
   * core then runs no periodic cleanup scan.
   */
  expiresItemsNatively?: boolean;
}

/** What one cleanup run did. */
export interface CleanupResult {
  /** Records examined. A backend that finds expired records through an index may count only those. */
  scanned: number;
  /** Expired records (sessions and tombstones) deleted. */
  deleted: number;
}

export function isTombstone(record: StoredRecord): record is Tombstone {
  return (record as Partial<Tombstone>).tombstone === true;
}

export interface SessionBackend {
  /**
   * Optional. What this backend adds to an id to form its storage key, as one
   * string that differs whenever the key would (DynamoDB: the key prefix and
   * the sort key value). The core authenticates it, with the id, in every
   * encrypted payload, so a payload copied to another store's key in a shared
   * table fails to decrypt. Read once, when the store is made; it must not
   * change. Leave out what a restored copy changes (a table name).
   */
  readonly keyScope?: string;

  /**
   * Prepares the backend (connect, create a table). The core calls it once,
   * lazily, before the first operation, and retries it on the next operation if
   * it rejected.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: lets a backend write `async init() {}`
  init(context?: InitContext): Promise<BackendInfo | undefined | void>;

  /**
   * The record for `id` (a session or a tombstone), or `null`. May return
   * expired records: the core filters those out. With `{ latest: true }` it
   * must reflect every write that completed before the call (in DynamoDB a
   * strongly consistent read): the core asks so after a failed conditional
   * write, to merge against the write that beat it. Without it a backend may
   * read eventually consistently, if its user chose that.
   */
  get(id: string, options?: GetOptions): Promise<StoredRecord | null>;

  /**
   * Writes a new session with revision 1, only if **no record at all** (no
   * session, no tombstone, expired or not) exists for `id`. Resolves `false`
   * and writes nothing otherwise.
   */
  create(id: string, session: SessionWrite): Promise<boolean>;

  /**
   * Replaces the session `id` with revision `expectedRevision + 1`, only if a
   * session (not a tombstone) with revision `expectedRevision` exists (0: a
   * session stored without a revision). Resolves `false` and writes nothing
   * otherwise.
   */
  replace(id: string, session: SessionWrite, expectedRevision: number): Promise<boolean>;

  /**
   * Replaces whatever is stored for `id` (a session, a tombstone, or nothing)
   * with a tombstone expiring at `tombstoneExpiresAt`. Unconditional.
   */
  destroy(id: string, tombstoneExpiresAt: number): Promise<void>;

  /**
   * Sets the expiry of session `id` to `expiresAt`, but only if a session (not
   * a tombstone) exists and its current expiry is after `now`. Never creates a
   * record, never touches the payload or the revision. Resolves `true` when it
   * updated, `false` when nothing matched.
   */
  updateExpiry(id: string, expiresAt: number, now: number): Promise<boolean>;

  /**
   * Optional. Deletes every record (sessions and tombstones) whose expiry is
   * at or before `now`. A record whose expiry was pushed past `now` between
   * being found and being deleted must survive.
   */
  deleteExpired?(now: number): Promise<CleanupResult>;

  /** Optional. Every session (never a tombstone) whose expiry is after `now`, in no particular order. */
  list?(now: number): AsyncIterable<ListedSession>;

  /** Optional. How many sessions (tombstones excluded) expire after `now`. The core falls back to {@link list}. */
  count?(now: number): Promise<number>;

  /**
   * Optional. Ends every session this backend holds as {@link destroy} would:
   * each becomes a tombstone expiring at `tombstoneExpiresAt` (existing
   * tombstones stay). Without it the core destroys what {@link list} yields.
   */
  clear?(tombstoneExpiresAt: number): Promise<void>;

  /**
   * Optional. The sessions (never tombstones) expiring after `now` whose last
   * save carried `owner`, each once, in no particular order. May miss a
   * session saved a moment ago (DynamoDB: a global secondary index is
   * eventually consistent), but never yields one whose stored owner is not
   * `owner`. The core passes `now = 0` when it needs expired sessions too.
   */
  listByOwner?(owner: string, now: number): AsyncIterable<OwnedSession>;

  /**
   * Optional; required with {@link listByOwner}. {@link destroy}, but only if
   * a session (not a tombstone) is stored for `id` and its owner is `owner`,
   * checked and written in one atomic step. Resolves `true` when it wrote the
   * tombstone, `false` (writing nothing) otherwise.
   *
   * Why not `destroy`: what `listByOwner` yields may be stale, and between the
   * listing and the write the session may have been saved with another owner
   * (a user switched accounts in that browser). An unconditional destroy would
   * log out someone else.
   */
  destroyIfOwnedBy?(id: string, owner: string, tombstoneExpiresAt: number): Promise<boolean>;

  /** Optional. Releases resources the backend created itself (never ones it was given). */
  close?(): Promise<void>;
}

/** The names of the methods every backend must have. */
export const REQUIRED_BACKEND_METHODS = ['init', 'get', 'create', 'replace', 'destroy', 'updateExpiry'] as const;
