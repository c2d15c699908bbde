import { TextDecoder } from 'node:util';
import type { Payload } from '../contract';
import { CorruptPayloadError, InvalidOptionError, PayloadTooLargeError } from '../errors';
import { guardHook } from '../hooks';
import { optionalFunction, optionalNumber } from '../options';
import { redactId } from '../redact';
import { type CompressionOption, compress, decompress, type ResolvedCompression, resolveCompression } from './compression';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  customDecrypt,
  customEncrypt,
  DecryptionError,
  type EncryptionOption,
  type ResolvedEncryption,
  resolveEncryption,
} from './encryption';
import { type CompressionAlgorithm, FORMAT_VERSION_UNSCOPED, payloadByteLength, readPayloadHeader, writePayloadHeader } from './format';

/**
 * Turns serialized session text into the payload a backend stores, and back.
 * This is where compression and encryption sit, so that every backend gets
 * them. `id` is the session id as the backend sees it (used, with the
 * backend's key scope, as authenticated data so a payload cannot be moved to
 * another id, prefix or sort key).
 */
export interface PayloadCodec {
  encode(text: string, id: string): Payload | Promise<Payload>;
  decode(payload: Payload, id: string): string | Promise<string>;
}

/** What {@link encodePayload} and {@link decodePayload} depend on, already validated. */
export interface PayloadFormatOptions {
  compression?: ResolvedCompression;
  encryption?: ResolvedEncryption;
  /** Refuse to store a payload (after compression and encryption) larger than this many bytes. */
  maxPayloadBytes?: number;
  /**
   * What the backend adds to the id to form its storage key (its
   * `keyScope`: for DynamoDB, the prefix and sort key value). Authenticated
   * with every encrypted payload, with the id. Default `''`.
   */
  keyScope?: string;
}

/**
 * Called when a stored payload is larger than `warnAboveBytes`: `size` is the
 * payload's stored size in bytes (after compression and encryption),
 * `redactedId` the first characters of the storage id (of its hash when
 * hashed ids are on), `serializedSize` the serialized text's size in bytes.
 */
export type LargeSessionHook = (size: number, redactedId: string, serializedSize: number) => void;

