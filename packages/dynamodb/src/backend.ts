import type { BatchGetItemCommandInput, DynamoDBClient, QueryCommandInput, ScanCommandInput } from '@aws-sdk/client-dynamodb';
import {
  BackendError,
  type BackendInfo,
  type CleanupResult,
  type GetOptions,
  type InitContext,
  isTombstone,
  type ListedSession,
  type OwnedSession,
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
import { DynamoDBBackendError, isAwsError, TableSchemaError } from './errors';
import {
  and,
  atRevision,
  attributeMaps,
  type Expression,
  expiredAt,
  hasContent,
  isSession,
  liveAt,
  noRecord,
  notExists,
  notTombstone,
  ownedBy,
  projection,
} from './expressions';
import { fromItem, type Item, keyOfItem, listedFromItem, toItem, toKey, toStoredExpiry, toTombstoneItem } from './item';
import { itemSize, MAX_ITEM_BYTES } from './item-size';
import { type DynamoDBBackendOptions, type ResolvedDynamoDBOptions, resolveOptions } from './options';
import { BATCH_GET_LIMIT, batchGetOwned, ownedByOwner, ownedSessionOf, queryOwnerKeys } from './owner-index';
import { type ScanSender, type ScanTally, scanItems, scanPages } from './scan';
import { sdk } from './sdk';
import { claimKeySpace, keyScopeOf, keySpaceOf, tableIdentity } from './shared-tables';
import { initTable, isTableProblem, missingTableMessage } from './table';

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
 * The constructor validates the options and makes no network call; the core
 * calls {@link init} when the store is constructed. With `autoCreate` every
 * operation waits for the table; without it none waits for the control plane.
 * get/create/replace/destroy/updateExpiry make exactly one request each
 * (`get` two at most with `consistentRead: 'eventual-then-strong'`).
 */
export class DynamoDBBackend implements SessionBackend {
  readonly options: ResolvedDynamoDBOptions;
  private readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  private initPromise: Promise<BackendInfo> | undefined;
  /** The background table checks (autoCreate off), resolving with what went wrong, if anything; unset after a failure to check. */
  private checks: Promise<BackendError | StoreClosedError | undefined> | undefined;
  /** What the checks found wrong with the table: explains the errors of the calls that fail. */
  private tableProblem: DynamoDBBackendError | undefined;
  /** Given to the core by init(); `expiresItemsNatively` is filled in when the TTL check answers. */
  private readonly info = { expiresItemsNatively: false };
  private closed = false;
  /** Aborted by close(): ends the table checks (and autoCreate's waits) in flight. */
  private readonly closing = new AbortController();
  /** Whether a store said (in init) that it saves owners. */
  private owners = false;

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
    if (this.options.upgradeFrom1x !== undefined) {
      this.options.log(
        `DynamoDB table "${this.options.tableName}": upgradeFrom1x "${this.options.upgradeFrom1x}": expiries written in ${this.options.expiryUnit}; cleanup scans run whatever the TTL setting`,
      );
    }
  }

  /**
   * With `autoCreate`: checks the table and creates it when it is missing, once; every operation
   * waits for it, and a failed attempt is retried by the next call.
   *
   * Without `autoCreate`: resolves at once, so that no request waits for the control plane. The
   * checks (DescribeTable, DescribeTimeToLive) run in the background; what they find (a missing
   * table, a wrong key schema) becomes the error of the calls that fail, and the TTL check only
   * decides whether the core's cleanup scans run (the returned info is updated when it answers).
   *
   * With `context.owners` (the store has `ownerOf`), `autoCreate` creates the owner index with the
   * table, and the checks report a table without it.
   */
  init(context?: InitContext): Promise<BackendInfo> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    if (context?.owners) this.owners = true;
    if (!this.options.autoCreate) {
      this.startChecks();
      return Promise.resolve(this.info);
    }
    if (!this.initPromise) {
      const attempt = initTable(this.client, this.options, { ownerIndex: this.owners }, this.closing.signal).then(
        (info) => {
          // TTL reads a millisecond expiry as the far future: during and after a 1.x rollout, cleanup scans delete those items.
          this.info.expiresItemsNatively = info.expiresItemsNatively === true && this.options.upgradeFrom1x === undefined;
          return this.info;
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

  /**
   * Waits for the table checks and resolves with what init() reports; rejects with what they found
   * (a missing table, {@link TableSchemaError}) or why they failed. With `autoCreate` it is init().
   * Nothing needs it: for a health check, or to fail fast at startup.
   */
  async checkTable(): Promise<BackendInfo> {
    if (this.options.autoCreate) return this.init();
    if (this.closed) throw new StoreClosedError();
    this.startChecks();
    const failure = await this.checks;
    if (failure) throw failure;
    return this.info;
  }

  /** Starts the background table checks unless they are running or have answered. */
  private startChecks(): void {
    if (this.checks) return;
    const run = initTable(this.client, this.options, { ownerIndex: this.owners }, this.closing.signal).then(
      (info) => {
        // As in init(): during and after a 1.x rollout, cleanup scans delete the millisecond expiries TTL cannot.
        this.info.expiresItemsNatively = info.expiresItemsNatively === true && this.options.upgradeFrom1x === undefined;
        this.tableProblem = undefined;
        return undefined;
      },
      (error: unknown) => {
        // Closed meanwhile: the checks were cut short on purpose, and there is nothing to report.
        if (error instanceof StoreClosedError) return error;
        const wrapped = error instanceof DynamoDBBackendError ? error : new BackendError('init', error);
        if (isTableProblem(wrapped)) {
          this.tableProblem = wrapped;
          this.options.err(wrapped.message, wrapped);
        } else {
          // Not an answer about the table (network, throttling): the next operation checks again.
          if (this.checks === run) this.checks = undefined;
          this.options.err(`DynamoDB table "${this.options.tableName}": the table checks failed; retried on the next request`, wrapped);
        }
        return wrapped;
      },
    );
    this.checks = run;
  }

  /**
   * The session or tombstone stored for `id`, read as `consistentRead` says; items written without a
   * revision (1.x, 2.0, connect-dynamodb) read as revision 0. With `{ latest: true }` (the core's
   * re-read after a failed conditional write, to merge against the write that beat it) always strong.
   */
  async get(id: string, options?: GetOptions): Promise<StoredRecord | null> {
    await this.init();
    const mode = this.options.consistentRead;
    const strong = mode === true || options?.latest === true;
    const found = await this.getItem(id, strong);
    // A miss on an eventual read may be a write of the last second (login, then redirect): ask again, strongly.
    const miss = found === null || (!isTombstone(found) && found.expiresAt <= Date.now());
    if (!strong && mode === 'eventual-then-strong' && miss) return this.getItem(id, true);
    return found;
  }

  private async getItem(id: string, consistent: boolean): Promise<StoredRecord | null> {
    const { Item } = await this.request('get', 'GetItem', () =>
      this.client.send(
        new (sdk().GetItemCommand)({ TableName: this.options.tableName, Key: toKey(id, this.options), ConsistentRead: consistent }),
      ),
    );
    return fromItem(Item, this.options);
  }

  /**
   * PutItem of revision 1, on condition that no record (session or tombstone, expired or not) exists:
   * no item (`attribute_not_exists`), or, tried only when there is an item, one that `get` reads as
   * nothing (corrupt), which it overwrites. Two steps because the simple condition is the one every
   * server evaluates atomically under concurrency (moto does not, for the longer one); the second
   * costs one more failed conditional write when a record exists.
   */
  async create(id: string, session: SessionWrite): Promise<boolean> {
    const item = this.checkedItem(id, session, 1);
    if (await this.conditionalPut('create', item, notExists(this.options))) return true;
    return this.conditionalPut('create', item, noRecord(this.options));
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
    await this.request('destroy', 'PutItem', () =>
      this.client.send(new (sdk().PutItemCommand)({ TableName: this.options.tableName, Item: item })),
    );
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
        new (sdk().UpdateItemCommand)({
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
    // Without autoCreate, the TTL check answers after init(): wait for it, so the info the core reads is settled.
    // The scan itself always runs when asked: the core skips it while TTL is on, and a direct call (deleting
    // 1.x items, which TTL never deletes, or the ones of an upgradeFrom1x rollout) must do its work.
    await this.checks;
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
   * Turns every item of this store (prefix and sort key respected) that is
   * not a tombstone (sessions, and corrupt items under our keys) into a
   * tombstone expiring at `tombstoneExpiresAt`: a Scan, then BatchWriteItem
   * PutRequests of `{ key, expires }` in chunks of 25. Existing tombstones are
   * left as they are. A session created after the Scan passed its key is not
   * cleared.
   */
  async clear(tombstoneExpiresAt: number): Promise<void> {
    await this.init();
    const o = this.options;
    const filter = and(notTombstone(o), ownedBy(o));
    const keys = projection([o.keyAttribute, ...(o.sortKey ? [o.sortKey.name] : [])]);
    const input: ScanCommandInput = { ...this.scanInput(filter), ProjectionExpression: keys.text, ...attributeMaps(filter, keys) };
    const items = scanItems(this.scanSender('clear'), input);
    const expires = { N: toStoredExpiry(tombstoneExpiresAt, o) };
    const send: BatchWriteSender = (requestItems) =>
      this.request('clear', 'BatchWriteItem', () => this.client.send(new (sdk().BatchWriteItemCommand)({ RequestItems: requestItems })));
    await forEachConcurrent(chunked(items, BATCH_WRITE_LIMIT), CLEAR_CONCURRENCY, (chunk) =>
      batchPut(
        chunk.map((item) => ({ ...keyOfItem(item, o), [o.expiresAttribute]: expires })),
        { tableName: o.tableName, operation: 'clear', send },
      ),
    );
  }

  /**
   * The sessions of `owner` expiring after `now`: a Query of the owner index
   * (KEYS_ONLY, eventually consistent, every page), then a BatchGetItem of the
   * keys it found (strongly consistent with `consistentRead`), keeping those
   * whose stored owner is still `owner`. A session saved in the last moment may
   * not be in the index yet. No Scan.
   */
  async *listByOwner(owner: string, now: number): AsyncIterable<OwnedSession> {
    await this.init();
    const o = this.options;
    const query = (input: QueryCommandInput) =>
      this.request('listByOwner', 'Query', () => this.client.send(new (sdk().QueryCommand)(input)));
    const batchGet = (input: BatchGetItemCommandInput) =>
      this.request('listByOwner', 'BatchGetItem', () => this.client.send(new (sdk().BatchGetItemCommand)(input)));
    // An item moved in the index while the Query paged (a re-save) may appear twice.
    const seen = new Set<string>();
    for await (const keys of queryOwnerKeys(query, owner, o)) {
      for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
        for (const item of await batchGetOwned(batchGet, keys.slice(i, i + BATCH_GET_LIMIT), o)) {
          const owned = ownedSessionOf(item, owner, now, o);
          if (owned === null || seen.has(owned.id)) continue;
          seen.add(owned.id);
          yield owned;
        }
      }
    }
  }

  /** PutItem of a tombstone on condition that the stored owner is `owner` (which a tombstone never has). */
  async destroyIfOwnedBy(id: string, owner: string, tombstoneExpiresAt: number): Promise<boolean> {
    return this.conditionalPut(
      'destroyIfOwnedBy',
      toTombstoneItem(id, tombstoneExpiresAt, this.options),
      ownedByOwner(owner, this.options),
    );
  }

  /**
   * Ends the table checks in flight (no table is created and nothing is reported after close), then
   * destroys the client this backend built; a client passed as `awsClient` is left alone. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new StoreClosedError());
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

  /** A conditional PutItem: `false` when its condition fails. */
  private async conditionalPut(operation: string, item: Item, condition: Expression): Promise<boolean> {
    await this.init();
    return this.conditional(operation, 'PutItem', () =>
      this.client.send(
        new (sdk().PutItemCommand)({
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
        new (sdk().DeleteItemCommand)({
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
        if (!isConditionFailure(error)) throw error;
        return false;
      }
    });
  }

  private scanInput(filter: { text: string }): ScanCommandInput {
    return { TableName: this.options.tableName, FilterExpression: filter.text };
  }

  private scanSender(operation: string): ScanSender {
    return (input) => this.request(operation, 'Scan', () => this.client.send(new (sdk().ScanCommand)(input)));
  }

  /** Runs one AWS request; wraps its failure, once, in a {@link DynamoDBBackendError} with the AWS error as `cause`. */
  private async request<T>(operation: string, command: string, send: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await send();
    } catch (error) {
      throw error instanceof SessionStoreError ? error : await this.explain(operation, command, error);
    }
    if (this.tableProblem) {
      // The table works after all (created or fixed since the checks ran): check again, to learn its TTL.
      this.tableProblem = undefined;
      this.checks = undefined;
      this.startChecks();
    }
    return result;
  }

  /** The error a failed call reports: what the table checks found, when the AWS error is a consequence of it. */
  private async explain(operation: string, command: string, error: unknown): Promise<DynamoDBBackendError> {
    const table = this.options.tableName;
    if (isAwsError(error, 'ResourceNotFoundException')) {
      return new DynamoDBBackendError(operation, command, table, error, missingTableMessage(table, this.options.autoCreate));
    }
    if (isAwsError(error, 'ValidationException') && !this.options.autoCreate) {
      await this.checks; // Usually answered long before; never rejects.
      const problem = this.tableProblem;
      if (problem instanceof TableSchemaError) return new TableSchemaError(table, problem.message, { operation, command, cause: error });
    }
    return new DynamoDBBackendError(operation, command, table, error);
  }
}

function isConditionFailure(error: unknown): boolean {
  // By name, not instanceof: the SDK is loaded lazily (./sdk), and a client the user built may come
  // from another copy of the SDK, whose exception classes are not ours.
  return isAwsError(error, 'ConditionalCheckFailedException');
}
