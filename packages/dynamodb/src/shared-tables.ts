import { InvalidOptionError } from '@connect-dynamodb-session/core';
import type { ResolvedDynamoDBOptions } from './options';

/**
 * Stores that share a table stay apart by their keys: each owns the items
 * whose partition key starts with its `prefix` (and that carry its sort key
 * value). When one store's prefix starts with another's (`''` and `'shop:'`,
 * or `'app:'` and `'app:admin:'`) and the sort key values are the same, the
 * shorter prefix owns the longer one's items too: its `length()`, `ids()`,
 * `all()`, cleanup and `clear()` reach them, and `get('admin:X')` reads the
 * other store's session `X`. Nothing in an item says which store wrote it, so
 * this cannot be told apart once written.
 *
 * What can be told: two such backends in one process. The second is refused
 * at construction. Backends in other processes are not seen (documented in
 * the README, "Table schema and TTL").
 */

/** The part of a backend's options that decides which items are its own. */
export interface KeySpace {
  readonly prefix: string;
  /** The fixed sort key value, or `undefined` for a table without a sort key. */
  readonly sortKeyValue: string | undefined;
}

/**
 * True when two different stores in one table would own each other's items:
 * same sort key value (or none), and one prefix starts with the other. Equal
 * key spaces are the same store (several instances of one app), not a
 * conflict.
 */
export function keySpacesOverlap(a: KeySpace, b: KeySpace): boolean {
  if (a.sortKeyValue !== b.sortKeyValue) return false;
  if (a.prefix === b.prefix) return false;
  return a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
}

/**
 * The string that {@link SessionBackend.keyScope} gives the core: the prefix
 * and the sort key value (not the table name: a table restored from a backup
 * under a new name must still decrypt).
 */
export function keyScopeOf(space: KeySpace): string {
  return JSON.stringify([space.prefix, space.sortKeyValue ?? null]);
}

export function keySpaceOf(options: Pick<ResolvedDynamoDBOptions, 'prefix' | 'sortKey'>): KeySpace {
  return { prefix: options.prefix, sortKeyValue: options.sortKey?.value };
}

interface Registered {
  readonly space: KeySpace;
  /** Weak: a backend dropped without close() does not stay registered for ever. */
  readonly owner: WeakRef<object>;
}

const byTable = new Map<string, Set<Registered>>();
const clientIds = new WeakMap<object, number>();
let nextClientId = 0;

/**
 * Which table a backend talks to, as far as this process can tell: the table
 * name with the endpoint or region of the client it builds, or with the
 * identity of the `awsClient` it was given (two clients to one table are not
 * recognised as one).
 */
export function tableIdentity(
  options: Pick<ResolvedDynamoDBOptions, 'tableName' | 'awsClient' | 'endpoint' | 'region' | 'clientConfig'>,
): string {
  if (options.awsClient !== undefined) {
    let id = clientIds.get(options.awsClient);
    if (id === undefined) {
      id = nextClientId++;
      clientIds.set(options.awsClient, id);
    }
    return JSON.stringify(['client', id, options.tableName]);
  }
  const configRegion = typeof options.clientConfig.region === 'string' ? options.clientConfig.region : undefined;
  const configEndpoint = typeof options.clientConfig.endpoint === 'string' ? options.clientConfig.endpoint : undefined;
  return JSON.stringify(['built', options.endpoint ?? configEndpoint ?? '', options.region ?? configRegion ?? '', options.tableName]);
}

/**
 * Registers `owner` as the store of `space` in `table`; throws an
 * {@link InvalidOptionError} (option `prefix`) when a live backend of this
 * process already owns an overlapping key space there. Returns the function
 * that unregisters it (on close).
 */
export function claimKeySpace(table: string, tableName: string, space: KeySpace, owner: object): () => void {
  const registered = byTable.get(table) ?? new Set<Registered>();
  for (const entry of registered) {
    if (entry.owner.deref() === undefined) registered.delete(entry);
    else if (keySpacesOverlap(space, entry.space)) {
      const [shorter, longer] = space.prefix.length < entry.space.prefix.length ? [space, entry.space] : [entry.space, space];
      throw new InvalidOptionError(
        'prefix',
        `option "prefix" ${JSON.stringify(space.prefix)} overlaps the prefix ${JSON.stringify(entry.space.prefix)} of another store on table "${tableName}"${space.sortKeyValue === undefined ? '' : ` with the same sort key value`}: the store with prefix ${JSON.stringify(shorter.prefix)} would count, list, read and clear the items of the one with ${JSON.stringify(longer.prefix)}. Use prefixes neither of which starts with the other (e.g. "shop:" and "admin:"), different sort key values, or close() the other store first`,
      );
    }
  }
  const entry: Registered = { space, owner: new WeakRef(owner) };
  registered.add(entry);
  byTable.set(table, registered);
  return () => {
    registered.delete(entry);
    if (registered.size === 0 && byTable.get(table) === registered) byTable.delete(table);
  };
}
