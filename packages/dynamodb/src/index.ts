export { DynamoDBBackend } from './backend';
export {
  DynamoDBBackendError,
  OWNER_INDEX_DOCS,
  OwnerIndexError,
  TableNotActiveError,
  TableSchemaError,
  UnprocessedItemsError,
} from './errors';
export {
  createDynamoDBSessionStore,
  type DynamoDBSessionStoreOptions,
  type SplitStoreOptions,
  splitStoreOptions,
} from './flat-options';
export { LEGACY_MS_THRESHOLD } from './item';
export { itemSize, MAX_ITEM_BYTES } from './item-size';
export {
  type BillingMode,
  DEFAULT_CONNECTION_TIMEOUT,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_REQUEST_TIMEOUT,
  DYNAMODB_OPTION_KEYS,
  type DynamoDBBackendOptions,
  type ResolvedDynamoDBOptions,
  type SortKeyOption,
} from './options';
