import { assertOptionsObject, type SessionStoreOptions, type TtlOption } from '@connect-dynamodb-session/core';
import { DYNAMODB_OPTION_KEYS, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
import type { KoaSessionData, KoaStoredSession } from './koa-store';

/**
 * Options of {@link createKoaStore}: the same flat object as the Express
 * package's. The DynamoDB options (tableName, region, endpoint, awsClient,
 * autoCreate, ...) configure the built-in DynamoDB backend; every other option
 * configures the core store (ttl, touchAfter, cleanupInterval, compression,
 * err, log, ...). Every duration is in milliseconds.
 *
 * `tableName` (and `region`, unless `awsClient` or `endpoint` is given) is
 * required, except when `backend` is given: then no DynamoDB backend is built
 * and the DynamoDB options are ignored.
 */
export type KoaStoreOptions = Omit<SessionStoreOptions<KoaStoredSession>, 'ttl'> &
  Partial<DynamoDBBackendOptions> & {
    /**
     * Lifetime of a session whose cookie has `maxAge: 'session'` (no expiry of
     * its own), in ms, or a function of the session's data giving ms. Default
     * 1 209 600 000 (14 days).
     */
    ttl?: TtlOption<KoaSessionData>;
  };

/** The options after they were split between the core store and the DynamoDB backend. */
export interface SplitOptions {
  core: SessionStoreOptions<KoaStoredSession>;
  /** `undefined` when `backend` (or a 1.x `client`) was given: no DynamoDB backend is built. */
  dynamodb: DynamoDBBackendOptions | undefined;
}

const DYNAMODB_KEYS: ReadonlySet<string> = new Set(DYNAMODB_OPTION_KEYS);
/** Hooks both layers report through. */
const SHARED_KEYS = ['err', 'log'] as const;

/**
 * Splits one flat options object as the Express package does: keys the
 * DynamoDB backend knows go to it, everything else to the core (so options the
 * core gains later pass through), and `err` and `log` to both. A `ttl`
 * function receives the session's data, as the app sees it.
 */
export function splitOptions(options: KoaStoreOptions | undefined): SplitOptions {
  assertOptionsObject(options);
  const input: Record<string, unknown> = options ?? {};
  const core: Record<string, unknown> = {};
  const dynamodb: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (DYNAMODB_KEYS.has(key)) dynamodb[key] = value;
    else core[key] = value;
  }
  for (const key of SHARED_KEYS) if (input[key] !== undefined) core[key] = input[key];
  const ttl = input.ttl;
  if (typeof ttl === 'function') core.ttl = (record: KoaStoredSession) => ttl(record.data);

  if (input.backend !== undefined || input.client !== undefined) {
    if (input.client !== undefined && input.autoCreate !== undefined) core.autoCreate = input.autoCreate;
    return { core: core as SessionStoreOptions<KoaStoredSession>, dynamodb: undefined };
  }
  return { core: core as SessionStoreOptions<KoaStoredSession>, dynamodb: dynamodb as unknown as DynamoDBBackendOptions };
}
