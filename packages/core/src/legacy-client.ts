import { type CleanupResult, isTombstone, type SessionBackend, type SessionWrite, type StoredRecord } from './contract';
import { BackendContractError, CorruptPayloadError } from './errors';

/**
 * The custom `client` of connect-dynamodb-session 1.x: an object whose methods
 * return promises and whose `content` is the session object itself. Expiry
 * values are epoch milliseconds.
 */
export interface LegacyClient {
  init(autoCreate?: boolean): Promise<unknown>;
  get(id: string): Promise<{ content: unknown; expires: number } | null | undefined>;
  put(id: string, expires: number, content: unknown): Promise<unknown>;
  setExpires(id: string, expires: number): Promise<unknown>;
  delete(id: string): Promise<unknown>;
  deleteExpired?(when: number): Promise<unknown>;
}

const LEGACY_METHODS = ['init', 'get', 'put', 'setExpires', 'delete'] as const;

export function isLegacyClient(value: unknown): value is LegacyClient {
  return typeof value === 'object' && value !== null && typeof (value as { setExpires?: unknown }).setExpires === 'function';
}

/**
 * Adapts a 1.x `client` to the backend contract, so a team's existing client
 * keeps working unchanged. Payloads must be the JSON text of the session (the
 * default serializer, no compression or encryption): the client receives the
 * parsed object, as before.
 *
 * A 1.x client has only unconditional writes, so the protocol is emulated
 * with a read before each write (two calls, not atomic):
 * - a **tombstone** is the item `put(id, tombstoneExpiresAt, null)`: content
 *   `null`. connect-dynamodb-session 1.x itself returns a `null` content as
 *   "no session", so a 1.x instance sharing the client reads it as logged out.
 * - **revisions** are not stored: every record reads as revision 0, and
 *   `replace` writes whenever a session (not a tombstone) is there, whatever
 *   revision was expected. Concurrent saves stay last-writer-wins, as in 1.x.
 * - `create`, `replace` and `updateExpiry` read first and refuse to write over
 *   a tombstone. A destroy that lands between that read and the write can
 *   still be overwritten; the built-in DynamoDB backend has no such window.
 */
export function fromLegacyClient(client: LegacyClient, { autoCreate = false } = {}): SessionBackend {
  const missing = LEGACY_METHODS.filter((m) => typeof (client as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new BackendContractError(missing);

  const read = async (id: string): Promise<StoredRecord | null> => {
    const found = await client.get(id);
    if (!found) return null;
    const expiresAt = Number(found.expires);
    if (found.content === null || found.content === undefined) return { tombstone: true, expiresAt };
    return { payload: JSON.stringify(found.content), expiresAt, revision: 0 };
  };
  const write = async (id: string, { payload, expiresAt }: SessionWrite): Promise<void> => {
    if (typeof payload !== 'string') {
      throw new CorruptPayloadError('a 1.x client can only store JSON text; turn compression and encryption off');
    }
    await client.put(id, expiresAt, JSON.parse(payload));
  };

  const backend: SessionBackend = {
    async init() {
      await client.init(autoCreate);
    },
    get: read,
    async create(id, session) {
      if ((await read(id)) !== null) return false;
      await write(id, session);
      return true;
    },
    async replace(id, session) {
      const found = await read(id);
      if (!found || isTombstone(found)) return false;
      await write(id, session);
      return true;
    },
    async destroy(id, tombstoneExpiresAt) {
      await client.put(id, tombstoneExpiresAt, null);
    },
    async updateExpiry(id, expiresAt, now) {
      const found = await read(id);
      if (!found || isTombstone(found) || !(found.expiresAt > now)) return false;
      await client.setExpires(id, expiresAt);
      return true;
    },
  };
  const deleteExpired = client.deleteExpired;
  if (typeof deleteExpired === 'function') {
    backend.deleteExpired = async (now): Promise<CleanupResult> => {
      const result = (await deleteExpired.call(client, now)) as Partial<CleanupResult> | undefined;
      return { scanned: Number(result?.scanned ?? 0), deleted: Number(result?.deleted ?? 0) };
    };
  }
  return backend;
}
