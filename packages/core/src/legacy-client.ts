import type { CleanupResult, SessionBackend, StoredSession } from './contract';
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
 * 1.x clients have no conditional expiry update, so `updateExpiry` reads the
 * record first and only then calls `setExpires`. A destroy landing between
 * the two can still be undone by the client's upsert; the built-in DynamoDB
 * backend has no such window.
 */
export function fromLegacyClient(client: LegacyClient, { autoCreate = false } = {}): SessionBackend {
  const missing = LEGACY_METHODS.filter((m) => typeof (client as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new BackendContractError(missing);

  const backend: SessionBackend = {
    async init() {
      await client.init(autoCreate);
    },
    async get(id): Promise<StoredSession | null> {
      const found = await client.get(id);
      if (!found) return null;
      return { payload: JSON.stringify(found.content), expiresAt: Number(found.expires) };
    },
    async put(id, { payload, expiresAt }) {
      if (typeof payload !== 'string') {
        throw new CorruptPayloadError('a 1.x client can only store JSON text; turn compression and encryption off');
      }
      await client.put(id, expiresAt, JSON.parse(payload));
    },
    async delete(id) {
      await client.delete(id);
    },
    async updateExpiry(id, expiresAt, now) {
      const found = await client.get(id);
      if (!found || !(Number(found.expires) > now)) return false;
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
