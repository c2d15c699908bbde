import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { CorruptPayloadError, InvalidOptionError, SerializationError } from '../errors';
import { assertOptionsObject, describeValue, optionalBoolean } from '../options';
import { IV_BYTES, MAX_KEY_ID_BYTES, TAG_BYTES } from './format';

/** One AES-256 key. `key` is 32 bytes: a Buffer/Uint8Array, 64 hex digits, base64 (44 characters, or 43 unpadded/base64url) or a secret KeyObject. */
export interface EncryptionKey {
  /** Stored in every payload's header, so the right key is found on read. 1-255 UTF-8 bytes; not secret. */
  id: string;
  key: Uint8Array | string | KeyObject;
}

/** Built-in AES-256-GCM with one or more keys (several for rotation). */
export interface KeyEncryptionOptions {
  /** Every key that may have written a stored session; the first (or `current`) encrypts new writes. */
  keys: readonly EncryptionKey[];
  /** Id of the key that encrypts new writes. Default: the first key's id. */
  current?: string;
  /** Read sessions stored without encryption (written before it was turned on). Default false. */
  allowPlaintext?: boolean;
}

/**
 * Your own cipher, for example one that calls AWS KMS. `aad` is the
 * additional authenticated data (the payload's format header, the backend's
 * key scope such as DynamoDB's prefix and sort key value, and the session's
 * storage id): bind it, so that a payload copied to another id, prefix or sort
 * key fails to decrypt. `decrypt` must reject when authentication fails.
 */
export interface CustomCipher {
  encrypt(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

export interface CustomEncryptionOptions extends CustomCipher {
  /** Read sessions stored without encryption (written before it was turned on). Default false. */
  allowPlaintext?: boolean;
}

/** The `encryption` option. */
export type EncryptionOption = KeyEncryptionOptions | CustomEncryptionOptions;

export type ResolvedEncryption =
  | {
      readonly kind: 'aes-256-gcm';
      readonly currentKeyId: string;
      readonly keys: ReadonlyMap<string, KeyObject>;
      readonly allowPlaintext: boolean;
    }
  | { readonly kind: 'custom'; readonly cipher: CustomCipher; readonly allowPlaintext: boolean };

/**
 * A stored payload could not be decrypted: it failed authentication (changed,
 * or copied from another session id), names a key that is not configured, is
 * encrypted while encryption is off, or is not encrypted while it is on.
 */
export class DecryptionError extends CorruptPayloadError {}

const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** A string where a key may have been put by mistake (`encryption: process.env.KEY`) is described, never shown. */
function describeSecret(value: unknown): string {
  return typeof value === 'string' ? `a string of ${value.length} characters (not shown: it may be a key)` : describeValue(value);
}

/** Validates the `encryption` option; `undefined` means off. Never puts key material in a message. */
export function resolveEncryption(value: unknown): ResolvedEncryption | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(
      'encryption',
      `option "encryption" must be an object { keys: [{ id, key }] } or { encrypt, decrypt }; got ${describeSecret(value)}`,
    );
  }
  assertOptionsObject(value, 'encryption');
  const allowPlaintext = optionalBoolean('encryption.allowPlaintext', value.allowPlaintext, false);
  const hasCipher = value.encrypt !== undefined || value.decrypt !== undefined;
  if (hasCipher) {
    if (value.keys !== undefined || value.current !== undefined) {
      throw new InvalidOptionError('encryption', 'option "encryption" takes either keys or an encrypt/decrypt pair, not both');
    }
    for (const name of ['encrypt', 'decrypt'] as const) {
      if (typeof value[name] !== 'function') {
        throw new InvalidOptionError(
          `encryption.${name}`,
          `option "encryption.${name}" must be an async function; got ${describeValue(value[name])}`,
        );
      }
    }
    return Object.freeze({ kind: 'custom', cipher: value as unknown as CustomCipher, allowPlaintext });
  }
  const keys = value.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new InvalidOptionError(
      'encryption.keys',
      `option "encryption.keys" must be a non-empty array of { id, key }; got ${Array.isArray(keys) ? 'an empty array' : describeSecret(keys)}`,
    );
  }
  const byId = new Map<string, KeyObject>();
  keys.forEach((entry: unknown, i) => {
    const name = `encryption.keys[${i}]`;
    if (typeof entry === 'string')
      throw new InvalidOptionError(name, `option "${name}" must be an object { id, key }; got ${describeSecret(entry)}`);
    assertOptionsObject(entry, name);
    if (entry === undefined) throw new InvalidOptionError(name, `option "${name}" must be an object { id, key }; got undefined`);
    const id = entry.id;
    const idBytes = typeof id === 'string' ? Buffer.byteLength(id, 'utf8') : 0;
    if (typeof id !== 'string' || idBytes < 1 || idBytes > MAX_KEY_ID_BYTES) {
      throw new InvalidOptionError(
        `${name}.id`,
        `option "${name}.id" must be a string of 1 to ${MAX_KEY_ID_BYTES} UTF-8 bytes; got ${describeValue(id)}`,
      );
    }
    if (byId.has(id)) {
      throw new InvalidOptionError(`${name}.id`, `option "${name}.id" repeats the key id ${JSON.stringify(id)}; key ids must be unique`);
    }
    byId.set(id, toKeyObject(`${name}.key`, entry.key));
  });
  const current = value.current ?? keys[0].id;
  if (typeof current !== 'string' || !byId.has(current)) {
    throw new InvalidOptionError(
      'encryption.current',
      `option "encryption.current" must be the id of one of encryption.keys (${[...byId.keys()].map((k) => JSON.stringify(k)).join(', ')}); got ${describeValue(current)}`,
    );
  }
  return Object.freeze({ kind: 'aes-256-gcm', currentKeyId: current, keys: byId, allowPlaintext });
}

