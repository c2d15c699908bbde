import { assertOptionsObject, type SessionStoreOptions } from '@connect-dynamodb-session/core';
import { DYNAMODB_OPTION_KEYS, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';

/**
 * Options of the store: the 1.x options, unchanged, plus the new ones. One flat
 * object. The DynamoDB options (tableName, region, endpoint, awsClient,
 * autoCreate, capacities, consistentRead, key layout, timeouts) configure the
 * built-in DynamoDB backend; every other option configures the core store
 * (ttl, touchAfter, cleanupInterval, serializer, err, log, ...). Every
 * duration is in milliseconds.
 *
 * `tableName` (and `region`, unless `awsClient` or `endpoint` is given) is
 * required, except when `backend` or a 1.x `client` is given: then no
 * DynamoDB backend is built and the DynamoDB options are ignored.
 */
export type DynamoStoreOptions = SessionStoreOptions & Partial<DynamoDBBackendOptions>;

/** The options after they were split between the core store and the DynamoDB backend. */
export interface SplitOptions {
  core: SessionStoreOptions;
  /** `undefined` when `backend` or a 1.x `client` was given: no DynamoDB backend is built. */
  dynamodb: DynamoDBBackendOptions | undefined;
}

const DYNAMODB_KEYS: ReadonlySet<string> = new Set(DYNAMODB_OPTION_KEYS);
/** Hooks both layers report through. */
const SHARED_KEYS = ['err', 'log'] as const;

/**
 * Splits one flat options object: keys the DynamoDB backend knows go to it,
 * everything else to the core, so that options added to the core later pass
 * through untouched. The `err` and `log` hooks go to both.
 */
export function splitOptions(options: DynamoStoreOptions | undefined): SplitOptions {
  assertOptionsObject(options);
  const input: Record<string, unknown> = options ?? {};
  const core: Record<string, unknown> = {};
  const dynamodb: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (DYNAMODB_KEYS.has(key)) dynamodb[key] = value;
    else core[key] = value;
  }
  for (const key of SHARED_KEYS) if (input[key] !== undefined) core[key] = input[key];

  if (input.backend !== undefined || input.client !== undefined) {
    // A 1.x client receives autoCreate in its init(autoCreate), as before.
    if (input.client !== undefined && input.autoCreate !== undefined) core.autoCreate = input.autoCreate;
    return { core: core as SessionStoreOptions, dynamodb: undefined };
  }
  return { core: core as SessionStoreOptions, dynamodb: dynamodb as unknown as DynamoDBBackendOptions };
}
