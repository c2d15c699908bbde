import { randomBytes } from 'node:crypto';
import {
  CorruptPayloadError,
  DecryptionError,
  MemoryBackend,
  type Payload,
  PayloadTooLargeError,
  readPayloadHeader,
  resolveHashIds,
  SessionStore,
  type SessionStoreOptions,
} from '@connect-dynamodb-session/core';
import { createFakeClock } from '@connect-dynamodb-session/core/testing';
import { customCipher } from '../../../test-support/custom-cipher';

// SessionStore over MemoryBackend with every combination of the codec options, inspecting what is stored.

const HOUR = 3_600_000;
const START = 1_800_000_000_000;
const sid = 'sid-0123456789abcdefghijklmnop';
const other = 'sid-zyxwvutsrqponmlkjihgfedcba';
const secret = 'hash-secret-from-the-environment';
const hash = resolveHashIds({ secret }) as (id: string) => string;
const k1 = randomBytes(32);
const k2 = randomBytes(32);

function setup(options: Partial<SessionStoreOptions> = {}) {
  const clock = createFakeClock(START);
  const memory = new MemoryBackend();
  const err = jest.fn();
  const log = jest.fn();
  const store = new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0, err, log, ...options });
  const cookie = () => ({ originalMaxAge: HOUR, expires: new Date(clock.now() + HOUR).toISOString() });
  const key = (id: string) => (options.hashIds ? hash(id) : id);
  const stored = (id: string): Payload => {
    const record = memory.peek(key(id));
    if (!record?.payload) throw new Error('nothing stored');
    return record.payload;
  };
  return { clock, memory, store, err, log, cookie, key, stored };
}

/** Changes bits of one byte in place. */
function flip(bytes: Uint8Array, index: number, mask = 0x01): void {
  bytes[index] = (bytes[index] ?? 0) ^ mask;
}

/** A cart with many similar lines: realistic, and compressible like real sessions. */
function cartSession<C extends object>(approxBytes: number, cookie: C) {
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
  return { cookie, user: { id: 42, name: 'Ada Lovelace', roles: ['customer'] }, cart: { lines } };
}

const compressions = [undefined, 'gzip', 'brotli'] as const;
const encryptions = {
  none: () => undefined,
  keys: () => ({ keys: [{ id: 'k1', key: k1 }] }),
  custom: () => customCipher(),
} as const;

describe.each(compressions)('compression %s', (compression) => {
  describe.each(Object.keys(encryptions) as (keyof typeof encryptions)[])('encryption %s', (encryptionName) => {
    describe.each([false, true])('hashIds %s', (hashIds) => {
      const options = (): Partial<SessionStoreOptions> => ({
        compression,
        encryption: encryptions[encryptionName](),
        hashIds: hashIds ? { secret } : undefined,
      });

      it.each([
        ['small', 200],
        ['large', 20_000],
      ])('round-trips a %s session and stores it in the format the options say', async (_size, bytes) => {
        const { store, stored, key, cookie } = setup(options());
        const session = cartSession(bytes, cookie());
        await store.set(sid, session);
        await expect(store.get(sid)).resolves.toEqual(session);
        await expect(store.all()).resolves.toEqual([{ id: key(sid), session, expiresAt: Date.parse(session.cookie.expires) }]);

        const payload = stored(sid);
        const compressed = compression !== undefined && bytes > 1024;
        if (encryptionName === 'none' && !compressed) {
          expect(payload).toBe(JSON.stringify(session));
          return;
        }
        if (typeof payload === 'string') throw new Error('expected bytes');
        const { header } = readPayloadHeader(payload);
        expect(header.compression).toBe(compressed ? compression : 'none');
        expect(header.encryption).toBe({ none: 'none', keys: 'aes-256-gcm', custom: 'custom' }[encryptionName]);
        if (encryptionName !== 'none') expect(Buffer.from(payload).includes('Lovelace')).toBe(false);
        if (compressed) expect(payload.length).toBeLessThan(bytes / 3);
      });
    });
  });
});

