import { createCipheriv, createDecipheriv, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  type CustomCipher,
  DecryptionError,
  decodePayload,
  encodePayload,
  FORMAT_VERSION,
  InvalidOptionError,
  readPayloadHeader,
  resolveEncryption,
  SerializationError,
} from '@connect-dynamodb-session/core';

const id = 'storage-id-0123456789';
const k1 = randomBytes(32);
const k2 = randomBytes(32);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function keyIdOf(payload: string | Uint8Array): string {
  if (typeof payload === 'string') throw new Error('expected a binary payload');
  return readPayloadHeader(payload).header.keyId;
}

describe('resolveEncryption: keys', () => {
  it('accepts 32-byte keys as Buffer, Uint8Array, hex, base64, unpadded base64url and KeyObject', () => {
    const forms = [
      k1,
      new Uint8Array(k1),
      k1.toString('hex'),
      k1.toString('hex').toUpperCase(),
      k1.toString('base64'),
      k1.toString('base64url'),
      createSecretKey(k1),
    ];
    const texts = forms.map((key) => resolveEncryption({ keys: [{ id: 'a', key }] }));
    const reference = resolveEncryption({ keys: [{ id: 'a', key: k1 }] });
    for (const resolved of texts) {
      if (resolved?.kind !== 'aes-256-gcm' || reference?.kind !== 'aes-256-gcm') throw new Error('expected AES');
      expect(resolved.keys.get('a')?.export().equals(k1)).toBe(true);
    }
  });

  it("copies the key: changing the caller's Buffer afterwards changes nothing", async () => {
    const mutable = Buffer.from(k1);
    const encryption = resolveEncryption({ keys: [{ id: 'a', key: mutable }] });
    const payload = await encodePayload('{"a":1}', id, { encryption });
    mutable.fill(0);
    await expect(decodePayload(payload, id, { encryption })).resolves.toBe('{"a":1}');
  });

  it.each([
    [{ keys: [] }, 'encryption.keys', /non-empty array of \{ id, key \}; got an empty array/],
    [{ keys: 'k' }, 'encryption.keys', /got a string of 1 characters \(not shown: it may be a key\)/],
    [{}, 'encryption.keys', /got undefined/],
    [{ keys: [null] }, 'encryption.keys[0]', /must be an object/],
    [{ keys: [{ key: k1 }] }, 'encryption.keys[0].id', /string of 1 to 255 UTF-8 bytes; got undefined/],
    [{ keys: [{ id: '', key: k1 }] }, 'encryption.keys[0].id', /got ""/],
    [{ keys: [{ id: 'x'.repeat(256), key: k1 }] }, 'encryption.keys[0].id', /1 to 255/],
    [
      {
        keys: [
          { id: 'a', key: k1 },
          { id: 'a', key: k2 },
        ],
      },
      'encryption.keys[1].id',
      /repeats the key id "a"/,
    ],
    [{ keys: [{ id: 'a', key: randomBytes(16) }] }, 'encryption.keys[0].key', /32 bytes \(AES-256\).*; got 16 bytes/],
    [{ keys: [{ id: 'a', key: 42 }] }, 'encryption.keys[0].key', /got 42/],
    [{ keys: [{ id: 'a', key: createSecretKey(randomBytes(24)) }] }, 'encryption.keys[0].key', /got a secret KeyObject of 24 bytes/],
    [{ keys: [{ id: 'a', key: generateKeyPairSync('ed25519').privateKey }] }, 'encryption.keys[0].key', /got a private KeyObject/],
    [{ keys: [{ id: 'a', key: k1 }], current: 'b' }, 'encryption.current', /one of encryption.keys \("a"\); got "b"/],
    [{ keys: [{ id: 'a', key: k1 }], allowPlaintext: 'yes' }, 'encryption.allowPlaintext', /true or false; got "yes"/],
    [{ keys: [{ id: 'a', key: k1 }], encrypt: async () => k1 }, 'encryption', /either keys or an encrypt\/decrypt pair/],
    [{ encrypt: async () => k1 }, 'encryption.decrypt', /async function; got undefined/],
    ['secret', 'encryption', /must be an object.*; got a string of 6 characters \(not shown: it may be a key\)/],
  ])('rejects %p naming the option', (value, option, message) => {
    const error = thrown(() => resolveEncryption(value));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['a passphrase', 'correct horse battery staple'],
    ['hex of 31 bytes', randomBytes(31).toString('hex')],
    ['base64 of 24 bytes', randomBytes(24).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
  ])('rejects a string key that is %s without printing it', (_name, key) => {
    const error = thrown(() => resolveEncryption({ keys: [{ id: 'a', key }] })) as InvalidOptionError;
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.option).toBe('encryption.keys[0].key');
    expect(error.message).toMatch(new RegExp(`got a string of ${key.length} characters .*\\(its value is not shown\\)`));
    expect(error.message).not.toContain(key);
    expect(error.message).not.toContain(key.slice(0, 8));
  });

  it('keeps key material out of how resolved options print', () => {
    const resolved = resolveEncryption({ keys: [{ id: 'a', key: k1 }] });
    const printed = `${JSON.stringify(resolved)} ${require('node:util').inspect(resolved, { depth: 10 })}`;
    expect(printed).not.toContain(k1.toString('hex'));
    expect(printed).not.toContain(k1.toString('base64'));
  });

  it('encrypts with the first key by default, or with current', () => {
    expect(
      resolveEncryption({
        keys: [
          { id: 'a', key: k1 },
          { id: 'b', key: k2 },
        ],
      }),
    ).toMatchObject({ currentKeyId: 'a', allowPlaintext: false });
    expect(
      resolveEncryption({
        keys: [
          { id: 'a', key: k1 },
          { id: 'b', key: k2 },
        ],
        current: 'b',
      }),
    ).toMatchObject({ currentKeyId: 'b' });
  });
});

