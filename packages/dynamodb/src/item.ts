import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ListedSession, StoredSession } from '@connect-dynamodb-session/core';
import type { ItemSchema } from './options';

/** A DynamoDB item in the low-level wire shape. */
export type Item = Record<string, AttributeValue>;

/**
 * Expiry values above this are epoch milliseconds written by 1.x; values at or
 * below it are epoch seconds. 1e11 seconds is the year 5138 and 1e11 ms is
 * March 1973, so no real expiry of either kind falls on the wrong side.
 */
export const LEGACY_MS_THRESHOLD = 1e11;

/** Epoch ms to the whole epoch seconds we store, rounded down: a stored expiry is never later than the one asked for. */
export function toEpochSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
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

/** The whole item for a session: key, expiry (N, epoch seconds) and payload (S for text, B for bytes). Nothing else. */
export function toItem(id: string, { payload, expiresAt }: StoredSession, schema: ItemSchema): Item {
  return {
    ...toKey(id, schema),
    [schema.expiresAttribute]: { N: String(toEpochSeconds(expiresAt)) },
    [schema.contentAttribute]: typeof payload === 'string' ? { S: payload } : { B: payload },
  };
}

/**
 * The session an item holds, or `null` when the item lacks a readable expiry
 * or payload (1.x did the same; its untouched-stub items have no content).
 */
export function fromItem(item: Item | undefined, schema: ItemSchema): StoredSession | null {
  if (!item) return null;
  const expiresAt = storedExpiryToMs(item[schema.expiresAttribute]?.N);
  const content = item[schema.contentAttribute];
  if (expiresAt === null || !content) return null;
  if (content.S !== undefined) return { payload: content.S, expiresAt };
  if (content.B !== undefined) return { payload: content.B, expiresAt };
  return null;
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
  const stored = fromItem(item, schema);
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

/** A tombstone: the key and an expiry, nothing else (no payload, no owner: it leaves the owner index). */
export function tombstoneItem(id: string, expiresAt: number, schema: ItemSchema): Item {
  return { ...toKey(id, schema), [schema.expiresAttribute]: { N: String(toEpochSeconds(expiresAt)) } };
}
