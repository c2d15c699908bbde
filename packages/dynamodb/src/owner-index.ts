import type {
  BatchGetItemCommandInput,
  BatchGetItemCommandOutput,
  KeysAndAttributes,
  QueryCommandInput,
  QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { OwnedSession } from '@connect-dynamodb-session/core';
import { sleep as defaultSleep } from './concurrency';
import { DynamoDBBackendError, isAwsError, OwnerIndexError, UnprocessedItemsError } from './errors';
import { attributeMaps, type Expression, ownedBy, projection } from './expressions';
import { type Item, idFromItem, keyOfItem, storedExpiryToMs } from './item';
import type { ItemSchema, ResolvedDynamoDBOptions } from './options';

/**
 * The owner index: a global secondary index, partition key = the owner
 * attribute, projection KEYS_ONLY. It is sparse: an item without an owner
 * attribute (an anonymous session, a tombstone) is not in it.
 *
 * A Query on it yields keys only, possibly stale (a GSI is eventually
 * consistent, and cannot be read strongly). Every key it yields is then read
 * from the table (BatchGetItem) and kept only when the table still says that
 * owner: the index tells where to look, the table what is true.
 */

/** BatchGetItem's limit: at most 100 keys per call. */
export const BATCH_GET_LIMIT = 100;

/** Sends one Query request (the caller wraps errors). */
export type QuerySender = (input: QueryCommandInput) => Promise<QueryCommandOutput>;
/** Sends one BatchGetItem request (the caller wraps errors). */
export type BatchGetSender = (input: BatchGetItemCommandInput) => Promise<BatchGetItemCommandOutput>;

/** The stored owner is `owner`. Fails on a tombstone and on a session of nobody or of someone else. */
export function ownedByOwner(owner: string, schema: ItemSchema): Expression {
  return { text: '#owner = :owner', names: { '#owner': schema.ownerAttribute }, values: { ':owner': { S: owner } } };
}

/**
 * Every page of table keys the owner index lists for `owner`, following
 * `LastEvaluatedKey`. Items of other stores sharing the table (another prefix
 * or sort key value) are filtered out. A missing or still-building index
 * rejects with {@link OwnerIndexError}.
 */
export async function* queryOwnerKeys(send: QuerySender, owner: string, o: ResolvedDynamoDBOptions): AsyncGenerator<Item[]> {
  const condition = ownedByOwner(owner, o);
  const filter = ownedBy(o);
  const keys = projection([o.keyAttribute, ...(o.sortKey ? [o.sortKey.name] : [])]);
  const input: QueryCommandInput = {
    TableName: o.tableName,
    IndexName: o.ownerIndexName,
    KeyConditionExpression: condition.text,
    ProjectionExpression: keys.text,
    ...attributeMaps(condition, filter, keys),
  };
  if (filter) input.FilterExpression = filter.text;
  let startKey: QueryCommandInput['ExclusiveStartKey'];
  do {
    let page: QueryCommandOutput;
    try {
      page = await send(startKey ? { ...input, ExclusiveStartKey: startKey } : input);
    } catch (error) {
      throw ownerIndexErrorOf(error, o) ?? error;
    }
    yield (page.Items ?? []).map((item) => keyOfItem(item, o));
    startKey = page.LastEvaluatedKey && Object.keys(page.LastEvaluatedKey).length > 0 ? page.LastEvaluatedKey : undefined;
  } while (startKey);
}

/** An {@link OwnerIndexError} when `error` is DynamoDB saying the index does not exist or is not readable yet. */
export function ownerIndexErrorOf(error: unknown, o: ResolvedDynamoDBOptions): OwnerIndexError | undefined {
  // The sender may have wrapped the AWS error already.
  const aws = error instanceof DynamoDBBackendError ? error.cause : error;
  const message = String((aws as Error | undefined)?.message);
  if (isAwsError(aws, 'ValidationException')) {
    // DynamoDB (and dynalite): "The table does not have the specified index: NAME";
    // while backfilling: "Cannot read from backfilling global secondary index: NAME".
    if (/does not have the specified index/i.test(message)) return new OwnerIndexError(o.tableName, o.ownerIndexName, 'missing', aws);
    if (/backfilling/i.test(message)) return new OwnerIndexError(o.tableName, o.ownerIndexName, 'not-active', aws);
    // An index of that name keyed on another attribute: "Query condition missed key schema element: NAME".
    if (/missed key schema element/i.test(message)) return new OwnerIndexError(o.tableName, o.ownerIndexName, 'wrong-key', aws);
  }
  // moto: ResourceNotFoundException "Invalid index: NAME for table: TABLE" (a missing table says nothing of an index).
  if (isAwsError(aws, 'ResourceNotFoundException') && /\bindex\b/i.test(message)) {
    return new OwnerIndexError(o.tableName, o.ownerIndexName, 'missing', aws);
  }
  return undefined;
}

export interface BatchGetOptions {
  /** BatchGetItem calls per chunk, the first included, before giving up on UnprocessedKeys. Default 8. */
  maxAttempts?: number;
  /** Backoff before the 2nd call, in ms; doubles each time. Default 50. */
  baseDelayMs?: number;
  /** Longest backoff, in ms. Default 5000. */
  maxDelayMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Reads up to 100 keys from the table with BatchGetItem (strongly consistent
 * unless `consistentRead: false`), projecting the key, the expiry and the owner (a projection does not lower the RCUs: DynamoDB
 * charges the whole item). Keys DynamoDB leaves unprocessed (throttling) are
 * asked again after an exponential backoff with full jitter, a bounded number
 * of times, then {@link UnprocessedItemsError} is thrown.
 */
export async function batchGetOwned(
  send: BatchGetSender,
  keys: readonly Item[],
  o: ResolvedDynamoDBOptions,
  options: BatchGetOptions = {},
): Promise<Item[]> {
  if (keys.length > BATCH_GET_LIMIT) throw new RangeError(`batchGetOwned takes at most ${BATCH_GET_LIMIT} keys; got ${keys.length}`);
  if (keys.length === 0) return [];
  const { maxAttempts = 8, baseDelayMs = 50, maxDelayMs = 5000, random = Math.random, sleep = defaultSleep } = options;
  const attributes = projection([o.keyAttribute, ...(o.sortKey ? [o.sortKey.name] : []), o.expiresAttribute, o.ownerAttribute]);
  const request = (pending: Item[]): KeysAndAttributes => ({
    Keys: pending,
    ProjectionExpression: attributes.text,
    // Strong unless reads are eventual throughout: a session ended a moment ago is then never listed.
    ConsistentRead: o.consistentRead !== false,
    ...attributeMaps(attributes),
  });
  const found: Item[] = [];
  let pending: Item[] = [...keys];
  for (let attempt = 1; ; attempt++) {
    const output = await send({ RequestItems: { [o.tableName]: request(pending) } });
    found.push(...(output.Responses?.[o.tableName] ?? []));
    pending = output.UnprocessedKeys?.[o.tableName]?.Keys ?? [];
    if (pending.length === 0) return found;
    if (attempt >= maxAttempts) throw new UnprocessedItemsError('listByOwner', o.tableName, pending.length, attempt, 'BatchGetItem');
    await sleep(Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))));
  }
}

/**
 * The session an item read from the table is, when it still belongs to
 * `owner` and expires after `now`; `null` otherwise (ended, expired, saved
 * since with another owner or none, or not one of ours).
 */
export function ownedSessionOf(item: Item, owner: string, now: number, schema: ItemSchema): OwnedSession | null {
  if (item[schema.ownerAttribute]?.S !== owner) return null;
  const id = idFromItem(item, schema);
  const expiresAt = storedExpiryToMs(item[schema.expiresAttribute]?.N);
  if (id === null || expiresAt === null || !(expiresAt > now)) return null;
  return { id, expiresAt };
}
