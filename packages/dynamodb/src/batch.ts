import type { BatchWriteItemCommandOutput, WriteRequest } from '@aws-sdk/client-dynamodb';
import { sleep as defaultSleep } from './concurrency';
import { UnprocessedItemsError } from './errors';
import type { Item } from './item';

/** BatchWriteItem's limit: at most 25 put or delete requests per call. */
export const BATCH_WRITE_LIMIT = 25;

/** Sends one BatchWriteItem request (the caller wraps errors). */
export type BatchWriteSender = (requestItems: Record<string, WriteRequest[]>) => Promise<BatchWriteItemCommandOutput>;

export interface BatchWriteOptions {
  tableName: string;
  /** Contract operation reported in errors, e.g. `"clear"`. */
  operation: string;
  send: BatchWriteSender;
  /** BatchWriteItem calls per chunk, the first included, before giving up on UnprocessedItems. Default 8. */
  maxAttempts?: number;
  /** Backoff before the 2nd call, in ms; doubles each time. Default 50. */
  baseDelayMs?: number;
  /** Longest backoff, in ms. Default 5000. */
  maxDelayMs?: number;
  /** For tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Sends up to 25 put or delete requests with BatchWriteItem. DynamoDB may
 * process only part of a batch (throttling) and return the rest as
 * `UnprocessedItems`: those are sent again after an exponential backoff with
 * full jitter, a bounded number of times, then an {@link UnprocessedItemsError}
 * is thrown.
 */
export async function batchWrite(requests: readonly WriteRequest[], options: BatchWriteOptions): Promise<void> {
  if (requests.length > BATCH_WRITE_LIMIT) {
    throw new RangeError(`BatchWriteItem takes at most ${BATCH_WRITE_LIMIT} requests; got ${requests.length}`);
  }
  if (requests.length === 0) return;
  const { tableName, send, maxAttempts = 8, baseDelayMs = 50, maxDelayMs = 5000, random = Math.random, sleep = defaultSleep } = options;
  let pending: WriteRequest[] = [...requests];
  for (let attempt = 1; ; attempt++) {
    const output = await send({ [tableName]: pending });
    pending = output.UnprocessedItems?.[tableName] ?? [];
    if (pending.length === 0) return;
    if (attempt >= maxAttempts) throw new UnprocessedItemsError(options.operation, tableName, pending.length, attempt);
    await sleep(Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))));
  }
}

/** Deletes up to 25 keys with {@link batchWrite}. */
export async function batchDelete(keys: readonly Item[], options: BatchWriteOptions): Promise<void> {
  if (keys.length > BATCH_WRITE_LIMIT) throw new RangeError(`batchDelete takes at most ${BATCH_WRITE_LIMIT} keys; got ${keys.length}`);
  return batchWrite(
    keys.map((key) => ({ DeleteRequest: { Key: key } })),
    options,
  );
}

/** Writes up to 25 whole items with {@link batchWrite} (unconditional, as BatchWriteItem always is). */
export async function batchPut(items: readonly Item[], options: BatchWriteOptions): Promise<void> {
  return batchWrite(
    items.map((item) => ({ PutRequest: { Item: item } })),
    options,
  );
}