/** A 32-byte secret KeyObject (a copy: later changes to the caller's Buffer do not affect it, and it never prints its bytes). */
function toKeyObject(name: string, key: unknown): KeyObject {
  const expected = `32 bytes (AES-256): a Buffer/Uint8Array of 32 bytes, 64 hex digits, 44 base64 characters or a secret KeyObject`;
  if (key instanceof KeyObject) {
    if (key.type === 'secret' && key.symmetricKeySize === KEY_BYTES) return key;
    throw new InvalidOptionError(
      name,
      `option "${name}" must be ${expected}; got a ${key.type} KeyObject${key.type === 'secret' ? ` of ${key.symmetricKeySize} bytes` : ''}`,
    );
  }
  if (key instanceof Uint8Array) {
    if (key.byteLength === KEY_BYTES) return createSecretKey(Buffer.from(key));
    throw new InvalidOptionError(name, `option "${name}" must be ${expected}; got ${key.byteLength} bytes`);
  }
  if (typeof key === 'string') {
    if (HEX_KEY.test(key)) return createSecretKey(Buffer.from(key, 'hex'));
    if (BASE64_KEY.test(key)) {
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length === KEY_BYTES) return createSecretKey(bytes);
    }
    throw new InvalidOptionError(
      name,
      `option "${name}" must be ${expected}; got a string of ${key.length} characters that is neither (its value is not shown)`,
    );
  }
  throw new InvalidOptionError(name, `option "${name}" must be ${expected}; got ${describeValue(key)}`);
}

/** Encrypts `plaintext` with AES-256-GCM under a fresh random IV; returns IV || ciphertext || tag. */
export function aesGcmEncrypt(key: KeyObject, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([iv, body, final, cipher.getAuthTag()]);
}

/** Decrypts IV || ciphertext || tag; throws {@link DecryptionError} when authentication fails. */
export function aesGcmDecrypt(key: KeyObject, sealed: Uint8Array, aad: Uint8Array): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('stored session is too short to be AES-256-GCM ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const body = decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch (cause) {
    throw new DecryptionError(
      'stored session failed authentication: it was changed, copied from another session id, key prefix or sort key, or encrypted with a different key of the same id',
      { cause },
    );
  }
}

/** Runs a custom cipher's encrypt, checking what it returns. */
export async function customEncrypt(cipher: CustomCipher, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  let sealed: unknown;
  try {
    sealed = await cipher.encrypt(plaintext, aad);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SerializationError(`session could not be encrypted: encryption.encrypt failed: ${reason}`, { cause });
  }
  if (!(sealed instanceof Uint8Array)) {
    throw new SerializationError(`encryption.encrypt must resolve to a Uint8Array; got ${describeValue(sealed)}`);
  }
  return sealed;
}

/** Runs a custom cipher's decrypt; any failure is a {@link DecryptionError}. */
export async function customDecrypt(cipher: CustomCipher, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  let plain: unknown;
  try {
    plain = await cipher.decrypt(sealed, aad);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new DecryptionError(`stored session could not be decrypted: encryption.decrypt failed: ${reason}`, { cause });
  }
  if (!(plain instanceof Uint8Array)) {
    throw new DecryptionError(`encryption.decrypt must resolve to a Uint8Array; got ${describeValue(plain)}`);
  }
  return plain;
}
