import { SessionStore } from '@connect-dynamodb-session/core';
import { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { KoaStore } from './koa-store';
import { type KoaStoreOptions, splitOptions } from './options';

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
  const { core, dynamodb } = splitOptions(options);
  if (!dynamodb) return new KoaStore(new SessionStore(core));
  const backend = new DynamoDBBackend(dynamodb);
  try {
    return new KoaStore(new SessionStore({ ...core, backend }));
  } catch (error) {
    // An invalid core option: release the client the backend may have made.
    backend.close?.().catch(() => undefined);
    throw error;
  }
}

export {
  BackendContractError,
  BackendError,
  CorruptPayloadError,
  InvalidOptionError,
  InvalidSessionIdError,
  MemoryBackend,
  PayloadTooLargeError,
  SerializationError,
  type SessionBackend,
  SessionStore,
  SessionStoreError,
  StoreClosedError,
} from '@connect-dynamodb-session/core';
export { DynamoDBBackend, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
export { type KoaMaxAge, type KoaSessionData, KoaStore, type KoaStoreCallOptions, type KoaStoredSession } from './koa-store';
export type { KoaStoreOptions } from './options';
