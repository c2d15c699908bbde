import type { DynamoDBSessionStoreOptions } from '@connect-dynamodb-session/dynamodb';
import type { SessionData } from 'express-session';

/**
 * Options of the store: the 1.x options, unchanged, plus the new ones. One flat
 * object. The DynamoDB options (tableName, region, endpoint, awsClient,
 * autoCreate, capacities, consistentRead, key layout, timeouts) configure the
 * built-in DynamoDB backend; every other option configures the core store
 * (ttl, touchAfter, cleanupInterval, serializer, err, log, ...). Every
 * duration is in milliseconds.
 *
 * `tableName` (and `region`, unless `awsClient` or `clientConfig.region` is
 * given; `endpoint` does not make it optional) is
 * required, except when `backend` or a 1.x `client` is given: then no
 * DynamoDB backend is built and the DynamoDB options are ignored.
 */
export type DynamoStoreOptions = Omit<DynamoDBSessionStoreOptions, 'ownerOf'> & {
  /**
   * Who a session belongs to, from its data as express-session saves it, e.g. `(s) => s.userId` (declare `userId`
   * on express-session's `SessionData` to type it). A non-empty string, or `undefined` for nobody. Enables
   * `sessionsOf` and `destroySessionsOf`.
   */
  ownerOf?: (session: SessionData) => string | undefined;
};
