import { CorruptPayloadError } from '../errors';

/**
 * The stored payload format.
 *
 * A payload is either text or bytes, and the type alone says which format it
 * is in:
 *
 * - **text** (a string) is the serialized session as it is (JSON by default).
 *   This is what 1.x wrote and what 2.x writes when neither compression nor
 *   encryption applies, so old items and new plain items read the same way.
 * - **bytes** start with a small header, so decoding never depends on the
 *   options of the process that reads:
 *
 * ```
 * offset  size  field
 * 0       1     magic 0xC1 (never the first byte of UTF-8 text)
 * 1       1     format version (2; 1 was written by pre-releases of 2.0)
 * 2       1     flags: bits 0-1 compression (0 none, 1 gzip, 2 brotli)
 *                      bits 2-3 encryption  (0 none, 1 AES-256-GCM, 2 custom cipher)
 *                      bits 4-7 reserved, 0
 * -- only when encryption is AES-256-GCM:
 * 3       1     key id length n (1..255)
 * 4       n     key id, UTF-8
 * 4+n     12    IV
 * 16+n    ...   ciphertext, then the 16-byte GCM tag
 * -- otherwise:
 * 3       ...   body: the (compressed) text, or the custom cipher's output
 * ```
 *
 * When the payload is encrypted, the additional authenticated data is
 *
 * ```
 * header bytes || u32 big-endian byte length of the key scope || key scope (UTF-8) || storage id (UTF-8)
 * ```
 *
 * where the key scope is what the backend adds to the id to make its storage
 * key ({@link SessionBackend.keyScope}: for DynamoDB the key prefix and sort key
 * value; empty for a backend without one). Neither the header, nor the id, nor
 * the prefix or sort key the payload is stored under can change without
 * failing decryption. Version 1 bound the header and the id only; its
 * encrypted payloads are no longer read (no release wrote them).
 */

/** First byte of every binary payload. 0xC1 never occurs in UTF-8, so a payload can't be mistaken for text. */
export const FORMAT_MAGIC = 0xc1;
/** The format version this release writes. */
export const FORMAT_VERSION = 2;
/** Version 1 (pre-releases of 2.0): read when unencrypted; its AAD did not bind the key scope. */
export const FORMAT_VERSION_UNSCOPED = 1;

export type CompressionAlgorithm = 'gzip' | 'brotli';
export type EncryptionKind = 'aes-256-gcm' | 'custom';

const COMPRESSION_BITS: Record<CompressionAlgorithm | 'none', number> = { none: 0, gzip: 1, brotli: 2 };
const ENCRYPTION_BITS: Record<EncryptionKind | 'none', number> = { none: 0, 'aes-256-gcm': 1, custom: 2 };
const COMPRESSION_BY_BITS = ['none', 'gzip', 'brotli'] as const;
const ENCRYPTION_BY_BITS = ['none', 'aes-256-gcm', 'custom'] as const;

/** Bytes of an AES-GCM IV (the size GCM is designed for). */
export const IV_BYTES = 12;
/** Bytes of an AES-GCM authentication tag. */
export const TAG_BYTES = 16;
/** Longest key id, in UTF-8 bytes (its length is stored in one byte). */
export const MAX_KEY_ID_BYTES = 255;

/** What a binary payload's header says about its body. */
export interface PayloadHeader {
  compression: CompressionAlgorithm | 'none';
  encryption: EncryptionKind | 'none';
  /** The id of the AES key the payload was encrypted with; '' unless encryption is AES-256-GCM. */
  keyId: string;
}

/** The header bytes for `header`. */
export function writePayloadHeader(header: PayloadHeader): Buffer {
  const flags = COMPRESSION_BITS[header.compression] | (ENCRYPTION_BITS[header.encryption] << 2);
  if (header.encryption !== 'aes-256-gcm') return Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, flags]);
  const keyId = Buffer.from(header.keyId, 'utf8');
  if (keyId.length < 1 || keyId.length > MAX_KEY_ID_BYTES) {
    throw new RangeError(`key id must be 1 to ${MAX_KEY_ID_BYTES} UTF-8 bytes; got ${keyId.length}`);
  }
  return Buffer.concat([Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, flags, keyId.length]), keyId]);
}

/** A parsed header and where the body starts. Throws {@link CorruptPayloadError} for anything this release did not write. */
export function readPayloadHeader(payload: Uint8Array): { header: PayloadHeader; headerBytes: number } {
  if (payload.length < 3 || payload[0] !== FORMAT_MAGIC) {
    throw new CorruptPayloadError("stored payload is binary but does not start with this library's format marker");
  }
  const version = payload[1];
  if (version !== FORMAT_VERSION && version !== FORMAT_VERSION_UNSCOPED) {
    throw new CorruptPayloadError(
      `stored payload has format version ${version}; this release reads versions ${FORMAT_VERSION_UNSCOPED} and ${FORMAT_VERSION} (was it written by a newer release?)`,
    );
  }
  const flags = payload[2] ?? 0;
  const compression = COMPRESSION_BY_BITS[flags & 0b11];
  const encryption = ENCRYPTION_BY_BITS[(flags >> 2) & 0b11];
  if (compression === undefined || encryption === undefined || flags >> 4 !== 0) {
    throw new CorruptPayloadError(`stored payload has unknown format flags 0x${flags.toString(16).padStart(2, '0')}`);
  }
  if (encryption !== 'aes-256-gcm') return { header: { compression, encryption, keyId: '' }, headerBytes: 3 };
  const keyIdBytes = payload[3] ?? 0;
  const headerBytes = 4 + keyIdBytes;
  if (keyIdBytes === 0 || payload.length < headerBytes + IV_BYTES + TAG_BYTES) {
    throw new CorruptPayloadError('stored payload is too short for its encryption header');
  }
  const keyId = Buffer.from(payload.buffer, payload.byteOffset + 4, keyIdBytes).toString('utf8');
  return { header: { compression, encryption, keyId }, headerBytes };
}

/** Size of a payload as stored, in bytes (UTF-8 for text). */
export function payloadByteLength(payload: string | Uint8Array): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
}
