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

/** What the owner key is derived from: changing it (a new version) would orphan every stored owner. */
const OWNER_KEY_LABEL = 'connect-dynamodb-session owner v1';

/**
 * With `hashIds`, the owner mapping: HMAC-SHA-256(ownerKey, owner), where
 * ownerKey = HMAC-SHA-256(secret, "connect-dynamodb-session owner v1"). The
 * table then holds no user id, and a hash of an owner never equals the hash
 * of a session id of the same text (a separate key). Same encoding as the ids.
 * `undefined` when hashed ids are off.
 */
export function resolveOwnerHash(value: unknown): ((owner: string) => string) | undefined {
  if (resolveHashIds(value) === undefined) return undefined; // Validates, exactly as for the ids.
  const { secret, encoding = 'base64url' } = value as HashIdsOptions;
  const secretKey = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret));
  const ownerKey = createSecretKey(createHmac('sha256', secretKey).update(OWNER_KEY_LABEL, 'utf8').digest());
  return (owner) => createHmac('sha256', ownerKey).update(owner, 'utf8').digest(encoding);
}
