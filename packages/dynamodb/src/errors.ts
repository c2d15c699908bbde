import { BackendError } from '@connect-dynamodb-session/core';

/**
 * A DynamoDB request failed. `cause` is the AWS SDK error (its `name` is the
 * DynamoDB error code, e.g. `ResourceNotFoundException`); `command` is the
 * DynamoDB action that failed.
 */
export class DynamoDBBackendError extends BackendError {
  /** The DynamoDB action, e.g. `"GetItem"`. */
  readonly command: string;
  readonly tableName: string;

  constructor(operation: string, command: string, tableName: string, cause: unknown, message?: string) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(operation, cause, message ?? `DynamoDB ${command} on table "${tableName}" failed (${operation}): ${detail}`);
    this.command = command;
    this.tableName = tableName;
  }
}

/**
 * BatchWriteItem kept returning UnprocessedItems (or BatchGetItem UnprocessedKeys) after every retry (the table is
 * throttling). Some items were not deleted (or read).
 */
export class UnprocessedItemsError extends DynamoDBBackendError {
  /** How many requests were still unprocessed. */
  readonly unprocessed: number;

  constructor(operation: string, tableName: string, unprocessed: number, attempts: number, command = 'BatchWriteItem') {
    super(
      operation,
      command,
      tableName,
      undefined,
      `DynamoDB ${command} on table "${tableName}" (${operation}): ${unprocessed} item(s) still unprocessed after ${attempts} attempts; the table is throttling, try again later`,
    );
    this.unprocessed = unprocessed;
  }
}

/**
 * The existing table's key schema does not match `keyAttribute` / `sortKey`: every request would fail.
 * Found by the table checks (`operation` "init"), and then the error of each call that fails on it
 * (its `operation` and `command`, the AWS ValidationException as `cause`).
 */
export class TableSchemaError extends DynamoDBBackendError {
  constructor(tableName: string, message: string, failed?: { operation: string; command: string; cause: unknown }) {
    super(failed?.operation ?? 'init', failed?.command ?? 'DescribeTable', tableName, failed?.cause, message);
  }
}

/** Where the README explains the owner index: how to add it to a table, and the IAM actions it needs. */
export const OWNER_INDEX_DOCS = 'https://github.com/connect-dynamodb-session/connect-dynamodb-session#log-out-everywhere';

/**
 * `sessionsOf` or `destroySessionsOf` cannot query the owner index: the table
 * has no index of that name (`reason: 'missing'`), it is still being built
 * (`'not-active'`), or its partition key is not the owner attribute
 * (`'wrong-key'`). Saves are not affected. `cause` is the AWS error, if any.
 */
export class OwnerIndexError extends DynamoDBBackendError {
  readonly indexName: string;
  readonly reason: OwnerIndexProblem;

  constructor(tableName: string, indexName: string, reason: OwnerIndexProblem, cause?: unknown, detail = '') {
    super('listByOwner', 'Query', tableName, cause, ownerIndexMessage(tableName, indexName, reason, detail));
    this.indexName = indexName;
    this.reason = reason;
  }
}

export type OwnerIndexProblem = 'missing' | 'not-active' | 'wrong-key';

function ownerIndexMessage(tableName: string, indexName: string, reason: OwnerIndexProblem, detail: string): string {
  const what = {
    missing: `DynamoDB table "${tableName}" has no global secondary index "${indexName}" on the owner attribute, which sessionsOf() and destroySessionsOf() query (option "ownerIndexName")`,
    'not-active': `DynamoDB index "${indexName}" of table "${tableName}" is not ACTIVE yet (it is being built); sessionsOf() and destroySessionsOf() work once it is`,
    'wrong-key': `DynamoDB index "${indexName}" of table "${tableName}" does not have the owner attribute as its only key${detail ? ` (${detail})` : ''} (options "ownerIndexName" and "ownerAttribute")`,
  }[reason];
  return `${what}. See ${OWNER_INDEX_DOCS}`;
}

/** The table did not become ACTIVE in time. */
export class TableNotActiveError extends DynamoDBBackendError {
  constructor(tableName: string, status: string | undefined, waitedMs: number) {
    super(
      'init',
      'DescribeTable',
      tableName,
      undefined,
      `DynamoDB table "${tableName}" is still ${status ?? 'not ACTIVE'} after ${waitedMs} ms`,
    );
  }
}

/**
 * Whether `error` is the AWS error named `name`. Compares names rather than
 * using `instanceof`, so that it also holds for errors from a caller's own
 * copy of the SDK (an `awsClient` built with another version).
 */
export function isAwsError(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}
