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
 */

/** A serialized session payload: text (JSON by default) or bytes (compressed or encrypted). */
export type Payload = string | Uint8Array;

/** What a backend stores for one session id. */
export interface StoredSession {
  /** The serialized session, exactly as the core handed it over. */
  payload: Payload;
  /** When the session expires, epoch milliseconds. A backend may round this down to whole seconds. */
  expiresAt: number;
}

/** One record yielded by {@link SessionBackend.list}. */
export interface ListedSession extends StoredSession {
  id: string;
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
  /** Expired records deleted. */
  deleted: number;
}

export interface SessionBackend {
  /**
   * Prepares the backend (connect, create a table). The core calls it once,
   * lazily, before the first operation, and retries it on the next operation if
   * it rejected.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: lets a backend write `async init() {}`
  init(): Promise<BackendInfo | undefined | void>;

  /** The record for `id`, or `null`. May return an expired record: the core filters those out. */
  get(id: string): Promise<StoredSession | null>;

  /** Creates or replaces the record for `id`. */
  put(id: string, session: StoredSession): Promise<void>;

  /**
   * Optional, recommended. Replaces the record for `id` only if one exists;
   * resolves `false` and writes nothing when none does. Must be atomic. The
   * core uses it to save a session it has read before, so that a save racing
   * a logout (destroy) cannot bring the session back. Without it the core
   * falls back to {@link put}, and only races within one process are stopped.
   */
  putIfExists?(id: string, session: StoredSession): Promise<boolean>;

  /** Deletes the record for `id`; deleting a missing id succeeds. */
  delete(id: string): Promise<void>;

  /**
   * Sets the expiry of `id` to `expiresAt`, but only if a record exists and its
   * current expiry is after `now`. Never creates a record, never touches the
   * payload. Resolves `true` when it updated, `false` when nothing matched.
   * Must be atomic: a record deleted or expired concurrently is not revived.
   */
  updateExpiry(id: string, expiresAt: number, now: number): Promise<boolean>;

  /**
   * Optional. Deletes every record whose expiry is at or before `now`. A record
   * whose expiry was pushed past `now` between being found and being deleted
   * must survive.
   */
  deleteExpired?(now: number): Promise<CleanupResult>;

  /** Optional. Every record whose expiry is after `now`, in no particular order. */
  list?(now: number): AsyncIterable<ListedSession>;

  /** Optional. How many records expire after `now`. The core falls back to {@link list}. */
  count?(now: number): Promise<number>;

  /** Optional. Deletes every record this backend owns. */
  clear?(): Promise<void>;

  /** Optional. Releases resources the backend created itself (never ones it was given). */
  close?(): Promise<void>;
}

/** The names of the methods every backend must have. */
export const REQUIRED_BACKEND_METHODS = ['init', 'get', 'put', 'delete', 'updateExpiry'] as const;