describe('tamper detection', () => {
  const encryption = { keys: [{ id: 'k1', key: k1 }] };

  it.each([undefined, 'gzip'] as const)(
    "a flipped ciphertext byte (compression %s) rejects with a DecryptionError under onCorruptPayload 'throw'",
    async (compression) => {
      const { store, stored, err, cookie } = setup({ encryption, compression, onCorruptPayload: 'throw' });
      await store.set(sid, cartSession(5000, cookie()));
      const payload = stored(sid) as Uint8Array;
      flip(payload, payload.length - 30); // MemoryBackend.peek hands out the stored bytes themselves
      const error = await store.get(sid).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error).toBeInstanceOf(CorruptPayloadError);
      expect(err).toHaveBeenCalledWith(
        expect.stringMatching(/^Unable to read session sid:sid-01…: stored session failed authentication/),
        error,
      );
    },
  );

  it("reads as no session, reported to the err hook, under onCorruptPayload 'miss'", async () => {
    const { store, stored, err, cookie } = setup({ encryption });
    await store.set(sid, { cookie: cookie(), user: 'ada' });
    const payload = stored(sid) as Uint8Array;
    flip(payload, payload.length - 1, 0x80);
    await expect(store.get(sid)).resolves.toBeNull();
    expect(err).toHaveBeenCalledTimes(1);
    expect(err.mock.calls[0]?.[1]).toBeInstanceOf(DecryptionError);
    expect(JSON.stringify(err.mock.calls)).not.toContain(sid);
  });

  it.each([false, true])('a payload copied to another id fails authentication (hashIds %s)', async (hashIds) => {
    const { store, memory, key, err, cookie } = setup({ encryption, hashIds: hashIds ? { secret } : undefined });
    await store.set(sid, { cookie: cookie(), user: 'victim', admin: true });
    await store.set(other, { cookie: cookie(), user: 'attacker', admin: false });
    const victim = memory.peek(key(sid));
    if (!victim) throw new Error('nothing stored');
    await memory.replace(key(other), { payload: victim.payload as Payload, expiresAt: victim.expiresAt }, 1);
    await expect(store.get(other)).resolves.toBeNull();
    expect(err.mock.calls[0]?.[1]).toBeInstanceOf(DecryptionError);
    await expect(store.get(sid)).resolves.toMatchObject({ user: 'victim' });
  });

  it('all() skips a tampered session and reports it, returning the others', async () => {
    const { store, stored, err, cookie } = setup({ encryption });
    await store.set(sid, { cookie: cookie(), n: 1 });
    await store.set(other, { cookie: cookie(), n: 2 });
    flip(stored(sid) as Uint8Array, 10);
    await expect(store.all()).resolves.toEqual([expect.objectContaining({ id: other, session: expect.objectContaining({ n: 2 }) })]);
    expect(err).toHaveBeenCalledWith(expect.stringContaining('Skipping unreadable session sid:sid-01…'), expect.any(DecryptionError));
  });
});

describe('key rotation through the store', () => {
  it('reads sessions written under the old key after adding a new one; new writes use the new key', async () => {
    const memory = new MemoryBackend();
    const clock = createFakeClock(START);
    const cookie = { originalMaxAge: HOUR, expires: new Date(START + HOUR).toISOString() };
    const before = new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0, encryption: { keys: [{ id: 'k1', key: k1 }] } });
    await before.set(sid, { cookie, written: 'under k1' });

    const after = new SessionStore({
      backend: memory,
      now: clock.now,
      cleanupInterval: 0,
      encryption: {
        keys: [
          { id: 'k2', key: k2.toString('base64') },
          { id: 'k1', key: k1.toString('hex') },
        ],
      },
    });
    const keyIdOf = (id: string) => readPayloadHeader(memory.peek(id)?.payload as Uint8Array).header.keyId;
    expect(keyIdOf(sid)).toBe('k1');
    await expect(after.get(sid)).resolves.toMatchObject({ written: 'under k1' });
    await after.set(other, { cookie, written: 'under k2' });
    expect(keyIdOf(other)).toBe('k2');
    // Rewriting an old session moves it to the new key.
    await after.set(sid, { cookie, written: 'rewritten' });
    expect(keyIdOf(sid)).toBe('k2');
  });
});

