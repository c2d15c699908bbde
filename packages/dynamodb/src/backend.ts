import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BackendError,
  type BackendInfo,
  type CleanupResult,
  type ListedSession,
  PayloadTooLargeError,
  redactId,
  type SessionBackend,
  SessionStoreError,
  type SessionWrite,
  StoreClosedError,
  type StoredRecord,
} from '@connect-dynamodb-session/core';
import { BATCH_WRITE_LIMIT, type BatchWriteSender, batchPut } from './batch';
import { buildClient } from './client';
import { chunked, forEachConcurrent } from './concurrency';
import { DynamoDBBackendError, isAwsError } from './errors';
import {
  and,
  atRevision,
  attributeMaps,
  type Expression,
  expiredAt,
  hasContent,
  isSession,
  liveAt,
  notExists,
  ownedBy,
  projection,
} from './expressions';
import { fromItem, type Item, keyOfItem, listedFromItem, toItem, toKey, toStoredExpiry, toTombstoneItem } from './item';
import { itemSize, MAX_ITEM_BYTES } from './item-size';
import { type DynamoDBBackendOptions, type ResolvedDynamoDBOptions, resolveOptions } from './options';
import { type ScanSender, type ScanTally, scanItems, scanPages } from './scan';
import { claimKeySpace, keyScopeOf, keySpaceOf, tableIdentity } from './shared-tables';
import { initTable } from './table';

/** Conditional DeleteItems in flight at once during a cleanup. */
export const CLEANUP_CONCURRENCY = 10;
/** BatchWriteItem calls in flight at once during a clear. */
export const CLEAR_CONCURRENCY = 4;

/**
 * Sessions in an Amazon DynamoDB table, one item per session:
 * `{ id: S, expires: N (epoch seconds, the TTL attribute), content: S | B, rev: N }`
 * with configurable names, an optional key prefix and an optional fixed sort
 * key; a destroyed session leaves a tombstone `{ id, expires }` (no content)
 * that refuses every write until it expires (docs/write-protocol.md).
 * Compatible with tables written by connect-dynamodb-session 1.x.
 *
 * The constructor validates the options and makes no network call. The first
 * operation runs {@link init} (DescribeTable, and with `autoCreate`
 * CreateTable + UpdateTimeToLive) once; get/create/replace/destroy/updateExpiry
 * then make exactly one request each.
 */
export class DynamoDBBackend implements SessionBackend {
  readonly options: ResolvedDynamoDBOptions;
  private readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  private initPromise: Promise<BackendInfo> | undefined;
  private closed = false;

  /** The prefix and sort key value, bound into every encrypted payload by the core (see the backend contract). */
  readonly keyScope: string;
  private readonly releaseKeySpace: () => void;

  constructor(options: DynamoDBBackendOptions) {
    this.options = resolveOptions(options);
    const space = keySpaceOf(this.options);
    this.keyScope = keyScopeOf(space);
    // Refuses a prefix that overlaps another live store's on the same table in this process (see shared-tables.ts).
    this.releaseKeySpace = claimKeySpace(tableIdentity(this.options), this.options.tableName, space, this);
    this.ownsClient = this.options.awsClient === undefined;
    this.client = this.options.awsClient ?? buildClient(this.options);
  }

