import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { InvalidOptionError } from './errors';
import { assertOptionsObject, describeValue, optionalOneOf } from './options';

/** The `hashIds` option. */
export interface HashIdsOptions {
  /** HMAC-SHA-256 key. At least 32 random bytes recommended. Changing it orphans every stored session. */
  secret: string | Uint8Array;
  /** How the 32-byte digest is written: `'base64url'` (43 characters, default) or `'hex'` (64). */
  encoding?: 'base64url' | 'hex';
}

/**
 * Validates `hashIds` and returns the id mapping: HMAC-SHA-256(secret, id).
 * A live session id is a bearer credential; the hash of it is not, and without
 * the secret it cannot be computed from a guessed id either.
 */
export function resolveHashIds(value: unknown): ((id: string) => string) | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    // A string here is most likely the secret itself (`hashIds: process.env.SECRET`): never show it.
    const got =
      typeof value === 'string' ? `a string of ${value.length} characters (not shown: it may be the secret)` : describeValue(value);
    throw new InvalidOptionError('hashIds', `option "hashIds" must be an object { secret, encoding }; got ${got}`);
  }
  assertOptionsObject(value, 'hashIds');
  const secret = value.secret;
  const secretBytes = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret instanceof Uint8Array ? secret.byteLength : 0;
  if ((typeof secret !== 'string' && !(secret instanceof Uint8Array)) || secretBytes === 0) {
    throw new InvalidOptionError(
      'hashIds.secret',
      `option "hashIds.secret" must be a non-empty string or Buffer (32 random bytes recommended); got ${
        typeof secret === 'string' || secret instanceof Uint8Array ? 'an empty one' : describeValue(secret)
      }`,
    );
  }
  const encoding = optionalOneOf('hashIds.encoding', value.encoding, ['base64url', 'hex'] as const, 'base64url');
  // A KeyObject copy: later changes to the caller's Buffer don't matter, and it never prints its bytes.
  const key: KeyObject = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret));
  return (id) => createHmac('sha256', key).update(id, 'utf8').digest(encoding);
}
