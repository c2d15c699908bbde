import type { SessionBackend } from './contract';
import { REQUIRED_BACKEND_METHODS } from './contract';
import { BackendContractError, InvalidOptionError } from './errors';
import { MAX_TTL, type SessionLike, type TtlOption } from './expiry';
import { type HashIdsOptions, resolveHashIds, resolveOwnerHash } from './hashed-ids';
import { guardHook, warnOnce } from './hooks';
import { assertKnownOptions } from './known-options';
import { fromLegacyClient, isLegacyClient, type LegacyClient } from './legacy-client';
import { assertOptionsObject, describeValue, optionalFunction, optionalNumber, optionalOneOf } from './options';
import type { OwnerOf } from './owners';
import type { LargeSessionHook, PayloadCodec, PayloadCodecInput } from './payload/codec';
import { plainCodec, resolvePayloadCodec } from './payload/codec';
import type { CompressionOption } from './payload/compression';
import type { EncryptionOption } from './payload/encryption';
import { jsonSerializer, type Serializer } from './serializer';

export const DEFAULT_TTL = 14 * 24 * 60 * 60 * 1000;
export const DEFAULT_TOUCH_AFTER = 10_000;
export const DEFAULT_CLEANUP_INTERVAL = 300_000;
/** How long a destroyed session's tombstone refuses saves of its id, in ms: one day. */
export const DEFAULT_TOMBSTONE_TTL = 24 * 60 * 60 * 1000;
export const MIN_TOMBSTONE_TTL = 1000;
export const MAX_TOMBSTONE_TTL = 365 * 24 * 60 * 60 * 1000;
/** Longest accepted session id, in UTF-8 bytes (DynamoDB allows 2048 for a whole partition key). */
export const MAX_SESSION_ID_BYTES = 1024;

export type ErrorHook = (message: string, error: unknown) => void;
export type LogHook = (message: string) => void;

/** Options of the core {@link SessionStore}. Every duration is in milliseconds. */
export interface SessionStoreOptions<S extends SessionLike = SessionLike> {
  /** Where sessions are kept. Either this or `client`. */
  backend?: SessionBackend;
  /** A connect-dynamodb-session 1.x custom client (`init/get/put/setExpires/delete/deleteExpired`); adapted to a backend. */
  client?: LegacyClient;
  /** Passed to a 1.x `client`'s `init(autoCreate)`. Default false. */
  autoCreate?: boolean;
  /** Session lifetime when the cookie has no expiry, in ms, or a function of the session returning ms. Default 1 209 600 000 (14 days). */
  ttl?: TtlOption<S>;
  /** An unchanged session is written at most once per this many ms; 0 writes on every touch. Default 10 000. */
  touchAfter?: number;
  /** Time between cleanup runs of expired sessions, in ms; 0 turns cleanup off. Default 300 000 (5 minutes). */
  cleanupInterval?: number;
  /** How sessions become text. Default JSON. */
  serializer?: Serializer<S>;
  /** What to do when a stored payload cannot be decoded: `'miss'` (default) reports it and reads as no session; `'throw'` rejects. */
  onCorruptPayload?: 'miss' | 'throw';
  /** Called with (message, error) whenever an operation fails. Never receives session contents or whole ids. */
  err?: ErrorHook;
  /** Called with a debug message. Never receives session contents or whole ids. */
  log?: LogHook;
  /** The clock, epoch ms. Default `Date.now`. For tests. */
  now?: () => number;
  /**
   * How long, in ms, a destroyed session's id stays refused: `destroy` and `clear` leave a tombstone that makes every
   * later save of the id (by any request, on any instance) write nothing, so a logout wins against requests still in
   * flight. Make it longer than your slowest request. Default 86 400 000 (1 day); from 1000 (1 s) to 31 536 000 000 (365 days).
   */
  tombstoneTtl?: number;
  /**
   * Compress sessions whose serialized text is at least `thresholdBytes` (default 1024) bytes, with node:zlib:
   * `'gzip'`, `'brotli'` or `{ algorithm, thresholdBytes, level }`. Default off. Compressed payloads are stored as bytes,
   * and still read after compression is turned off.
   */
  compression?: CompressionOption | false;
  /**
   * Encrypt payloads with AES-256-GCM (`{ keys: [{ id, key }], current?, allowPlaintext? }`, keys of 32 bytes) or
   * your own async `{ encrypt, decrypt }` pair. The storage id is authenticated with each payload. Default off.
   */
  encryption?: EncryptionOption;
  /**
   * Store HMAC-SHA-256(secret, id) instead of the session id (`{ secret, encoding? }`). Default off. `all()` and
   * `ids()` then return the hashes, which cannot be turned back into session ids.
   */
  hashIds?: HashIdsOptions;
  /**
   * Who a session belongs to, e.g. `(s) => s.userId`: a non-empty string (at most 1024 bytes), or `undefined` for
   * nobody. Called on every save (not on a touch); the result is stored beside the session (a keyed hash of it with
   * `hashIds`), never in it, so that `sessionsOf` and `destroySessionsOf` find the owner's sessions. Needs a backend
   * with `listByOwner` and `destroyIfOwnedBy`. Default none.
   */
  ownerOf?: OwnerOf<S>;
  /** Refuse (with PayloadTooLargeError) to store a payload larger than this, in bytes, after compression and encryption. Default: no limit. */
  maxPayloadBytes?: number;
  /** Call `onLargeSession` when a stored payload is larger than this, in bytes. Default off. */
  warnAboveBytes?: number;
  /** Called with (size in bytes as stored, redacted id, serialized size in bytes) above `warnAboveBytes`. Default: a `log` message. */
  onLargeSession?: LargeSessionHook;
  /** @internal Payload codec (compression, encryption); set by the codec options. */
  codec?: PayloadCodec;
  /** @internal Maps a session id to the id stored in the backend (hashed ids). */
  storageId?: (id: string) => string;
}

