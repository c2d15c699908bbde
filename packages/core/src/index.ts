export type { PayloadCodec } from './codec';
export { plainCodec } from './codec';
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
export { redactId } from './redact';
export { jsonSerializer, type Serializer } from './serializer';
export { type SessionEntry, SessionStore, type TouchResult } from './store';
export {
  assertBackend,
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