describe('large sessions', () => {
  const DYNAMODB_ITEM_LIMIT = 400 * 1024;

  it.each(['gzip', 'brotli'] as const)('a 1 MB session fits under 400 KB with %s, and round-trips', async (algorithm) => {
    const { store, stored, cookie } = setup({ compression: algorithm, maxPayloadBytes: DYNAMODB_ITEM_LIMIT - 1024 });
    const session = cartSession(1024 * 1024, cookie());
    expect(JSON.stringify(session).length).toBeGreaterThan(1024 * 1024);
    await store.set(sid, session);
    const size = (stored(sid) as Uint8Array).length;
    expect(size).toBeLessThan(DYNAMODB_ITEM_LIMIT / 4);
    await expect(store.get(sid)).resolves.toEqual(session);
  });

  it('refuses incompressible data over the limit with PayloadTooLargeError giving the size, and keeps the old session', async () => {
    const { store, err, cookie } = setup({
      compression: 'gzip',
      encryption: { keys: [{ id: 'k1', key: k1 }] },
      maxPayloadBytes: DYNAMODB_ITEM_LIMIT,
    });
    await store.set(sid, { cookie: cookie(), v: 1 });
    const noise = randomBytes(450 * 1024).toString('base64'); // ~600 KB of text; base64 of random bytes compresses to ~3/4
    const error = await store.set(sid, { cookie: cookie(), noise }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    const { size, limit, message } = error as PayloadTooLargeError;
    expect(limit).toBe(DYNAMODB_ITEM_LIMIT);
    expect(size).toBeGreaterThan(DYNAMODB_ITEM_LIMIT);
    expect(size).toBeLessThan(noise.length);
    expect(message).toBe(
      `session payload after gzip is ${size} bytes, over the limit of ${DYNAMODB_ITEM_LIMIT} bytes (${(size / 1024).toFixed(1)} KiB > 400.0 KiB)`,
    );
    expect(err).toHaveBeenCalledWith('Unable to save session sid:sid-01…', error);
    await expect(store.get(sid)).resolves.toMatchObject({ v: 1 });
  });

  it('warns through onLargeSession above warnAboveBytes, and through log by default', async () => {
    const onLargeSession = jest.fn();
    const hooked = setup({ compression: 'gzip', warnAboveBytes: 2000, onLargeSession, hashIds: { secret } });
    await hooked.store.set(sid, cartSession(1000, hooked.cookie()));
    expect(onLargeSession).not.toHaveBeenCalled();
    await hooked.store.set(sid, cartSession(100_000, hooked.cookie()));
    expect(onLargeSession).toHaveBeenCalledWith((hooked.stored(sid) as Uint8Array).length, `${hash(sid).slice(0, 6)}…`, expect.any(Number));
    expect(onLargeSession.mock.calls[0]?.[2]).toBeGreaterThan(100_000);

    const logged = setup({ warnAboveBytes: 100 });
    await logged.store.set(sid, cartSession(1000, logged.cookie()));
    expect(logged.log).toHaveBeenCalledWith(
      expect.stringMatching(/^session sid:sid-01… is \d+ bytes as stored \(\d+ bytes serialized\), above warnAboveBytes 100 bytes$/),
    );
  });
});

describe('items written before (1.x and plain 2.x items)', () => {
  // What 1.x and 2.x without codec options store: the session's JSON text.
  const legacyJson = (clockNow: number) =>
    JSON.stringify({
      cookie: { originalMaxAge: HOUR, expires: new Date(clockNow + HOUR).toISOString(), httpOnly: true, path: '/' },
      user: 'ada',
    });

  it.each<[string, Partial<SessionStoreOptions>]>([
    ['compression', { compression: 'gzip' }],
    ['brotli with threshold 0', { compression: { algorithm: 'brotli', thresholdBytes: 0 } }],
    ['size guard and warning', { maxPayloadBytes: 1000, warnAboveBytes: 10 }],
    ['encryption with allowPlaintext', { encryption: { keys: [{ id: 'k1', key: k1 }], allowPlaintext: true } }],
    ['custom encryption with allowPlaintext', { encryption: { ...customCipher(), allowPlaintext: true } }],
    [
      'every feature (allowPlaintext)',
      {
        compression: 'gzip',
        encryption: { keys: [{ id: 'k1', key: k1 }], allowPlaintext: true },
        maxPayloadBytes: 1000,
        hashIds: { secret },
      },
    ],
  ])('read with %s on', async (_name, options) => {
    const { store, memory, key, clock, err } = setup(options);
    await memory.create(key(sid), { payload: legacyJson(clock.now()), expiresAt: clock.now() + HOUR });
    await expect(store.get(sid)).resolves.toMatchObject({ user: 'ada' });
    expect(err).not.toHaveBeenCalled();
  });

  it('are refused with encryption on (allowPlaintext defaults to false): read as no session, reported', async () => {
    const { store, memory, clock, err } = setup({ encryption: { keys: [{ id: 'k1', key: k1 }] } });
    await memory.create(sid, { payload: legacyJson(clock.now()), expiresAt: clock.now() + HOUR });
    await expect(store.get(sid)).resolves.toBeNull();
    expect(err).toHaveBeenCalledWith(expect.stringContaining('allowPlaintext is false'), expect.any(DecryptionError));
  });

  it('are encrypted by their next write while migrating with allowPlaintext', async () => {
    const { store, memory, clock, stored } = setup({ encryption: { keys: [{ id: 'k1', key: k1 }], allowPlaintext: true } });
    await memory.create(sid, { payload: legacyJson(clock.now()), expiresAt: clock.now() + HOUR });
    const session = await store.get(sid);
    if (!session) throw new Error('expected the legacy session');
    await store.set(sid, { ...session, visits: 1 });
    expect(typeof stored(sid)).toBe('object');
  });
});

describe('turning features off', () => {
  it('a session compressed earlier still reads after compression is turned off', async () => {
    const memory = new MemoryBackend();
    const clock = createFakeClock(START);
    const cookie = { originalMaxAge: HOUR, expires: new Date(START + HOUR).toISOString() };
    const session = cartSession(10_000, cookie);
    await new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0, compression: 'brotli' }).set(sid, session);
    expect(memory.peek(sid)?.payload).toBeInstanceOf(Uint8Array);
    const plain = new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0 });
    await expect(plain.get(sid)).resolves.toEqual(session);
  });

  it('a session encrypted earlier is a CorruptPayloadError (never data) once encryption is turned off', async () => {
    const memory = new MemoryBackend();
    const clock = createFakeClock(START);
    const cookie = { originalMaxAge: HOUR, expires: new Date(START + HOUR).toISOString() };
    await new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0, encryption: { keys: [{ id: 'k1', key: k1 }] } }).set(
      sid,
      {
        cookie,
        user: 'ada',
      },
    );
    const plain = new SessionStore({ backend: memory, now: clock.now, cleanupInterval: 0, onCorruptPayload: 'throw' });
    await expect(plain.get(sid)).rejects.toThrow(
      new DecryptionError('stored session is encrypted (AES-256-GCM key id "k1"), but the "encryption" option is not set'),
    );
  });
});

