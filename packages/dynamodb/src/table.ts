import type {
  AttributeDefinition,
  CreateTableCommandInput,
  DynamoDBClient,
  GlobalSecondaryIndex,
  KeySchemaElement,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { type BackendInfo, StoreClosedError } from '@connect-dynamodb-session/core';
import { sleep } from './concurrency';
import { DynamoDBBackendError, isAwsError, OwnerIndexError, TableNotActiveError, TableSchemaError } from './errors';
import type { ResolvedDynamoDBOptions } from './options';
import { sdk } from './sdk';

/** Longest wait for a new table to become ACTIVE, in ms. AWS usually needs a few seconds. */
export const TABLE_ACTIVE_TIMEOUT_MS = 120_000;

/**
 * Makes sure the table is usable, once, before the first operation:
 * DescribeTable; when the table is missing and `autoCreate` is on, CreateTable,
 * wait for ACTIVE and enable TTL; then DescribeTimeToLive to learn whether
 * DynamoDB deletes expired sessions by itself.
 *
 * Only ResourceNotFoundException means "missing": any other DescribeTable
 * error (access denied, network) is reported, never answered with a
 * CreateTable.
 *
 * `signal` (the backend's close()) ends the checks: they stop waiting for the
 * call in flight and for the pause between polls, reject with
 * StoreClosedError, report nothing, and make no further call (no table is
 * created after close).
 */
export async function initTable(
  client: DynamoDBClient,
  o: ResolvedDynamoDBOptions,
  needs: TableNeeds = NO_NEEDS,
  signal?: AbortSignal,
): Promise<BackendInfo> {
  try {
    return await checkTable(client, o, needs, signal);
  } catch (error) {
    if (signal?.aborted) throw new StoreClosedError();
    throw error;
  }
}

async function checkTable(
  client: DynamoDBClient,
  o: ResolvedDynamoDBOptions,
  needs: TableNeeds,
  signal?: AbortSignal,
): Promise<BackendInfo> {
  const table = o.tableName;
  let description: TableDescription | undefined;
  try {
    description = await describeTable(client, table, signal);
  } catch (error) {
    if (isAwsError(error, 'AccessDeniedException') && !o.autoCreate) {
      // Least-privilege setups may grant only item actions; the table is then taken on trust.
      o.err(
        `DynamoDB table "${table}": not allowed to DescribeTable, so its key schema and TTL were not checked`,
        wrap('DescribeTable', table, error),
      );
      return { expiresItemsNatively: await describeTtl(client, o, signal) };
    }
    throw wrap('DescribeTable', table, error);
  }

  // True when the table is being born now, by us or by a concurrent autoCreate (ResourceInUseException).
  let bornNow = false;
  if (description === undefined) {
    if (!o.autoCreate) {
      throw new DynamoDBBackendError('init', 'DescribeTable', table, notFound(table), missingTableMessage(table, false));
    }
    await createTable(client, o, needs, signal);
    bornNow = true;
    description = await waitUntilActive(client, table, signal);
  } else if (description.TableStatus === 'CREATING') {
    bornNow = o.autoCreate;
    description = await waitUntilActive(client, table, signal);
  }
  checkKeySchema(description, o);
  if (needs.ownerIndex) checkOwnerIndex(description, o);
  // TTL is switched on only for a table autoCreate made: an existing table's settings are its owner's business.
  if (bornNow) await enableTtl(client, o, signal);
  return { expiresItemsNatively: await describeTtl(client, o, signal) };
}

/** The message of every error caused by a missing table. */
export function missingTableMessage(table: string, autoCreate: boolean): string {
  return autoCreate
    ? `DynamoDB table "${table}" does not exist (it was deleted after autoCreate made it?)`
    : `DynamoDB table "${table}" does not exist (create it, or set autoCreate: true)`;
}

/** Whether an initTable failure is an answer about the table (missing, wrong key schema), not a failure to ask. */
export function isTableProblem(error: unknown): error is DynamoDBBackendError {
  return (
    error instanceof TableSchemaError || (error instanceof DynamoDBBackendError && isAwsError(error.cause, 'ResourceNotFoundException'))
  );
}

function wrap(command: string, table: string, error: unknown): DynamoDBBackendError {
  return error instanceof DynamoDBBackendError ? error : new DynamoDBBackendError('init', command, table, error);
}

function notFound(table: string): Error {
  const error = new Error(`Requested resource not found: Table: ${table} not found`);
  error.name = 'ResourceNotFoundException';
  return error;
}

/**
 * `call`, or the signal's reason as soon as it aborts. The call itself is not
 * given the signal: `client.send(command, options)` clears the client's cached
 * middleware stacks (cacheMiddleware), which every data call would then build
 * again. A call left behind settles on its own (a client the backend built is
 * destroyed by close() anyway); its result is ignored.
 */
function untilClosed<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return call;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The table description, or `undefined` when the table does not exist. */
async function describeTable(client: DynamoDBClient, table: string, signal?: AbortSignal): Promise<TableDescription | undefined> {
  try {
    const output = await untilClosed(client.send(new (sdk().DescribeTableCommand)({ TableName: table })), signal);
    return output.Table;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/** What the store will use the table for, beyond sessions by id. */
export interface TableNeeds {
  /** The store has `ownerOf`: `autoCreate` creates the owner index with the table, and init checks that it exists. */
  ownerIndex: boolean;
}

const NO_NEEDS: TableNeeds = { ownerIndex: false };

/**
 * The owner index: sparse (only items with an owner attribute are in it) and
 * KEYS_ONLY, so that only a change of owner writes to it. A touch sets the
 * expiry, which is not projected, and costs the index nothing.
 */
export function ownerIndexDefinition(o: ResolvedDynamoDBOptions): GlobalSecondaryIndex {
  const index: GlobalSecondaryIndex = {
    IndexName: o.ownerIndexName,
    KeySchema: [{ AttributeName: o.ownerAttribute, KeyType: 'HASH' }],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  };
  // An index of a provisioned table has its own capacity; an index that throttles throttles the table's writes too.
  if (o.billingMode === 'PROVISIONED') {
    index.ProvisionedThroughput = { ReadCapacityUnits: o.readCapacity, WriteCapacityUnits: o.writeCapacity };
  }
  return index;
}

/** Creates the table. Another process creating it first (ResourceInUseException) is fine. */
async function createTable(client: DynamoDBClient, o: ResolvedDynamoDBOptions, needs: TableNeeds, signal?: AbortSignal): Promise<void> {
  const attributes: AttributeDefinition[] = [{ AttributeName: o.keyAttribute, AttributeType: 'S' }];
  const keySchema: KeySchemaElement[] = [{ AttributeName: o.keyAttribute, KeyType: 'HASH' }];
  if (o.sortKey) {
    attributes.push({ AttributeName: o.sortKey.name, AttributeType: 'S' });
    keySchema.push({ AttributeName: o.sortKey.name, KeyType: 'RANGE' });
  }
  const input: CreateTableCommandInput = {
    TableName: o.tableName,
    AttributeDefinitions: attributes,
    KeySchema: keySchema,
    BillingMode: o.billingMode,
  };
  if (o.billingMode === 'PROVISIONED') {
    input.ProvisionedThroughput = { ReadCapacityUnits: o.readCapacity, WriteCapacityUnits: o.writeCapacity };
  }
  if (needs.ownerIndex) {
    attributes.push({ AttributeName: o.ownerAttribute, AttributeType: 'S' });
    input.GlobalSecondaryIndexes = [ownerIndexDefinition(o)];
  }
  try {
    await untilClosed(client.send(new (sdk().CreateTableCommand)(input)), signal);
    o.log(`DynamoDB table "${o.tableName}" created (${o.billingMode}${needs.ownerIndex ? `, with index "${o.ownerIndexName}"` : ''})`);
  } catch (error) {
    if (isAwsError(error, 'ResourceInUseException')) {
      o.log(`DynamoDB table "${o.tableName}" is being created by another process`);
      return;
    }
    throw wrap('CreateTable', o.tableName, error);
  }
}

/** Polls DescribeTable until ACTIVE, with growing delays, for at most {@link TABLE_ACTIVE_TIMEOUT_MS}. */
async function waitUntilActive(client: DynamoDBClient, table: string, signal?: AbortSignal): Promise<TableDescription> {
  const started = Date.now();
  let delay = 100;
  let status: string | undefined;
  for (;;) {
    // Right after CreateTable, DescribeTable may briefly answer ResourceNotFoundException (eventual consistency).
    const description = await describeTable(client, table, signal).catch((error: unknown) => {
      throw wrap('DescribeTable', table, error);
    });
    status = description?.TableStatus;
    // An index created with the table is usable once it is ACTIVE too.
    const indexesActive = (description?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE' || index.IndexStatus === undefined,
    );
    if (description && status === 'ACTIVE' && indexesActive) return description;
    const waited = Date.now() - started;
    if (waited >= TABLE_ACTIVE_TIMEOUT_MS) throw new TableNotActiveError(table, status, waited);
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 2000);
  }
}

/** Refuses a table whose key schema differs from the options: every item request would fail on it. */
function checkKeySchema(description: TableDescription, o: ResolvedDynamoDBOptions): void {
  const hash = description.KeySchema?.find((k) => k.KeyType === 'HASH');
  const range = description.KeySchema?.find((k) => k.KeyType === 'RANGE');
  if (!hash) return; // Some emulators omit it; nothing to compare.
  const expected = `partition key "${o.keyAttribute}"${o.sortKey ? ` and sort key "${o.sortKey.name}"` : ' and no sort key'}`;
  const actual = `partition key "${hash.AttributeName}"${range ? ` and sort key "${range.AttributeName}"` : ' and no sort key'}`;
  if (hash.AttributeName !== o.keyAttribute || range?.AttributeName !== o.sortKey?.name) {
    throw new TableSchemaError(
      o.tableName,
      `DynamoDB table "${o.tableName}" has ${actual}, but the options say ${expected} (options "keyAttribute" and "sortKey")`,
    );
  }
  for (const name of [o.keyAttribute, o.sortKey?.name]) {
    const type = description.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
    if (name !== undefined && type !== undefined && type !== 'S') {
      throw new TableSchemaError(
        o.tableName,
        `DynamoDB table "${o.tableName}": key attribute "${name}" has type ${type}; sessions need type S`,
      );
    }
  }
}

/**
 * With `ownerOf`, the owner index must exist with the owner attribute as its
 * only key. What is wrong is reported through `err`, never thrown: saves work
 * without the index, and the first `sessionsOf` or `destroySessionsOf` fails
 * with {@link OwnerIndexError}.
 */
function checkOwnerIndex(description: TableDescription, o: ResolvedDynamoDBOptions): void {
  const index = description.GlobalSecondaryIndexes?.find((i) => i.IndexName === o.ownerIndexName);
  if (!index) {
    const error = new OwnerIndexError(o.tableName, o.ownerIndexName, 'missing');
    o.err(error.message, error);
    return;
  }
  const hash = index.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = index.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if ((hash !== undefined && hash !== o.ownerAttribute) || range !== undefined) {
    const detail = `its partition key is "${hash}"${range ? ` and its sort key "${range}"` : ''}, not "${o.ownerAttribute}" alone`;
    const error = new OwnerIndexError(o.tableName, o.ownerIndexName, 'wrong-key', undefined, detail);
    o.err(error.message, error);
    return;
  }
  if (index.Projection?.ProjectionType !== undefined && index.Projection.ProjectionType !== 'KEYS_ONLY') {
    o.log(
      `DynamoDB table "${o.tableName}": index "${o.ownerIndexName}" projects ${index.Projection.ProjectionType}; KEYS_ONLY is enough, and with it a touch costs the index nothing`,
    );
  }
}

/** Enables TTL on the expiry attribute. Best effort: a failure is logged, and cleanup scans take over. */
async function enableTtl(client: DynamoDBClient, o: ResolvedDynamoDBOptions, signal?: AbortSignal): Promise<void> {
  try {
    await untilClosed(
      client.send(
        new (sdk().UpdateTimeToLiveCommand)({
          TableName: o.tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: o.expiresAttribute },
        }),
      ),
      signal,
    );
    o.log(`DynamoDB table "${o.tableName}": TTL enabled on attribute "${o.expiresAttribute}"`);
  } catch (error) {
    if (signal?.aborted) throw error;
    if (isAwsError(error, 'UnknownOperationException')) {
      o.log(
        `DynamoDB table "${o.tableName}": this server does not support UpdateTimeToLive (a local emulator?); cleanup scans remove expired sessions`,
      );
    } else if (isAwsError(error, 'ValidationException')) {
      // Already enabled, or being enabled by a concurrent autoCreate: DescribeTimeToLive tells which.
      o.log(`DynamoDB table "${o.tableName}": UpdateTimeToLive refused (${(error as Error).message})`);
    } else {
      o.err(
        `DynamoDB table "${o.tableName}": could not enable TTL on "${o.expiresAttribute}"`,
        wrap('UpdateTimeToLive', o.tableName, error),
      );
    }
  }
}

/**
 * Whether DynamoDB deletes expired sessions by itself: TTL is ENABLED (or
 * ENABLING) on the expiry attribute. Best effort: on any failure, `false`, and
 * the core runs cleanup scans.
 */
async function describeTtl(client: DynamoDBClient, o: ResolvedDynamoDBOptions, signal?: AbortSignal): Promise<boolean> {
  const table = o.tableName;
  try {
    const { TimeToLiveDescription: ttl } = await untilClosed(
      client.send(new (sdk().DescribeTimeToLiveCommand)({ TableName: table })),
      signal,
    );
    const status = ttl?.TimeToLiveStatus;
    if ((status === 'ENABLED' || status === 'ENABLING') && ttl?.AttributeName === o.expiresAttribute) {
      o.log(
        `DynamoDB table "${table}": TTL is ${status} on "${o.expiresAttribute}", so DynamoDB deletes expired sessions; no cleanup scans`,
      );
      return true;
    }
    if (status === 'ENABLED' || status === 'ENABLING') {
      o.err(
        `DynamoDB table "${table}": TTL is on attribute "${ttl?.AttributeName}", not on "${o.expiresAttribute}" (option "expiresAttribute"); cleanup scans remove expired sessions`,
        undefined,
      );
      return false;
    }
    o.log(`DynamoDB table "${table}": TTL is ${status ?? 'unknown'} on "${o.expiresAttribute}"; cleanup scans remove expired sessions`);
    return false;
  } catch (error) {
    if (signal?.aborted) throw error;
    if (isAwsError(error, 'UnknownOperationException')) {
      o.log(`DynamoDB table "${table}": this server does not support DescribeTimeToLive; cleanup scans remove expired sessions`);
    } else {
      o.err(
        `DynamoDB table "${table}": could not read its TTL settings; cleanup scans remove expired sessions`,
        wrap('DescribeTimeToLive', table, error),
      );
    }
    return false;
  }
}
