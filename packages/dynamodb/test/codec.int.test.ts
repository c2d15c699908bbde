// Compression, encryption, hashed ids and the size guard of the core store,
// end to end over DynamoDBBackend on a real server (dynalite, or moto in CI),
// checked by reading the raw items back with a separate client.

import { randomBytes, randomUUID } from 'node:crypto';
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CorruptPayloadError,
  DecryptionError,
  PayloadTooLargeError,
  readPayloadHeader,
  resolveHashIds,
  SessionStore,
  type SessionStoreOptions,
} from '@connect-dynamodb-session/core';
import { type DynamoDBBackend, MAX_ITEM_BYTES } from '@connect-dynamodb-session/dynamodb';
import { customCipher } from '../../../test-support/custom-cipher';
import { dropBackend, newBackend, rawClient, readItem } from './helpers';

const client = rawClient();
let backend: DynamoDBBackend;
let table: string;

beforeAll(async () => {
  backend = newBackend();
  await backend.init();
  table = backend.options.tableName;
});
afterAll(async () => {
  await dropBackend(backend, client);
  client.destroy();
});

const HOUR = 3_600_000;
const secret = randomBytes(32);
const hash = resolveHashIds({ secret }) as (id: string) => string;
const k1 = randomBytes(32);
const k2 = randomBytes(32);

/** A store on the shared table. Not closed by the tests: closing a store closes its backend, which afterAll does. */
function storeWith(options: Partial<SessionStoreOptions> = {}) {
  const err = jest.fn();
  const store = new SessionStore({ backend, cleanupInterval: 0, err, ...options });
  const key = (id: string) => (options.hashIds ? hash(id) : id);
  return { store, err, key };
}

const cookie = () => ({ originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR).toISOString(), httpOnly: true, path: '/' });

/** A cart with many similar lines: realistic, and compressible like real sessions. */
function cartSession(approxBytes: number) {
  const lines = [];
  for (let i = 0, length = 0; length < approxBytes; i++) {
    const line = {
      sku: `SKU-${(i * 7919) % 1000}`,
      name: `Product ${i % 40}`,
      qty: (i % 5) + 1,
      price: { amount: 1999 + (i % 13), currency: 'EUR' },
    };
    lines.push(line);
    length += JSON.stringify(line).length + 1;
  }
  return { cookie: cookie(), user: { id: 42, name: 'Ada Lovelace' }, cart: { lines } };
}

const rawGet = async (storageId: string) => {
  const item = await readItem(client, table, { [backend.options.keyAttribute]: storageId });
  if (!item) throw new Error('no item');
  return item;
};
const rawPut = (item: Record<string, AttributeValue>) => client.send(new PutItemCommand({ TableName: table, Item: item }));
const content = (item: Record<string, AttributeValue>) => item[backend.options.contentAttribute];
const binaryContent = (item: Record<string, AttributeValue>): Uint8Array => {
  const bytes = content(item)?.B;
  if (!bytes) throw new Error('expected a Binary attribute');
  return bytes;
};

describe.each([undefined, 'gzip', 'brotli'] as const)('compression %s', (compression) => {
  const encryptions = { none: () => undefined, keys: () => ({ keys: [{ id: 'k1', key: k1 }] }), custom: () => customCipher() };
  describe.each(Object.keys(encryptions) as (keyof typeof encryptions)[])('encryption %s', (encryptionName) => {
    it.each([false, true])('round-trips a 20 KB session with hashIds %s, stored as S or B as the format says', async (hashIds) => {
      const { store, key } = storeWith({
        compression,
        encryption: encryptions[encryptionName](),
        hashIds: hashIds ? { secret } : undefined,
      });
      const id = randomUUID();
      const session = cartSession(20_000);
      await store.set(id, session);
      await expect(store.get(id)).resolves.toEqual(session);

      if (hashIds) await expect(readItem(client, table, { [backend.options.keyAttribute]: id })).resolves.toBeUndefined();
      const stored = content(await rawGet(key(id)));
      if (!compression && encryptionName === 'none') {
        expect(stored).toEqual({ S: JSON.stringify(session) });
        return;
      }
      const bytes = stored?.B;
      if (!bytes) throw new Error('expected a Binary attribute');
      expect(readPayloadHeader(bytes).header).toMatchObject({
        compression: compression ?? 'none',
        encryption: { none: 'none', keys: 'aes-256-gcm', custom: 'custom' }[encryptionName],
      });
      if (encryptionName !== 'none') expect(Buffer.from(bytes).includes('Lovelace')).toBe(false);
    });
  });
});