describe('custom async encrypt/decrypt pair through the store', () => {
  it('round-trips, detects a swap, and rejects a write when encrypt fails', async () => {
    const cipher = customCipher();
    let failing = false;
    const { store, memory, err, cookie } = setup({
      compression: 'gzip',
      encryption: {
        encrypt: async (plaintext, aad) => {
          if (failing) throw new Error('KMS throttled');
          return cipher.encrypt(plaintext, aad);
        },
        decrypt: (sealed, aad) => cipher.decrypt(sealed, aad),
      },
    });
    const session = cartSession(5000, cookie());
    await store.set(sid, session);
    await expect(store.get(sid)).resolves.toEqual(session);

    const payload = memory.peek(sid);
    if (!payload) throw new Error('nothing stored');
    await memory.create(other, { payload: payload.payload as Payload, expiresAt: payload.expiresAt });
    await expect(store.get(other)).resolves.toBeNull();
    expect(err.mock.calls[0]?.[1]).toBeInstanceOf(DecryptionError);

    failing = true;
    await expect(store.set(sid, { cookie: cookie(), changed: true })).rejects.toThrow(
      'session could not be encrypted: encryption.encrypt failed: KMS throttled',
    );
    await expect(store.get(sid)).resolves.toEqual(session);
  });
});

describe('options at construction', () => {
  it('rejects codec options with a 1.x client, naming them', () => {
    const client = { init: jest.fn(), get: jest.fn(), put: jest.fn(), setExpires: jest.fn(), delete: jest.fn() };
    expect(() => new SessionStore({ client, compression: 'gzip' })).toThrow(
      /cannot be combined with a custom serializer, compression, encryption/,
    );
    expect(() => new SessionStore({ client, maxPayloadBytes: 1000 })).toThrow(/maxPayloadBytes/);
  });

  it('validates codec options with the others', () => {
    expect(() => new SessionStore({ backend: new MemoryBackend(), encryption: { keys: [{ id: 'k', key: 'short' }] } })).toThrow(
      /option "encryption.keys\[0\].key" must be 32 bytes/,
    );
    expect(() => new SessionStore({ backend: new MemoryBackend(), compression: 'lz4' as never })).toThrow(/compression.algorithm/);
    expect(() => new SessionStore({ backend: new MemoryBackend(), hashIds: { secret: '' } })).toThrow(/hashIds.secret/);
  });
});