/**
 * Every option name of {@link SessionStoreOptions}: the store rejects any other
 * key (see `known-options.ts`). Adding an option? Add its name here too; the
 * type check below fails until the two agree.
 */
export const CORE_OPTION_KEYS = [
  'backend',
  'client',
  'autoCreate',
  'ttl',
  'touchAfter',
  'cleanupInterval',
  'serializer',
  'onCorruptPayload',
  'err',
  'log',
  'now',
  'tombstoneTtl',
  'ownerOf',
  'compression',
  'encryption',
  'hashIds',
  'maxPayloadBytes',
  'warnAboveBytes',
  'onLargeSession',
  'codec',
  'storageId',
] as const satisfies readonly (keyof SessionStoreOptions)[];
type MissingCoreKeys = Exclude<keyof SessionStoreOptions, (typeof CORE_OPTION_KEYS)[number]>;
/** Compile-time check: a name of SessionStoreOptions missing from CORE_OPTION_KEYS fails here, named in the error. */
const coreKeysComplete: [MissingCoreKeys] extends [never] ? true : MissingCoreKeys = true;
void coreKeysComplete;

export interface ResolvedStoreOptions<S extends SessionLike> {
  readonly backend: SessionBackend;
  readonly ttl: TtlOption<S>;
  readonly touchAfter: number;
  readonly cleanupInterval: number;
  readonly serializer: Serializer<S>;
  readonly onCorruptPayload: 'miss' | 'throw';
  readonly err: ErrorHook;
  readonly log: LogHook;
  readonly now: () => number;
  readonly tombstoneTtl: number;
  readonly codec: PayloadCodec;
  readonly storageId: (id: string) => string;
  /** The `ownerOf` option, if given. */
  readonly ownerOf: OwnerOf<S> | undefined;
  /** Maps an owner to what is stored (a keyed hash with `hashIds`). */
  readonly storageOwner: (owner: string) => string;
}

const noop = (): void => {};

/** Validates every option once and fills in the defaults. Throws {@link InvalidOptionError} naming the option, value and unit. */
export function resolveStoreOptions<S extends SessionLike>(input: SessionStoreOptions<S> | undefined): ResolvedStoreOptions<S> {
  assertOptionsObject(input);
  assertKnownOptions(input, CORE_OPTION_KEYS);
  const o: SessionStoreOptions<S> = input ?? {};
  // Only a missing option takes the default: null is a wrong value, as for every other option.
  const ttl = o.ttl === undefined ? DEFAULT_TTL : o.ttl;
  if (typeof ttl !== 'function') optionalNumber('ttl', ttl, DEFAULT_TTL, 'milliseconds', { min: 1, max: MAX_TTL });
  const serializer = o.serializer === undefined ? (jsonSerializer as Serializer<S>) : o.serializer;
  if (
    typeof serializer !== 'object' ||
    serializer === null ||
    typeof serializer.stringify !== 'function' ||
    typeof serializer.parse !== 'function'
  ) {
    throw new InvalidOptionError(
      'serializer',
      `option "serializer" must be an object with stringify and parse functions; got ${describeValue(serializer)}`,
    );
  }
  const err = guardErr(optionalFunction<ErrorHook>('err', o.err, noop));
  const log = guardLog(optionalFunction<LogHook>('log', o.log, noop), err);
  const codec = resolveCodec(o, err, log, keyScopeOf(o.backend));
  return Object.freeze({
    backend: resolveBackend(o, serializer !== jsonSerializer || codec !== plainCodec),
    ttl,
    touchAfter: optionalNumber('touchAfter', o.touchAfter, DEFAULT_TOUCH_AFTER, 'milliseconds'),
    cleanupInterval: optionalNumber('cleanupInterval', o.cleanupInterval, DEFAULT_CLEANUP_INTERVAL, 'milliseconds', {
      max: 2 ** 31 - 1, // setTimeout's limit
    }),
    serializer,
    onCorruptPayload: optionalOneOf('onCorruptPayload', o.onCorruptPayload, ['miss', 'throw'] as const, 'miss'),
    err,
    log,
    now: optionalFunction('now', o.now, Date.now),
    tombstoneTtl: optionalNumber('tombstoneTtl', o.tombstoneTtl, DEFAULT_TOMBSTONE_TTL, 'milliseconds', {
      min: MIN_TOMBSTONE_TTL,
      max: MAX_TOMBSTONE_TTL,
    }),
    codec,
    storageId: resolveStorageId(o),
    ownerOf: o.ownerOf === undefined ? undefined : optionalFunction<OwnerOf<S>>('ownerOf', o.ownerOf, () => undefined),
    storageOwner: resolveOwnerHash(o.hashIds) ?? ((owner: string) => owner),
  });
}

