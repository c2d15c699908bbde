import type { SessionStoreOptions, TtlOption } from '@connect-dynamodb-session/core';
import type { DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
import type { KoaSessionData, KoaStoredSession } from './koa-store';

/**
 * Options of {@link createKoaStore}: the same flat object as the Express
 * package's. The DynamoDB options (tableName, region, endpoint, awsClient,
 * autoCreate, ...) configure the built-in DynamoDB backend; every other option
 * configures the core store (ttl, touchAfter, cleanupInterval, compression,
 * err, log, ...). Every duration is in milliseconds.
 *
 * `tableName` (and `region`, unless `awsClient` or `clientConfig.region` is
 * given; `endpoint` does not make it optional) is
 * required, except when `backend` is given: then no DynamoDB backend is built
 * and the DynamoDB options are ignored.
 */
export type KoaStoreOptions = Omit<SessionStoreOptions<KoaStoredSession>, 'ttl' | 'ownerOf'> &
  Partial<DynamoDBBackendOptions> & {
    /**
     * Lifetime of a session whose cookie has `maxAge: 'session'` (no expiry of
     * its own), in ms, or a function of the session's data giving ms. Default
     * 1 209 600 000 (14 days).
     */
    ttl?: TtlOption<KoaSessionData>;
    /**
     * Who a session belongs to, from its data as the app sees it (`ctx.session`), e.g. `(data) => data.userId`.
     * A non-empty string, or `undefined` for nobody. Enables `sessionsOf` and `destroySessionsOf`.
     */
    ownerOf?: (data: KoaSessionData) => string | undefined;
  };

/**
 * koa-session hands the store `{ cookie, data }` records; a `ttl` function is
 * written against the session's data, as the app sees it.
 */
export function adaptKoaCoreOptions(core: SessionStoreOptions<KoaStoredSession>): SessionStoreOptions<KoaStoredSession> {
  const ttl = core.ttl as TtlOption<KoaSessionData> | undefined;
  const ownerOf = core.ownerOf as unknown as KoaStoreOptions['ownerOf'] | unknown;
  const adapted = { ...core };
  if (typeof ttl === 'function') adapted.ttl = (record: KoaStoredSession) => ttl(record.data);
  // A non-function is left for the core to refuse, naming the option.
  if (typeof ownerOf === 'function') adapted.ownerOf = (record: KoaStoredSession) => ownerOf(record.data);
  return adapted;
}
