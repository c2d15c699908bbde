export type {
  BackendInfo,
  CleanupResult,
  GetOptions,
  InitContext,
  ListedSession,
  OwnedSession,
  Payload,
  SessionBackend,
  SessionWrite,
  StoredRecord,
  StoredSession,
  Tombstone,
} from './contract';
export { isTombstone, REQUIRED_BACKEND_METHODS } from './contract';
export {
  BackendContractError,
  BackendError,
  CorruptPayloadError,
  InvalidOptionError,
  InvalidOwnerError,
  InvalidSessionIdError,
  PayloadTooLargeError,
  SerializationError,
  SessionConflictError,
  SessionStoreError,
  type SessionStoreErrorCode,
  StoreClosedError,
} from './errors';
export {
  type CookieLike,
  cookieExpiresAt,
  decideTouch,
  effectiveTouchAfter,
  isExpired,
  isValidTtl,
  MAX_EXPIRES_AT,
  MAX_TTL,
  type ResolvedExpiry,
  resolveExpiresAt,
  resolveExpiry,
  type SessionLike,
  type TouchDecision,
  type TtlOption,
} from './expiry';
export { type HashIdsOptions, resolveHashIds, resolveOwnerHash } from './hashed-ids';
export {
  assertKnownOptions,
  closestOptionName,
  editDistance,
  FOREIGN_OPTIONS,
  type ForeignOption,
  unknownOptionMessage,
} from './known-options';
export { fromLegacyClient, isLegacyClient, type LegacyClient } from './legacy-client';
export { MemoryBackend } from './memory-backend';
export { isPlainObject, mergeSessions } from './merge';
export {
  assertOptionsObject,
  describeValue,
  optionalBoolean,
  optionalFunction,
  optionalNumber,
  optionalOneOf,
  optionalString,
  requiredString,
} from './options';
export {
  type DestroySessionsOfOptions,
  MAX_OWNER_BYTES,
  OWNER_DESTROY_CONCURRENCY,
  type OwnerOf,
  ownerArgument,
  ownerToStore,
} from './owners';
export {
  createPayloadCodec,
  decodePayload,
  encodePayload,
  type LargeSessionHook,
  type PayloadCodec,
  type PayloadCodecInput,
  type PayloadCodecOptions,
  type PayloadFormatOptions,
  plainCodec,
  resolvePayloadCodec,
} from './payload/codec';
export {
  type CompressionOption,
  type CompressionOptions,
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_COMPRESSION_THRESHOLD,
  DEFAULT_GZIP_LEVEL,
  MAX_DECOMPRESSED_BYTES,
  type ResolvedCompression,
  resolveCompression,
  SYNC_ZLIB_BELOW_BYTES,
} from './payload/compression';
export {
  type CustomCipher,
  type CustomEncryptionOptions,
  DecryptionError,
  type EncryptionKey,
  type EncryptionOption,
  type KeyEncryptionOptions,
  type ResolvedEncryption,
  resolveEncryption,
} from './payload/encryption';
export {
  type CompressionAlgorithm,
  type EncryptionKind,
  FORMAT_MAGIC,
  FORMAT_VERSION,
  FORMAT_VERSION_UNSCOPED,
  type PayloadHeader,
  payloadByteLength,
  readPayloadHeader,
} from './payload/format';
export { redactId } from './redact';
export { jsonSerializer, type Serializer } from './serializer';
export {
  CONFLICT_PAUSE_GROWTH,
  CONFLICT_PAUSE_LATENCY_UNIT_MS,
  CONFLICT_PAUSE_MS,
  conflictPause,
  MAX_SAVE_ATTEMPTS,
  type ReadState,
  type SaveResult,
  type SessionEntry,
  type SessionRead,
  SessionStore,
  type TouchResult,
} from './store';
export {
  assertBackend,
  CORE_OPTION_KEYS,
  DEFAULT_CLEANUP_INTERVAL,
  DEFAULT_TOMBSTONE_TTL,
  DEFAULT_TOUCH_AFTER,
  DEFAULT_TTL,
  type ErrorHook,
  guardErr,
  guardLog,
  type LogHook,
  MAX_SESSION_ID_BYTES,
  MAX_TOMBSTONE_TTL,
  MIN_TOMBSTONE_TTL,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  type SessionStoreOptions,
} from './store-options';
