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
} from './codec';
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
} from './compression';
export type {
  BackendInfo,
  CleanupResult,
  ListedSession,
  Payload,
  SessionBackend,
  StoredSession,
} from './contract';
export { REQUIRED_BACKEND_METHODS } from './contract';
export {
  type CustomCipher,
  type CustomEncryptionOptions,
  DecryptionError,
  type EncryptionKey,
  type EncryptionOption,
  type KeyEncryptionOptions,
  type ResolvedEncryption,
  resolveEncryption,
} from './encryption';
export {
  BackendContractError,
  BackendError,
  CorruptPayloadError,
  InvalidOptionError,
  InvalidSessionIdError,
  PayloadTooLargeError,
  SerializationError,
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
  resolveExpiresAt,
  type SessionLike,
  type TouchDecision,
  type TtlOption,
} from './expiry';
export { type HashIdsOptions, resolveHashIds } from './hashed-ids';
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
  type CompressionAlgorithm,
  type EncryptionKind,
  FORMAT_MAGIC,
  FORMAT_VERSION,
  type PayloadHeader,
  payloadByteLength,
  readPayloadHeader,
} from './payload-format';
export { redactId } from './redact';
export { jsonSerializer, type Serializer } from './serializer';
export { type SessionEntry, SessionStore, type TouchResult } from './store';
export {
  assertBackend,
  CORE_OPTION_KEYS,
  DEFAULT_CLEANUP_INTERVAL,
  DEFAULT_TOUCH_AFTER,
  DEFAULT_TTL,
  type ErrorHook,
  type LogHook,
  MAX_SESSION_ID_BYTES,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  type SessionStoreOptions,
} from './store-options';