describe('key rotation', () => {
  it('reads payloads written under the old key after a new key is added, and writes new ones under the new key', async () => {
    const before = resolveEncryption({ keys: [{ id: 'k1', key: k1 }] });
    const old = await encodePayload('{"written":"before"}', id, { encryption: before });
    expect(keyIdOf(old)).toBe('k1');

    const after = resolveEncryption({
      keys: [
        { id: 'k2', key: k2 },
        { id: 'k1', key: k1 },
      ],
    });
    await expect(decodePayload(old, id, { encryption: after })).resolves.toBe('{"written":"before"}');
    const fresh = await encodePayload('{"written":"after"}', id, { encryption: after });
    expect(keyIdOf(fresh)).toBe('k2');

    // Once k1 is retired, what it wrote is a typed error naming the missing key id, not anything else.
    const retired = resolveEncryption({ keys: [{ id: 'k2', key: k2 }] });
    await expect(decodePayload(fresh, id, { encryption: retired })).resolves.toBe('{"written":"after"}');
    await expect(decodePayload(old, id, { encryption: retired })).rejects.toThrow(
      new DecryptionError('stored session is encrypted with AES-256-GCM key id "k1", which is not among encryption.keys'),
    );
  });

  it('stages a new key for reading before it writes (current), for rolling deploys', async () => {
    const staged = resolveEncryption({
      keys: [
        { id: 'k1', key: k1 },
        { id: 'k2', key: k2 },
      ],
      current: 'k1',
    });
    const fromNewFleet = await encodePayload('{"a":1}', id, { encryption: resolveEncryption({ keys: [{ id: 'k2', key: k2 }] }) });
    await expect(decodePayload(fromNewFleet, id, { encryption: staged })).resolves.toBe('{"a":1}');
    expect(keyIdOf(await encodePayload('{"a":1}', id, { encryption: staged }))).toBe('k1');
  });

  it('fails authentication when a key id is reused for different key material', async () => {
    const payload = await encodePayload('{"a":1}', id, { encryption: resolveEncryption({ keys: [{ id: 'k1', key: k1 }] }) });
    await expect(decodePayload(payload, id, { encryption: resolveEncryption({ keys: [{ id: 'k1', key: k2 }] }) })).rejects.toThrow(
      /failed authentication/,
    );
  });
});

/** A custom cipher in the style of a KMS data-key wrapper: AES-256-GCM under its own key, async, binding the AAD. */
function sampleCipher(key = randomBytes(32)): CustomCipher & { calls: { aad: Buffer }[] } {
  const calls: { aad: Buffer }[] = [];
  return {
    calls,
    async encrypt(plaintext, aad) {
      await new Promise((resolve) => setImmediate(resolve));
      calls.push({ aad: Buffer.from(aad) });
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad);
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    async decrypt(sealed, aad) {
      await new Promise((resolve) => setImmediate(resolve));
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    },
  };
}