/**
 * The `err` hook, guarded: whatever it throws is dropped (with one process
 * warning), never reaching the operation or the event loop.
 */
export function guardErr(err: ErrorHook): ErrorHook {
  return err === noop ? err : guardHook('err', err, warnOnce());
}

/** The `log` hook, guarded: what it throws goes to `err` (already guarded). */
export function guardLog(log: LogHook, err: ErrorHook): LogHook {
  return log === noop ? log : guardHook('log', log, err);
}

function resolveCodec(
  o: Pick<SessionStoreOptions, keyof PayloadCodecInput | 'codec'>,
  err: ErrorHook,
  log: LogHook,
  keyScope: string,
): PayloadCodec {
  const codec = resolvePayloadCodec(o, { err, log }, keyScope);
  if (o.codec === undefined) return codec;
  if (codec !== plainCodec) {
    throw new InvalidOptionError(
      'codec',
      'option "codec" cannot be combined with compression, encryption, maxPayloadBytes or warnAboveBytes',
    );
  }
  return o.codec;
}

/** The backend's optional `keyScope` (bound into encrypted payloads); `''` without one. */
function keyScopeOf(backend: unknown): string {
  if (typeof backend !== 'object' || backend === null) return '';
  const scope = (backend as { keyScope?: unknown }).keyScope;
  if (scope === undefined) return '';
  if (typeof scope !== 'string') {
    throw new BackendContractError([], `backend.keyScope must be a string when present; got ${describeValue(scope)}`);
  }
  return scope;
}

function resolveStorageId(o: Pick<SessionStoreOptions, 'hashIds' | 'storageId'>): (id: string) => string {
  const hashId = resolveHashIds(o.hashIds);
  if (hashId && o.storageId !== undefined) {
    throw new InvalidOptionError('storageId', 'options "hashIds" and "storageId" cannot both be given');
  }
  return hashId ?? optionalFunction('storageId', o.storageId, (id: string) => id);
}

function resolveBackend(o: Pick<SessionStoreOptions, 'backend' | 'client' | 'autoCreate'>, customEncoding: boolean): SessionBackend {
  if (o.backend !== undefined && o.client !== undefined) {
    throw new InvalidOptionError('client', 'options "backend" and "client" cannot both be given');
  }
  if (o.client !== undefined) {
    if (!isLegacyClient(o.client)) {
      throw new InvalidOptionError(
        'client',
        typeof (o.client as { send?: unknown }).send === 'function'
          ? 'option "client" is a connect-dynamodb-session 1.x custom client (init, get, put, setExpires, delete); for an AWS SDK DynamoDBClient (connect-dynamodb\'s "client") use "awsClient"'
          : `option "client" must be an object with init, get, put, setExpires and delete methods; got ${describeValue(o.client)}`,
      );
    }
    if (customEncoding) {
      throw new InvalidOptionError(
        'client',
        'option "client" (a 1.x client) stores session objects, so it cannot be combined with a custom serializer, compression, encryption, maxPayloadBytes or warnAboveBytes',
      );
    }
    return fromLegacyClient(o.client, { autoCreate: o.autoCreate === true });
  }
  const backend = o.backend;
  if (backend === undefined) throw new InvalidOptionError('backend', 'option "backend" is required (or a 1.x "client")');
  if (typeof backend !== 'object' || backend === null) {
    throw new InvalidOptionError(
      'backend',
      `option "backend" must be an object implementing the backend contract; got ${describeValue(backend)}`,
    );
  }
  assertBackend(backend);
  return backend;
}

/** Throws {@link BackendContractError} naming every required method `backend` lacks. */
export function assertBackend(backend: object): asserts backend is SessionBackend {
  const missing = REQUIRED_BACKEND_METHODS.filter((m) => typeof (backend as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new BackendContractError(missing);
}
