import { InvalidOwnerError } from './errors';
import { describeValue } from './options';

/** The `ownerOf` option: who a session belongs to (typically `(s) => s.userId`), or `undefined` for nobody. */
export type OwnerOf<S> = (session: S) => string | undefined;

/**
 * Longest owner accepted, in UTF-8 bytes. DynamoDB allows 2048 for an index
 * partition key; this leaves room, and matches the session id limit.
 */
export const MAX_OWNER_BYTES = 1024;

/**
 * What a save stores as the owner: `ownerOf(session)` checked, then mapped
 * (hashed with `hashIds`). `undefined` or `null` is no owner. Anything else
 * that is not a non-empty string of at most {@link MAX_OWNER_BYTES} throws
 * {@link InvalidOwnerError}: a number is not turned into a string, because an
 * owner that does not match later lookups would silently keep sessions alive
 * through a "log out everywhere".
 */
export function ownerToStore<S>(ownerOf: OwnerOf<S>, session: S, toStored: (owner: string) => string): string | undefined {
  let value: unknown;
  try {
    value = ownerOf(session);
  } catch (error) {
    throw new InvalidOwnerError('option "ownerOf" threw', { cause: error });
  }
  if (value === undefined || value === null) return undefined;
  if (typeof (value as { then?: unknown }).then === 'function') {
    // An async ownerOf: its rejection must not go unhandled, and its value comes too late for this save.
    (value as PromiseLike<unknown>).then(undefined, () => undefined);
    throw new InvalidOwnerError('option "ownerOf" returned a promise; it must return the owner synchronously (a string, or undefined)');
  }
  return toStored(checkedOwner(value, 'option "ownerOf" returned'));
}

/** The owner given to `sessionsOf` / `destroySessionsOf`, checked as `ownerOf`'s result is. */
export function ownerArgument(value: unknown): string {
  return checkedOwner(value, 'owner must be a non-empty string; got');
}

function checkedOwner(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOwnerError(
      `${what} ${typeof value === 'string' ? 'an empty string' : `${describeValue(value)} (${typeof value})`}; an owner is a non-empty string${
        typeof value === 'number' ? ' (convert it: (s) => s.userId && String(s.userId))' : ''
      }, or undefined for none`,
    );
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_OWNER_BYTES) {
    throw new InvalidOwnerError(`${what} an owner of ${bytes} bytes, over the limit of ${MAX_OWNER_BYTES} bytes (UTF-8)`);
  }
  return value;
}

/** The second argument of `destroySessionsOf`. */
export interface DestroySessionsOfOptions {
  /** A session id (as the cookie carries it, never a hash) to keep: usually the current request's. */
  except?: string;
}

/** Conditional destroys in flight at once during `destroySessionsOf`. */
export const OWNER_DESTROY_CONCURRENCY = 8;

/** Everything an owner listing yields, each id once (a listing that pages may see an item twice). */
export async function collectOwned<T extends { id: string }>(source: AsyncIterable<T>): Promise<T[]> {
  const byId = new Map<string, T>();
  for await (const item of source) if (!byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()];
}

/** Sort order of `sessionsOf`: the latest expiry first (with rolling sessions, the most recently used), then by id. */
export function latestFirst(a: { id: string; expiresAt: number }, b: { id: string; expiresAt: number }): number {
  return b.expiresAt - a.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Runs `task` on every item with at most `limit` in flight; the first failure is thrown once all in flight have settled. */
export async function eachConcurrently<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}