describe('custom encrypt/decrypt pair', () => {
  it('round-trips, and passes the header, the key scope (length first) and the storage id as AAD', async () => {
    const cipher = sampleCipher();
    const encryption = resolveEncryption(cipher);
    const keyScope = '["shop:",null]';
    const payload = await encodePayload('{"user":"ada"}', id, { encryption, keyScope });
    if (typeof payload === 'string') throw new Error('expected bytes');
    expect(readPayloadHeader(payload).header).toEqual({ compression: 'none', encryption: 'custom', keyId: '' });
    const length = Buffer.from([0, 0, 0, Buffer.byteLength(keyScope)]);
    expect(cipher.calls[0]?.aad.equals(Buffer.concat([payload.subarray(0, 3), length, Buffer.from(keyScope), Buffer.from(id)]))).toBe(true);
    await expect(decodePayload(payload, id, { encryption, keyScope })).resolves.toBe('{"user":"ada"}');
    await expect(decodePayload(payload, 'another-id', { encryption, keyScope })).rejects.toThrow(DecryptionError);
    await expect(decodePayload(payload, id, { encryption, keyScope: '["admin:",null]' })).rejects.toThrow(DecryptionError);
  });

  it('wraps a failing encrypt in a SerializationError and a failing decrypt in a DecryptionError, with the cause', async () => {
    const outage = new Error('KMS unavailable');
    const encryption = resolveEncryption({
      encrypt: async () => {
        throw outage;
      },
      decrypt: async () => {
        throw outage;
      },
    });
    await expect(encodePayload('{}', id, { encryption })).rejects.toMatchObject({
      constructor: SerializationError,
      cause: outage,
      message: 'session could not be encrypted: encryption.encrypt failed: KMS unavailable',
    });
    await expect(decodePayload(Buffer.from([0xc1, FORMAT_VERSION, 0x08, 1, 2, 3]), id, { encryption })).rejects.toMatchObject({
      constructor: DecryptionError,
      cause: outage,
    });
  });

  it('rejects what is not bytes from either function', async () => {
    const encryption = resolveEncryption({ encrypt: async () => 'text', decrypt: async () => 'text' } as never);
    await expect(encodePayload('{}', id, { encryption })).rejects.toThrow(/must resolve to a Uint8Array; got "text"/);
    await expect(decodePayload(Buffer.from([0xc1, FORMAT_VERSION, 0x08, 1]), id, { encryption })).rejects.toThrow(DecryptionError);
  });

  it('does not mix with keys: a payload from one kind is a DecryptionError for the other', async () => {
    const custom = resolveEncryption(sampleCipher());
    const keys = resolveEncryption({ keys: [{ id: 'k1', key: k1 }] });
    const byKeys = await encodePayload('{}', id, { encryption: keys });
    const byCustom = await encodePayload('{}', id, { encryption: custom });
    await expect(decodePayload(byKeys, id, { encryption: custom })).rejects.toThrow(/is a custom encrypt\/decrypt pair/);
    await expect(decodePayload(byCustom, id, { encryption: keys })).rejects.toThrow(/has keys, not an encrypt\/decrypt pair/);
  });
});

describe('the key scope (issue 12.8: bind the whole storage key, not only the id)', () => {
  const encryption = resolveEncryption({ keys: [{ id: 'k1', key: k1 }] });

  it('a payload copied to the same id under another prefix or sort key fails authentication', async () => {
    const admin = '["admin:",null]';
    const payload = await encodePayload('{"role":"admin"}', 'X', { encryption, keyScope: admin });
    await expect(decodePayload(payload, 'X', { encryption, keyScope: admin })).resolves.toBe('{"role":"admin"}');
    for (const other of ['["shop:",null]', '["admin:","session"]', '', '["",null]']) {
      await expect(decodePayload(payload, 'X', { encryption, keyScope: other })).rejects.toThrow(/failed authentication/);
    }
  });

  it('no scope and id pair authenticates as another one (the scope length is bound)', async () => {
    // Without the length, ("ab", "c") and ("a", "bc") would give the same bytes.
    const payload = await encodePayload('{}', 'c', { encryption, keyScope: 'ab' });
    await expect(decodePayload(payload, 'bc', { encryption, keyScope: 'a' })).rejects.toThrow(/failed authentication/);
  });

  it('refuses, with its own message, an encrypted payload of format 1 (pre-releases of 2.0 bound the id only)', async () => {
    const payload = (await encodePayload('{}', id, { encryption })) as Uint8Array;
    const formatOne = Buffer.from(payload);
    formatOne[1] = 1;
    await expect(decodePayload(formatOne, id, { encryption })).rejects.toThrow(
      new DecryptionError(
        'stored session was encrypted by a pre-release of 2.0 (payload format 1), whose authenticated data did not bind the key prefix and sort key; it is not read (the user signs in again)',
      ),
    );
  });

  it('still reads an unencrypted payload of format 1 (compressed by a pre-release)', async () => {
    const compressed = (await encodePayload('{"a":"'.concat('x'.repeat(2000), '"}'), id, {
      compression: { algorithm: 'gzip', thresholdBytes: 1, level: 6 },
    })) as Uint8Array;
    const formatOne = Buffer.from(compressed);
    formatOne[1] = 1;
    await expect(decodePayload(formatOne, id, {})).resolves.toBe('{"a":"'.concat('x'.repeat(2000), '"}'));
  });
});