describe('encryption', () => {
  const encryption = { keys: [{ id: 'k1', key: k1 }] };

  it('reads items written under the old key after a new key is added; new items carry the new key id', async () => {
    const before = storeWith({ encryption, compression: 'gzip' }).store;
    const after = storeWith({ encryption: { keys: [{ id: 'k2', key: k2 }, ...encryption.keys] }, compression: 'gzip' }).store;
    const old = randomUUID();
    const fresh = randomUUID();
    await before.set(old, { cookie: cookie(), written: 'under k1' });
    await expect(after.get(old)).resolves.toMatchObject({ written: 'under k1' });
    await after.set(fresh, { cookie: cookie(), written: 'under k2' });
    const keyIdOf = async (id: string) => readPayloadHeader(binaryContent(await rawGet(id))).header.keyId;
    await expect(keyIdOf(old)).resolves.toBe('k1');
    await expect(keyIdOf(fresh)).resolves.toBe('k2');
  });

  it("detects a flipped byte in the stored ciphertext: CorruptPayloadError with 'throw', null and the err hook with 'miss'", async () => {
    const throwing = storeWith({ encryption, onCorruptPayload: 'throw' });
    const missing = storeWith({ encryption });
    const id = randomUUID();
    await throwing.store.set(id, { cookie: cookie(), user: 'ada', admin: false });
    const item = await rawGet(id);
    const bytes = Buffer.from(binaryContent(item));
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0x01;
    await rawPut({ ...item, [backend.options.contentAttribute]: { B: bytes } });

    const error = await throwing.store.get(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toBeInstanceOf(CorruptPayloadError);
    expect(throwing.err).toHaveBeenCalledWith(expect.stringContaining('failed authentication'), error);
    await expect(missing.store.get(id)).resolves.toBeNull();
    expect(missing.err).toHaveBeenCalledWith(expect.stringContaining(`sid:${id.slice(0, 6)}…`), expect.any(DecryptionError));
    expect(JSON.stringify(missing.err.mock.calls)).not.toContain(id);
  });

  it.each([false, true])('detects a payload copied to another id (hashIds %s)', async (hashIds) => {
    const { store, key, err } = storeWith({ encryption, hashIds: hashIds ? { secret } : undefined });
    const victim = randomUUID();
    const attacker = randomUUID();
    await store.set(victim, { cookie: cookie(), user: 'victim', admin: true });
    await store.set(attacker, { cookie: cookie(), user: 'attacker' });
    const item = await rawGet(key(victim));
    await rawPut({ ...item, [backend.options.keyAttribute]: { S: key(attacker) } });
    await expect(store.get(attacker)).resolves.toBeNull();
    expect(err.mock.calls[0]?.[1]).toBeInstanceOf(DecryptionError);
  });

  it('works with an async custom encrypt/decrypt pair, swap detection included', async () => {
    const { store, err } = storeWith({ encryption: customCipher(), compression: 'brotli' });
    const id = randomUUID();
    const session = cartSession(50_000);
    await store.set(id, session);
    await expect(store.get(id)).resolves.toEqual(session);
    const other = randomUUID();
    await rawPut({ ...(await rawGet(id)), [backend.options.keyAttribute]: { S: other } });
    await expect(store.get(other)).resolves.toBeNull();
    expect(err.mock.calls[0]?.[1]).toBeInstanceOf(DecryptionError);
  });
});

describe('large sessions', () => {
  it.each(['gzip', 'brotli'] as const)('a 1 MB session fits in one DynamoDB item with %s, and round-trips', async (algorithm) => {
    const { store } = storeWith({ compression: algorithm, encryption: { keys: [{ id: 'k1', key: k1 }] } });
    const id = randomUUID();
    const session = cartSession(1024 * 1024);
    expect(Buffer.byteLength(JSON.stringify(session))).toBeGreaterThan(1024 * 1024);
    await store.set(id, session);
    expect(binaryContent(await rawGet(id)).length).toBeLessThan(MAX_ITEM_BYTES / 4);
    await expect(store.get(id)).resolves.toEqual(session);
  });

  it('refuses incompressible data: the core guard (maxPayloadBytes) and else the backend, both with the size', async () => {
    const noise = randomBytes(450 * 1024).toString('base64');
    const guarded = storeWith({ compression: 'gzip', maxPayloadBytes: 350 * 1024 });
    const unguarded = storeWith({ compression: 'gzip' });
    const id = randomUUID();

    const byCore = (await guarded.store.set(id, { cookie: cookie(), noise }).catch((e: unknown) => e)) as PayloadTooLargeError;
    expect(byCore).toBeInstanceOf(PayloadTooLargeError);
    expect(byCore.limit).toBe(350 * 1024);
    expect(byCore.message).toMatch(/^session payload after gzip is \d+ bytes/);

    const byBackend = (await unguarded.store.set(id, { cookie: cookie(), noise }).catch((e: unknown) => e)) as PayloadTooLargeError;
    expect(byBackend).toBeInstanceOf(PayloadTooLargeError);
    expect(byBackend.limit).toBe(MAX_ITEM_BYTES);
    expect(byBackend.size).toBeGreaterThan(MAX_ITEM_BYTES);
    expect(byBackend.size).toBeLessThan(noise.length); // it was compressed first (base64 of random bytes: to ~3/4)
    await expect(readItem(client, table, { [backend.options.keyAttribute]: id })).resolves.toBeUndefined();
  });
});

describe('items written before the features were on', () => {
  // What 1.x wrote: expiry in epoch ms, the session's JSON as S.
  const legacyItem = (storageId: string) => ({
    [backend.options.keyAttribute]: { S: storageId },
    [backend.options.expiresAttribute]: { N: String(Date.now() + HOUR) },
    [backend.options.contentAttribute]: { S: JSON.stringify({ cookie: cookie(), user: 'ada' }) },
  });

  it.each<[string, Partial<SessionStoreOptions>]>([
    ['compression and the size guard', { compression: 'gzip', maxPayloadBytes: 100_000, warnAboveBytes: 10 }],
    ['encryption with allowPlaintext', { encryption: { keys: [{ id: 'k1', key: k1 }], allowPlaintext: true } }],
    [
      'everything (hashIds: the item is under the hash)',
      { compression: 'brotli', encryption: { ...customCipher(), allowPlaintext: true }, hashIds: { secret } },
    ],
  ])('1.x items read with %s on', async (_name, options) => {
    const { store, key, err } = storeWith(options);
    const id = randomUUID();
    await rawPut(legacyItem(key(id)));
    await expect(store.get(id)).resolves.toMatchObject({ user: 'ada' });
    expect(err).not.toHaveBeenCalled();
  });

  it('1.x items are refused while encryption is on without allowPlaintext', async () => {
    const { store, err } = storeWith({ encryption: { keys: [{ id: 'k1', key: k1 }] } });
    const id = randomUUID();
    await rawPut(legacyItem(id));
    await expect(store.get(id)).resolves.toBeNull();
    expect(err).toHaveBeenCalledWith(expect.stringContaining('allowPlaintext is false'), expect.any(DecryptionError));
  });

  it('a compressed item still reads after compression is turned off', async () => {
    const id = randomUUID();
    const session = cartSession(10_000);
    await storeWith({ compression: 'gzip' }).store.set(id, session);
    await expect(storeWith().store.get(id)).resolves.toEqual(session);
  });
});

describe('hashed ids', () => {
  it('all() and ids() return the hashes, which are not session ids', async () => {
    // A table of its own: a prefixed store next to the shared table's unprefixed one would overlap it (refused).
    const prefix = `hashed-${randomUUID()}:`;
    const scoped = newBackend({ prefix });
    const store = new SessionStore({ backend: scoped, cleanupInterval: 0, hashIds: { secret, encoding: 'hex' } });
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) await store.set(id, { cookie: cookie(), id });
    const hexHash = resolveHashIds({ secret, encoding: 'hex' }) as (id: string) => string;
    await expect(store.ids().then((listed) => listed.sort())).resolves.toEqual(ids.map(hexHash).sort());
    const all = await store.all();
    expect(all.map((entry) => entry.id).sort()).toEqual(ids.map(hexHash).sort());
    // A listed hash used as a session id is hashed again: it reads and destroys nothing.
    const first = all[0]?.id as string;
    await expect(store.get(first)).resolves.toBeNull();
    await store.destroy(first);
    await expect(store.length()).resolves.toBe(2);
    await store.close();
    await dropBackend(scoped, client);
  });
});
