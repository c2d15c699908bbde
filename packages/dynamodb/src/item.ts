import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  isTombstone,
  type ListedSession,
  type SessionWrite,
  type StoredRecord,
  type StoredSession,
  type Tombstone,
} from '@connect-dynamodb-session/core';
import type { ItemSchema } from './options';

/** A DynamoDB item in the low-level wire shape. */
export type Item = Record<string, AttributeValue>;

/**
 * Expiry values above this are epoch milliseconds written by 1.x; values at or
 * below it are epoch seconds. 10^12 seconds is the year 33658 and 10^12 ms is
 * September 2001, before any 1.x release: a 1.x expiry (milliseconds, after
 * 2010) is always above it, and every expiry this backend writes (seconds, at
 * most 10^12: see {@link toEpochSeconds}) at or below it. A "never expires"
 * cookie (9999-12-31, 2.5 * 10^11 seconds) is read back as what it is.
 */
export const LEGACY_MS_THRESHOLD = 1e12;

/**
 * Epoch ms to the whole epoch seconds we store, rounded down: a stored expiry
 * is never later than the one asked for. Capped at {@link LEGACY_MS_THRESHOLD}
 * seconds (the core never asks for later: MAX_EXPIRES_AT), so that no value
 * written here is ever read back as milliseconds, a date in the past.
 */
export function toEpochSeconds(epochMs: number): number {
  return Math.min(Math.floor(epochMs / 1000), LEGACY_MS_THRESHOLD);
}

/** Epoch ms to the expiry we store: whole seconds, or whole milliseconds while 1.x instances share the table. */
export function toStoredExpiry(epochMs: number, schema: Pick<ItemSchema, 'expiryUnit'>): string {
  return String(schema.expiryUnit === 'milliseconds' ? Math.floor(epochMs) : toEpochSeconds(epochMs));
}

/** A stored expiry (seconds, or milliseconds from 1.x) to epoch ms; `null` when it is not a number. */
export function storedExpiryToMs(stored: string | undefined): number | null {
  if (stored === undefined) return null;
  const value = Number(stored);
  if (!Number.isFinite(value)) return null;
  return value > LEGACY_MS_THRESHOLD ? Math.floor(value) : Math.floor(value * 1000);
}

/** The primary key of the item for session `id`: prefixed partition key, plus the fixed sort key value if any. */
export function toKey(id: string, schema: ItemSchema): Item {
  const key: Item = { [schema.keyAttribute]: { S: schema.prefix + id } };
  if (schema.sortKey) key[schema.sortKey.name] = { S: schema.sortKey.value };
  return key;
}

/**
 * The whole item for a session: key, expiry (N), payload (S for text, B for
 * bytes), revision (N) and, when the session has one, its owner (S). Nothing
 * else: a PutItem of it drops whatever else the item held.
 */
export function toItem(id: string, { payload, expiresAt, owner }: SessionWrite, revision: number, schema: ItemSchema): Item {
  const item: Item = {
    ...toKey(id, schema),
    [schema.expiresAttribute]: { N: toStoredExpiry(expiresAt, schema) },
    [schema.contentAttribute]: typeof payload === 'string' ? { S: payload } : { B: payload },
    [schema.revisionAttribute]: { N: String(revision) },
  };
  // Only a session with an owner carries the attribute: the owner index is sparse, so anonymous sessions cost it nothing.
  if (owner !== undefined) item[schema.ownerAttribute] = { S: owner };
  return item;
}

/**
 * A tombstone: key and expiry, nothing else (no payload, no revision, no owner: it leaves the owner index). 1.x reads
 * an item without content as no session.
 */
export function toTombstoneItem(id: string, expiresAt: number, schema: ItemSchema): Item {
  return { ...toKey(id, schema), [schema.expiresAttribute]: { N: toStoredExpiry(expiresAt, schema) } };
}

/** A stored revision: a non-negative integer, or 0 when absent (written by 1.x, 2.0 or another store) or unreadable. */
export function revisionOf(item: Item, schema: ItemSchema): number {
  const value = Number(item[schema.revisionAttribute]?.N);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/**
 * The record an item holds: a session when it has a readable expiry and a
 * payload (S or B); a tombstone when it has a readable expiry and no payload
 * attribute at all (what `destroy` writes; 1.x's untouched stubs look the
 * same and mean the same: no session). `null` otherwise.
 */
export function fromItem(item: Item | undefined, schema: ItemSchema): StoredRecord | null {
  if (!item) return null;
  const expiresAt = storedExpiryToMs(item[schema.expiresAttribute]?.N);
  if (expiresAt === null) return null;
  const content = item[schema.contentAttribute];
  if (content === undefined) return { tombstone: true, expiresAt } satisfies Tombstone;
  const revision = revisionOf(item, schema);
  if (content.S !== undefined) return { payload: content.S, expiresAt, revision };
  if (content.B !== undefined) return { payload: content.B, expiresAt, revision };
  return null;
}

/** The session an item holds, or `null` for a tombstone or an unreadable item. */
export function sessionFromItem(item: Item | undefined, schema: ItemSchema): StoredSession | null {
  const record = fromItem(item, schema);
  return record === null || isTombstone(record) ? null : record;
}

/** The session id of an item's key (the prefix removed), or `null` when the key is not one of ours. */
export function idFromItem(item: Item, schema: ItemSchema): string | null {
  const key = item[schema.keyAttribute]?.S;
  if (key === undefined || !key.startsWith(schema.prefix)) return null;
  return key.slice(schema.prefix.length);
}

/** A listed session from a scanned item, or `null` when the item is not a readable session of ours. */
export function listedFromItem(item: Item, schema: ItemSchema): ListedSession | null {
  const id = idFromItem(item, schema);
  const stored = sessionFromItem(item, schema);
  return id === null || stored === null ? null : { id, ...stored };
}

/** Just the primary key attributes of a scanned item. */
export function keyOfItem(item: Item, schema: ItemSchema): Item {
  const key: Item = {};
  const hash = item[schema.keyAttribute];
  if (hash) key[schema.keyAttribute] = hash;
  if (schema.sortKey) {
    const range = item[schema.sortKey.name];
    if (range) key[schema.sortKey.name] = range;
  }
  return key;
}
