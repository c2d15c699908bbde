import { createDynamoDBSessionStore, type DynamoDBSessionStoreOptions } from '@connect-dynamodb-session/dynamodb';
import { KoaStore, type KoaStoredSession } from './koa-store';
import { adaptKoaCoreOptions, type KoaStoreOptions } from './options';

/**
 * A koa-session external store keeping sessions in DynamoDB (or in the
 * `backend` you give):
 *
 * ```js
 * const session = require('koa-session');
 * const { createKoaStore } = require('@connect-dynamodb-session/koa');
 * app.use(session({ store: createKoaStore({ tableName: 'sessions', region: 'eu-west-1' }) }, app));
 * ```
 *
 * Invalid options throw an `InvalidOptionError` naming the option.
 */
export function createKoaStore(options: KoaStoreOptions): KoaStore {
  return new KoaStore(createDynamoDBSessionStore(options as DynamoDBSessionStoreOptions<KoaStoredSession>, adaptKoaCoreOptions));
}

export {
  BackendContractError,
  BackendError,
  CorruptPayloadError,
  DecryptionError,
  InvalidOptionError,
  InvalidSessionIdError,
  MemoryBackend,
  PayloadTooLargeError,
  SerializationError,
  type SessionBackend,
  SessionConflictError,
  SessionStore,
  SessionStoreError,
  StoreClosedError,
} from '@connect-dynamodb-session/core';
export { DynamoDBBackend, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
export { type KoaMaxAge, type KoaSessionData, KoaStore, type KoaStoreCallOptions, type KoaStoredSession } from './koa-store';
export type { KoaStoreOptions } from './options';
