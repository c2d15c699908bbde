import * as core from '@connect-dynamodb-session/core';
import * as dynamodb from '@connect-dynamodb-session/dynamodb';
import type { Callback as CallbackType } from './callback';
import type { DynamoStoreOptions } from './options';
import {
  createStoreClass as createStoreClassImpl,
  type DynamoStore,
  type DynamoStoreConstructor,
  type SessionModuleLike,
  type SessionsById,
} from './store';

/**
 * The 1.x entry point, unchanged:
 *
 * ```js
 * const session = require('express-session');
 * const DynamoStore = require('connect-dynamodb-session')(session);
 * app.use(session({ secret, store: new DynamoStore({ region, tableName }) }));
 * ```
 *
 * Returns the store class built on `session.Store`. In ESM it is the default
 * export: `import connectDynamoDBSession from 'connect-dynamodb-session'`.
 */
function connectDynamoDBSession(session?: SessionModuleLike | null): DynamoStoreConstructor {
  return createStoreClassImpl(session);
}

// The module is the factory function itself (`module.exports = factory`, as in
// 1.x); the named exports hang off it.
namespace connectDynamoDBSession {
  /**
   * The store class built on express-session's `Store` (or a plain EventEmitter
   * when express-session is not installed), for code that does not want the
   * factory: `new DynamoDBStore({ tableName, region })`. Built on first access.
   */
  export declare const DynamoDBStore: DynamoStoreConstructor;
  export type DynamoDBStore = DynamoStore;
  /** Builds the store class on `session.Store`; the same as calling the module. */
  export const createStoreClass = createStoreClassImpl;
  export type Options = DynamoStoreOptions;
  export type Callback<T = void> = CallbackType<T>;
  export type Sessions = SessionsById;
  export type SessionStoreModule = SessionModuleLike;

  export import DynamoDBBackend = dynamodb.DynamoDBBackend;
  export import MemoryBackend = core.MemoryBackend;
  export import SessionStore = core.SessionStore;
  export import SessionStoreError = core.SessionStoreError;
  export import InvalidOptionError = core.InvalidOptionError;
  export import BackendContractError = core.BackendContractError;
  export import BackendError = core.BackendError;
  export import PayloadTooLargeError = core.PayloadTooLargeError;
  export import CorruptPayloadError = core.CorruptPayloadError;
  export import DecryptionError = core.DecryptionError;
  export import SerializationError = core.SerializationError;
  export import InvalidSessionIdError = core.InvalidSessionIdError;
  export import StoreClosedError = core.StoreClosedError;
  export import SessionConflictError = core.SessionConflictError;
  export import InvalidOwnerError = core.InvalidOwnerError;
  export import OwnerIndexError = dynamodb.OwnerIndexError;
  export type OwnedSession = core.OwnedSession;
  export type DestroySessionsOfOptions = core.DestroySessionsOfOptions;
  export type SessionBackend = core.SessionBackend;
}

let defaultStoreClass: DynamoStoreConstructor | undefined;
Object.defineProperty(connectDynamoDBSession, 'DynamoDBStore', {
  enumerable: true,
  get: (): DynamoStoreConstructor => {
    defaultStoreClass ??= createStoreClassImpl();
    return defaultStoreClass;
  },
});

export = connectDynamoDBSession;
