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

/** BatchWriteItem kept returning UnprocessedItems after every retry (the table is throttling). Some items were not deleted. */
export class UnprocessedItemsError extends DynamoDBBackendError {
  /** How many delete requests were still unprocessed. */
  readonly unprocessed: number;

  constructor(operation: string, tableName: string, unprocessed: number, attempts: number) {
    super(
      operation,
      'BatchWriteItem',
      tableName,
      undefined,
      `DynamoDB BatchWriteItem on table "${tableName}" (${operation}): ${unprocessed} item(s) still unprocessed after ${attempts} attempts; the table is throttling, try again later`,
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