  /** Checks (and with `autoCreate`, creates) the table, once; a failed attempt is retried by the next call. */
  init(): Promise<BackendInfo> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (!this.initPromise) {
      const attempt = initTable(this.client, this.options).then(
        (info) => {
          const phase = this.options.upgradeFrom1x;
          if (phase === undefined) return info;
          // TTL reads a millisecond expiry as the far future: during and after a 1.x rollout, cleanup scans delete those items.
          this.options.log(
            `DynamoDB table "${this.options.tableName}": upgradeFrom1x "${phase}": expiries written in ${this.options.expiryUnit}; cleanup scans run whatever the TTL setting`,
          );
          return { ...info, expiresItemsNatively: false };
        },
        (error: unknown) => {
          throw error instanceof SessionStoreError ? error : new BackendError('init', error);
        },
      );
      this.initPromise = attempt;
      attempt.catch(() => {
        if (this.initPromise === attempt) this.initPromise = undefined;
      });
    }
    return this.initPromise;
  }

  /** The session or tombstone stored for `id`; items written without a revision (1.x, 2.0, connect-dynamodb) read as revision 0. */
  async get(id: string): Promise<StoredRecord | null> {
    await this.init();
    const { Item } = await this.request('get', 'GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: toKey(id, this.options),
          ConsistentRead: this.options.consistentRead,
        }),
      ),
    );
    return fromItem(Item, this.options);
  }

  /** PutItem of revision 1, on condition that no item at all (session or tombstone) exists. */
  async create(id: string, session: SessionWrite): Promise<boolean> {
    return this.conditionalPut('create', this.checkedItem(id, session, 1), notExists(this.options));
  }

  /**
   * PutItem of revision `expectedRevision + 1`, on condition that a session at
   * `expectedRevision` is stored (0: one without a revision attribute).
   */
  async replace(id: string, session: SessionWrite, expectedRevision: number): Promise<boolean> {
    if (!Number.isSafeInteger(expectedRevision) || expectedRevision < 0) {
      throw new RangeError(`expectedRevision must be a non-negative integer; got ${String(expectedRevision)}`);
    }
    return this.conditionalPut('replace', this.checkedItem(id, session, expectedRevision + 1), atRevision(expectedRevision, this.options));
  }

  /**
   * Unconditional PutItem of the tombstone `{ key, expires }`: it replaces
   * whatever was stored, so every other attribute (payload, revision, any
   * indexed attribute) leaves the item.
   */
  async destroy(id: string, tombstoneExpiresAt: number): Promise<void> {
    const item = toTombstoneItem(id, tombstoneExpiresAt, this.options);
    await this.init();
    await this.request('destroy', 'PutItem', () => this.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item })));
  }

  /**
   * UpdateItem SET expiry, on condition that a session (an item with a payload:
   * never a tombstone) exists and is live at `now`: never creates, never
   * revives, never touches the payload or the revision.
   */
  async updateExpiry(id: string, expiresAt: number, now: number): Promise<boolean> {
    await this.init();
    const condition = and(isSession(this.options), liveAt(now, this.options));
    const update: Expression = {
      text: 'SET #exp = :newExpiry',
      names: { '#exp': this.options.expiresAttribute },
      values: { ':newExpiry': { N: toStoredExpiry(expiresAt, this.options) } },
    };
    return this.conditional('updateExpiry', 'UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: toKey(id, this.options),
          UpdateExpression: update.text,
          ConditionExpression: condition.text,
          ...attributeMaps(condition, update),
        }),
      ),
    );
  }

  /**
   * Scans the whole table (every page), finds this store's expired items
   * (sessions and tombstones, expiry in seconds or 1.x's milliseconds) and
   * deletes each with a condition that it is still expired: an item refreshed
   * meanwhile is spared. Costs the RCUs of reading the whole table.
   */
  async deleteExpired(now: number): Promise<CleanupResult> {
    await this.init();
    const o = this.options;
    const filter = and(expiredAt(now, o), ownedBy(o));
    const keys = projection([o.keyAttribute, ...(o.sortKey ? [o.sortKey.name] : []), o.expiresAttribute]);
    const tally: ScanTally = { scanned: 0, pages: 0 };
    const items = scanItems(
      this.scanSender('deleteExpired'),
      { ...this.scanInput(filter), ProjectionExpression: keys.text, ...attributeMaps(filter, keys) },
      tally,
    );
    let deleted = 0;
    await forEachConcurrent(items, CLEANUP_CONCURRENCY, async (item) => {
      if (await this.deleteIfExpired(keyOfItem(item, o), now)) deleted++;
    });
    return { scanned: tally.scanned, deleted };
  }

  /** Every live session of this store, by a Scan of the whole table (eventually consistent). */
  async *list(now: number): AsyncIterable<ListedSession> {
    await this.init();
    const o = this.options;
    const filter = and(liveAt(now, o), hasContent(o), ownedBy(o));
    const attributes = projection([o.keyAttribute, o.expiresAttribute, o.contentAttribute, o.revisionAttribute]);
    const input = { ...this.scanInput(filter), ProjectionExpression: attributes.text, ...attributeMaps(filter, attributes) };
    for await (const item of scanItems(this.scanSender('list'), input)) {
      const listed = listedFromItem(item, o);
      if (listed) yield listed;
    }
  }

  /** How many live sessions this store has: a Scan with Select COUNT (costs as much as reading the whole table). */
  async count(now: number): Promise<number> {
    await this.init();
    const o = this.options;
    const filter = and(liveAt(now, o), hasContent(o), ownedBy(o));
    const input: ScanCommandInput = { ...this.scanInput(filter), Select: 'COUNT', ...attributeMaps(filter) };
    let count = 0;
    for await (const page of scanPages(this.scanSender('count'), input)) count += page.Count ?? 0;
    return count;
  }

  /**
   * Turns every session of this store (prefix and sort key respected) into a
   * tombstone expiring at `tombstoneExpiresAt`: a Scan for items with a
   * payload, then BatchWriteItem PutRequests of `{ key, expires }` in chunks of
   * 25. Existing tombstones are left as they are. A session created after the
   * Scan passed its key is not cleared.
   */
  async clear(tombstoneExpiresAt: number): Promise<void> {
    await this.init();
    const o = this.options;
    const filter = and(hasContent(o), ownedBy(o));
    const keys = projection([o.keyAttribute, ...(o.sortKey ? [o.sortKey.name] : [])]);
    const input: ScanCommandInput = { ...this.scanInput(filter), ProjectionExpression: keys.text, ...attributeMaps(filter, keys) };
    const items = scanItems(this.scanSender('clear'), input);
    const expires = { N: toStoredExpiry(tombstoneExpiresAt, o) };
    const send: BatchWriteSender = (requestItems) =>
      this.request('clear', 'BatchWriteItem', () => this.client.send(new BatchWriteItemCommand({ RequestItems: requestItems })));
    await forEachConcurrent(chunked(items, BATCH_WRITE_LIMIT), CLEAR_CONCURRENCY, (chunk) =>
      batchPut(
        chunk.map((item) => ({ ...keyOfItem(item, o), [o.expiresAttribute]: expires })),
        { tableName: o.tableName, operation: 'clear', send },
      ),
    );
  }

  /** Destroys the client this backend built; a client passed as `awsClient` is left alone. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseKeySpace();
    if (this.ownsClient) this.client.destroy();
  }

  /** The item for `session` at `revision`, refused before anything is sent when it is over DynamoDB's 400 KB limit. */
  private checkedItem(id: string, session: SessionWrite, revision: number): Item {
    const item = toItem(id, session, revision, this.options);
    const size = itemSize(item);
    if (size > MAX_ITEM_BYTES) throw new PayloadTooLargeError(size, MAX_ITEM_BYTES, `DynamoDB item for session sid:${redactId(id)}`);
    return item;
  }

  private async conditionalPut(operation: string, item: Item, condition: Expression): Promise<boolean> {
    await this.init();
    return this.conditional(operation, 'PutItem', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: condition.text,
          ...attributeMaps(condition),
        }),
      ),
    );
  }

  private async deleteIfExpired(key: Item, now: number): Promise<boolean> {
    const condition = expiredAt(now, this.options);
    // A failed condition: refreshed (or deleted) since the scan saw it, so spared, not an error.
    return this.conditional('deleteExpired', 'DeleteItem', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: key,
          ConditionExpression: condition.text,
          ...attributeMaps(condition),
        }),
      ),
    );
  }

  /** Sends a conditional write: `true` when it was applied, `false` when its condition failed (never an error). */
  private conditional(operation: string, command: string, send: () => Promise<unknown>): Promise<boolean> {
    return this.request(operation, command, async () => {
      try {
        await send();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    });
  }

  private scanInput(filter: { text: string }): ScanCommandInput {
    return { TableName: this.options.tableName, FilterExpression: filter.text };
  }

  private scanSender(operation: string): ScanSender {
    return (input) => this.request(operation, 'Scan', () => this.client.send(new ScanCommand(input)));
  }

  /** Runs one AWS request; wraps its failure, once, in a {@link DynamoDBBackendError} with the AWS error as `cause`. */
  private async request<T>(operation: string, command: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw error instanceof SessionStoreError ? error : new DynamoDBBackendError(operation, command, this.options.tableName, error);
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || isAwsError(error, 'ConditionalCheckFailedException');
}