/** Everything {@link createPayloadCodec} needs. */
export interface PayloadCodecOptions extends PayloadFormatOptions {
  /** Call `onLargeSession` for payloads larger than this many bytes. */
  warnAboveBytes?: number;
  onLargeSession?: LargeSessionHook;
  /** Receives an error thrown by `onLargeSession` (which never fails a write). */
  onHookError?: (message: string, error: unknown) => void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes serialized session text for storage: compress (when on and the
 * text is at least the threshold, and only if that makes it smaller), then
 * encrypt (when on), then check the size. Without compression or encryption
 * the text is stored as it is. A pure function of its arguments (apart from
 * the random IV).
 *
 * @throws {@link PayloadTooLargeError} when the result exceeds `maxPayloadBytes`.
 */
export async function encodePayload(text: string, storageId: string, options: PayloadFormatOptions): Promise<Payload> {
  const { compression, encryption, maxPayloadBytes, keyScope = '' } = options;
  let payload: Payload = text;
  let algorithm: CompressionAlgorithm | 'none' = 'none';
  if (compression || encryption) {
    let body: Buffer = Buffer.from(text, 'utf8');
    if (compression && body.length >= compression.thresholdBytes) {
      const smaller = await compress(body, compression);
      // Incompressible data (already random or encrypted) is stored as it is: smaller, and no decompression on read.
      if (smaller.length < body.length) {
        body = smaller;
        algorithm = compression.algorithm;
      }
    }
    if (encryption?.kind === 'aes-256-gcm') {
      const header = writePayloadHeader({ compression: algorithm, encryption: 'aes-256-gcm', keyId: encryption.currentKeyId });
      const key = encryption.keys.get(encryption.currentKeyId);
      if (!key) throw new Error('unreachable: the current key is validated at construction');
      payload = Buffer.concat([header, aesGcmEncrypt(key, body, additionalData(header, keyScope, storageId))]);
    } else if (encryption?.kind === 'custom') {
      const header = writePayloadHeader({ compression: algorithm, encryption: 'custom', keyId: '' });
      payload = Buffer.concat([header, await customEncrypt(encryption.cipher, body, additionalData(header, keyScope, storageId))]);
    } else if (algorithm !== 'none') {
      payload = Buffer.concat([writePayloadHeader({ compression: algorithm, encryption: 'none', keyId: '' }), body]);
    }
  }
  if (maxPayloadBytes !== undefined) {
    const size = payloadByteLength(payload);
    if (size > maxPayloadBytes) {
      throw new PayloadTooLargeError(
        size,
        maxPayloadBytes,
        algorithm === 'none' ? 'session payload' : `session payload after ${algorithm}`,
      );
    }
  }
  return payload;
}

/**
 * Decodes a stored payload back into serialized session text. Driven by the
 * payload's own format marker, not by the current options: text is returned
 * as it is, and a compressed payload is decompressed whether or not
 * compression is on now. Only decryption needs the options (the keys).
 *
 * @throws {@link CorruptPayloadError} for anything that cannot be decoded;
 * {@link DecryptionError} (a subclass) for every encryption failure.
 */
export async function decodePayload(payload: Payload, storageId: string, options: PayloadFormatOptions): Promise<string> {
  const { encryption, keyScope = '' } = options;
  if (typeof payload === 'string') {
    if (encryption && !encryption.allowPlaintext) throw notEncrypted();
    return payload;
  }
  if (!(payload instanceof Uint8Array)) {
    throw new CorruptPayloadError(`stored payload must be a string or a Uint8Array; got ${payload === null ? 'null' : typeof payload}`);
  }
  const { header, headerBytes } = readPayloadHeader(payload);
  let body: Uint8Array = payload.subarray(headerBytes);
  if (header.encryption === 'none') {
    if (encryption && !encryption.allowPlaintext) throw notEncrypted();
  } else {
    const what = header.encryption === 'custom' ? 'a custom cipher' : `AES-256-GCM key id ${JSON.stringify(header.keyId)}`;
    if (!encryption) throw new DecryptionError(`stored session is encrypted (${what}), but the "encryption" option is not set`);
    if (payload[1] === FORMAT_VERSION_UNSCOPED) {
      throw new DecryptionError(
        'stored session was encrypted by a pre-release of 2.0 (payload format 1), whose authenticated data did not bind the key prefix and sort key; it is not read (the user signs in again)',
      );
    }
    const aad = additionalData(payload.subarray(0, headerBytes), keyScope, storageId);
    if (header.encryption === 'aes-256-gcm') {
      if (encryption.kind !== 'aes-256-gcm') {
        throw new DecryptionError(`stored session is encrypted with ${what}, but "encryption" is a custom encrypt/decrypt pair`);
      }
      const key = encryption.keys.get(header.keyId);
      if (!key) throw new DecryptionError(`stored session is encrypted with ${what}, which is not among encryption.keys`);
      body = aesGcmDecrypt(key, body, aad);
    } else {
      if (encryption.kind !== 'custom') {
        throw new DecryptionError(
          'stored session is encrypted with a custom cipher, but "encryption" has keys, not an encrypt/decrypt pair',
        );
      }
      body = await customDecrypt(encryption.cipher, body, aad);
    }
  }
  if (header.compression !== 'none') body = await decompress(body, header.compression);
  try {
    return utf8.decode(body);
  } catch (cause) {
    throw new CorruptPayloadError('stored session is not valid UTF-8 text once decoded', { cause });
  }
}

/** Stores the serialized text as it is: what 1.x wrote, and the default. Still reads compressed payloads written earlier. */
export const plainCodec: PayloadCodec = {
  encode: (text) => text,
  decode: (payload, id) => (typeof payload === 'string' ? payload : decodePayload(payload, id, {})),
};

/** The codec for the given (validated) options: {@link encodePayload}/{@link decodePayload}, plus the large-session warning. */
export function createPayloadCodec(options: PayloadCodecOptions): PayloadCodec {
  const format: PayloadFormatOptions = Object.freeze({
    compression: options.compression,
    encryption: options.encryption,
    maxPayloadBytes: options.maxPayloadBytes,
    keyScope: options.keyScope,
  });
  const { warnAboveBytes, onLargeSession, onHookError } = options;
  return {
    async encode(text, id) {
      const payload = await encodePayload(text, id, format);
      if (warnAboveBytes !== undefined && onLargeSession) {
        const size = payloadByteLength(payload);
        if (size > warnAboveBytes) {
          try {
            onLargeSession(size, redactId(id), Buffer.byteLength(text, 'utf8'));
          } catch (error) {
            onHookError?.(`onLargeSession threw for session sid:${redactId(id)}`, error);
          }
        }
      }
      return payload;
    },
    decode: (payload, id) => decodePayload(payload, id, format),
  };
}

/**
 * The additional authenticated data of an encrypted payload: its header, the
 * key scope (length first, so that no scope and id pair reads as another) and
 * the storage id, UTF-8.
 */
export function additionalData(header: Uint8Array, keyScope: string, storageId: string): Buffer {
  const scope = Buffer.from(keyScope, 'utf8');
  const scopeLength = Buffer.alloc(4);
  scopeLength.writeUInt32BE(scope.length);
  return Buffer.concat([header, scopeLength, scope, Buffer.from(storageId, 'utf8')]);
}

function notEncrypted(): DecryptionError {
  return new DecryptionError(
    'stored session is not encrypted, and encryption.allowPlaintext is false (set it to true while migrating sessions written before encryption was on)',
  );
}

/** The codec options as a user writes them, on the store's options. */
export interface PayloadCodecInput {
  compression?: CompressionOption | false;
  encryption?: EncryptionOption;
  maxPayloadBytes?: number;
  warnAboveBytes?: number;
  onLargeSession?: LargeSessionHook;
}

/**
 * Validates the codec options and builds the codec; {@link plainCodec} when
 * none is set. `log` is where large-session warnings go when no
 * `onLargeSession` is given; `err` receives an error thrown by that hook.
 */
export function resolvePayloadCodec(
  input: PayloadCodecInput,
  hooks: { log: (message: string) => void; err: (message: string, error: unknown) => void },
  keyScope = '',
): PayloadCodec {
  const compression = resolveCompression(input.compression);
  const encryption = resolveEncryption(input.encryption);
  const maxPayloadBytes = optionalBytes('maxPayloadBytes', input.maxPayloadBytes);
  const warnAboveBytes = optionalBytes('warnAboveBytes', input.warnAboveBytes);
  if (input.onLargeSession !== undefined && warnAboveBytes === undefined) {
    throw new InvalidOptionError(
      'warnAboveBytes',
      'option "onLargeSession" needs "warnAboveBytes" (bytes): the size above which it is called',
    );
  }
  const onLargeSession = optionalFunction<LargeSessionHook>('onLargeSession', input.onLargeSession, (size, redactedId, serializedSize) =>
    hooks.log(
      `session sid:${redactedId} is ${size} bytes as stored (${serializedSize} bytes serialized), above warnAboveBytes ${warnAboveBytes} bytes`,
    ),
  );
  if (!compression && !encryption && maxPayloadBytes === undefined && warnAboveBytes === undefined) return plainCodec;
  return createPayloadCodec({
    compression,
    encryption,
    maxPayloadBytes,
    keyScope,
    warnAboveBytes,
    // A throw or an async rejection of the hook goes to err: it never fails the write, never goes unhandled.
    onLargeSession: guardHook('onLargeSession', onLargeSession, hooks.err),
    onHookError: hooks.err,
  });
}

function optionalBytes(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : optionalNumber(name, value, 0, 'bytes', { min: 1, integer: true });
}
