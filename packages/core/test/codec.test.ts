import { randomBytes } from 'node:crypto';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import {
  CorruptPayloadError,
  createPayloadCodec,
  DecryptionError,
  decodePayload,
  encodePayload,
  FORMAT_MAGIC,
  FORMAT_VERSION,
  InvalidOptionError,
  MAX_DECOMPRESSED_BYTES,
  type PayloadFormatOptions,
  PayloadTooLargeError,
  plainCodec,
  readPayloadHeader,
  resolveCompression,
  resolveEncryption,
  resolvePayloadCodec,
  SYNC_ZLIB_BELOW_BYTES,
} from '@connect-dynamodb-session/core';

const id = 'storage-id-0123456789';
const gzip = resolveCompression('gzip');
const brotli = resolveCompression('brotli');
const aes = resolveEncryption({ keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }] });

/** JSON that compresses well, `bytes` long or a little more. */
function compressibleJson(bytes: number): string {
  const items = [];
  for (let i = 0, length = 0; length < bytes; i++) {
    const item = { sku: `item-${i % 50}`, qty: i % 7, note: 'in the basket' };
    items.push(item);
    length += JSON.stringify(item).length + 1;
  }
  return JSON.stringify({ cookie: { originalMaxAge: 3600000 }, items });
}

/** Changes bits of one byte in place. */
function flip(bytes: Uint8Array, index: number, mask = 0x01): void {
  bytes[index] = (bytes[index] ?? 0) ^ mask;
}

function asBytes(payload: string | Uint8Array): Uint8Array {
  if (typeof payload === 'string') throw new Error('expected a binary payload');
  return payload;
}

describe('encodePayload / decodePayload', () => {
  it('stores text as text when neither compression nor encryption applies', async () => {
    const text = '{"cookie":{},"user":"ada"}';
    await expect(encodePayload(text, id, {})).resolves.toBe(text);
    await expect(encodePayload(text, id, { compression: gzip })).resolves.toBe(text); // under the 1024-byte threshold
    await expect(decodePayload(text, id, { compression: gzip })).resolves.toBe(text);
  });

  it.each([
    ['gzip', gzip, 1],
    ['brotli', brotli, 2],
  ] as const)('compresses text of at least thresholdBytes with %s, behind the format header', async (_name, compression, bits) => {
    const text = compressibleJson(5000);
    const payload = asBytes(await encodePayload(text, id, { compression }));
    expect([...payload.subarray(0, 3)]).toEqual([FORMAT_MAGIC, FORMAT_VERSION, bits]);
    expect(payload.length).toBeLessThan(text.length / 4);
    await expect(decodePayload(payload, id, {})).resolves.toBe(text);
  });

  it('compresses at exactly thresholdBytes and not one byte below', async () => {
    const compression = resolveCompression({ algorithm: 'gzip', thresholdBytes: 200 });
    const at = 'x'.repeat(200);
    expect(typeof (await encodePayload(at, id, { compression }))).toBe('object');
    expect(await encodePayload(at.slice(1), id, { compression })).toBe(at.slice(1));
  });

  it('stores text that compression would make larger as it is', async () => {
    const compression = resolveCompression({ algorithm: 'gzip', thresholdBytes: 0 });
    // gzip adds an 18-byte frame, so short text never gets smaller.
    await expect(encodePayload('{"a":1}', id, { compression })).resolves.toBe('{"a":1}');
  });

  it('decodes by the payload marker, not the current options: a compressed payload reads with compression off', async () => {
    const text = compressibleJson(3000);
    const payload = await encodePayload(text, id, { compression: brotli });
    await expect(decodePayload(payload, id, {})).resolves.toBe(text);
    await expect(decodePayload(payload, id, { compression: gzip })).resolves.toBe(text);
    await expect(plainCodec.decode(payload, id)).resolves.toBe(text);
  });

  it('plainCodec still returns text synchronously (the 1.x path)', () => {
    expect(plainCodec.decode('{"a":1}', id)).toBe('{"a":1}');
    expect(plainCodec.encode('{"a":1}', id)).toBe('{"a":1}');
  });

  it('writes the AES key id into the header and encrypts compressed bytes (compress, then encrypt)', async () => {
    const text = compressibleJson(5000);
    const payload = asBytes(await encodePayload(text, id, { compression: gzip, encryption: aes }));
    const { header, headerBytes } = readPayloadHeader(payload);
    expect(header).toEqual({ compression: 'gzip', encryption: 'aes-256-gcm', keyId: 'k1' });
    expect(headerBytes).toBe(4 + 2);
    expect([...payload.subarray(0, 6)]).toEqual([FORMAT_MAGIC, FORMAT_VERSION, 1 | (1 << 2), 2, 0x6b, 0x31]);
    expect(payload.length).toBeLessThan(text.length / 4);
    await expect(decodePayload(payload, id, { encryption: aes })).resolves.toBe(text);
  });

  it('uses a fresh IV per write: the same text encrypts differently each time', async () => {
    const a = asBytes(await encodePayload('{"same":1}', id, { encryption: aes }));
    const b = asBytes(await encodePayload('{"same":1}', id, { encryption: aes }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a.subarray(6, 18)).equals(Buffer.from(b.subarray(6, 18)))).toBe(false);
  });

  it.each([
    ['a flipped ciphertext byte', (p: Uint8Array) => flip(p, p.length - 20)],
    ['a flipped tag byte', (p: Uint8Array) => flip(p, p.length - 1)],
    ['a flipped IV byte', (p: Uint8Array) => flip(p, 7)],
    ['the compression flag set', (p: Uint8Array) => (p[2] = (p[2] ?? 0) | 1)],
  ])('rejects %s with a DecryptionError', async (_name, tamper) => {
    const payload = Buffer.from(asBytes(await encodePayload('{"user":"ada","admin":false}', id, { encryption: aes })));
    tamper(payload);
    await expect(decodePayload(payload, id, { encryption: aes })).rejects.toThrow(DecryptionError);
  });

  it('binds the storage id: a payload moved to another id fails authentication', async () => {
    const payload = await encodePayload('{"user":"ada"}', id, { encryption: aes });
    const error = await decodePayload(payload, `${id}x`, { encryption: aes }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toBeInstanceOf(CorruptPayloadError);
    expect((error as Error).message).toMatch(/failed authentication/);
  });

  it('rejects an encrypted payload when encryption is off, rather than returning anything', async () => {
    const payload = await encodePayload('{"user":"ada"}', id, { encryption: aes, compression: gzip });
    await expect(decodePayload(payload, id, {})).rejects.toThrow(
      /is encrypted \(AES-256-GCM key id "k1"\), but the "encryption" option is not set/,
    );
    await expect(Promise.resolve(plainCodec.decode(payload, id))).rejects.toThrow(DecryptionError);
  });

  it('rejects plaintext when encryption is on, unless allowPlaintext', async () => {
    const compressed = await encodePayload(compressibleJson(2000), id, { compression: gzip });
    await expect(decodePayload('{"a":1}', id, { encryption: aes })).rejects.toThrow(/allowPlaintext is false/);
    await expect(decodePayload(compressed, id, { encryption: aes })).rejects.toThrow(DecryptionError);
    const lenient = resolveEncryption({ keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }], allowPlaintext: true });
    await expect(decodePayload('{"a":1}', id, { encryption: lenient })).resolves.toBe('{"a":1}');
    await expect(decodePayload(compressed, id, { encryption: lenient })).resolves.toMatch(/^\{"cookie"/);
  });

  it.each([
    ['no magic byte', Buffer.from('{"a":1}')],
    ['too short', Buffer.from([FORMAT_MAGIC, FORMAT_VERSION])],
    ['a newer format version', Buffer.from([FORMAT_MAGIC, 3, 0, 0x7b])],
    ['reserved flag bits', Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 0x10, 0x7b])],
    ['compression bits 3', Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 0x03, 0x7b])],
    ['an AES header without its key id', Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 0x04, 0])],
    ['a gzip flag on bytes that are not gzip', Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 0x01, 1, 2, 3])],
    ['invalid UTF-8', Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 0x00, 0xff, 0xfe])],
  ])('rejects a binary payload with %s as a CorruptPayloadError', async (_name, payload) => {
    await expect(decodePayload(payload, id, {})).rejects.toThrow(CorruptPayloadError);
  });

  it('reads an uncompressed, unencrypted binary payload (flags 0) as its UTF-8 text', async () => {
    const payload = Buffer.concat([Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 0]), Buffer.from('{"ü":"✓"}')]);
    await expect(decodePayload(payload, id, {})).resolves.toBe('{"ü":"✓"}');
  });

  it('stops decompressing a planted payload that expands past the safety limit', async () => {
    // gunzip reads concatenated gzip members as one stream: 65 members of 1 MiB of zeros expand to 65 MiB.
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const members = Math.ceil(MAX_DECOMPRESSED_BYTES / (1024 * 1024)) + 1;
    const bomb = Buffer.concat([Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 1]), ...Array.from({ length: members }, () => member)]);
    expect(bomb.length).toBeLessThan(100_000);
    await expect(decodePayload(bomb, id, {})).rejects.toThrow(/could not be decompressed/);
  });

  it('stops a small brotli payload (decompressed at once, not in the thread pool) at the same limit', async () => {
    const body = brotliCompressSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } });
    expect(body.length).toBeLessThan(SYNC_ZLIB_BELOW_BYTES);
    const bomb = Buffer.concat([Buffer.from([FORMAT_MAGIC, FORMAT_VERSION, 2]), body]);
    await expect(decodePayload(bomb, id, {})).rejects.toThrow(/could not be decompressed \(brotli\)/);
  });

  it.each([
    ['gzip', gzip],
    ['brotli', brotli],
  ] as const)('round-trips %s on both sides of the synchronous-zlib cutoff', async (_name, compression) => {
    for (const bytes of [SYNC_ZLIB_BELOW_BYTES - 100, SYNC_ZLIB_BELOW_BYTES * 8]) {
      const text = compressibleJson(bytes);
      await expect(decodePayload(await encodePayload(text, id, { compression }), id, {})).resolves.toBe(text);
    }
  });

  it('is a pure function of its inputs: decoding does not depend on options other than the keys', async () => {
    const text = compressibleJson(4000);
    const writers: PayloadFormatOptions[] = [{}, { compression: gzip }, { compression: brotli }];
    for (const writer of writers) {
      const payload = await encodePayload(text, id, writer);
      for (const reader of writers) await expect(decodePayload(payload, id, reader)).resolves.toBe(text);
    }
  });
});

describe('maxPayloadBytes', () => {
  it('rejects a payload over the limit after compression, with its size', async () => {
    const noise = JSON.stringify({ noise: randomBytes(6000).toString('hex') });
    const error = await encodePayload(noise, id, { compression: gzip, maxPayloadBytes: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    const tooLarge = error as PayloadTooLargeError;
    expect(tooLarge.limit).toBe(5000);
    expect(tooLarge.size).toBeGreaterThan(5000);
    expect(tooLarge.size).toBeLessThan(noise.length); // hex compresses to about half
    expect(tooLarge.message).toMatch(/^session payload after gzip is \d+ bytes, over the limit of 5000 bytes/);
  });

  it('accepts what compression brings under the limit, and measures text in UTF-8 bytes', async () => {
    await expect(encodePayload(compressibleJson(20_000), id, { compression: gzip, maxPayloadBytes: 5000 })).resolves.toBeInstanceOf(
      Uint8Array,
    );
    await expect(encodePayload(`{"a":"${'é'.repeat(60)}"}`, id, { maxPayloadBytes: 100 })).rejects.toMatchObject({ size: 128 });
    await expect(encodePayload(`{"a":"${'é'.repeat(40)}"}`, id, { maxPayloadBytes: 100 })).resolves.toMatch(/^\{/);
  });

  it('counts the encryption overhead', async () => {
    const text = `{"a":"${'x'.repeat(90)}"}`; // 98 bytes; + 6 header + 12 IV + 16 tag = 132
    const error = (await encodePayload(text, id, { encryption: aes, maxPayloadBytes: 131 }).catch(
      (e: unknown) => e,
    )) as PayloadTooLargeError;
    expect(error.size).toBe(132);
    await expect(encodePayload(text, id, { encryption: aes, maxPayloadBytes: 132 })).resolves.toHaveLength(132);
  });
});

describe('warnAboveBytes / onLargeSession', () => {
  it('calls the hook with the stored size, a redacted id and the serialized size, above the threshold only', async () => {
    const onLargeSession = jest.fn();
    const codec = createPayloadCodec({ compression: gzip, warnAboveBytes: 100, onLargeSession });
    await codec.encode('{"small":true}', id);
    expect(onLargeSession).not.toHaveBeenCalled();
    const text = JSON.stringify({ noise: randomBytes(500).toString('hex') });
    const payload = await codec.encode(text, id);
    expect(onLargeSession).toHaveBeenCalledTimes(1);
    expect(onLargeSession).toHaveBeenCalledWith((payload as Uint8Array).length, 'storag…', text.length);
    expect(JSON.stringify(onLargeSession.mock.calls)).not.toContain(id);
  });

  it('never fails a write because the hook threw; the error goes to onHookError', async () => {
    const onHookError = jest.fn();
    const codec = createPayloadCodec({
      warnAboveBytes: 1,
      onLargeSession: () => {
        throw new Error('hook bug');
      },
      onHookError,
    });
    await expect(codec.encode('{"a":1}', id)).resolves.toBe('{"a":1}');
    expect(onHookError).toHaveBeenCalledWith(expect.stringContaining('onLargeSession threw'), expect.any(Error));
  });

  it('defaults to a log message when only warnAboveBytes is set', async () => {
    const log = jest.fn();
    const codec = resolvePayloadCodec({ warnAboveBytes: 5 }, { log, err: jest.fn() });
    await codec.encode('{"abc":123}', id);
    expect(log).toHaveBeenCalledWith('session sid:storag… is 11 bytes as stored (11 bytes serialized), above warnAboveBytes 5 bytes');
  });
});

describe('resolvePayloadCodec', () => {
  const hooks = { log: () => {}, err: () => {} };

  it('is the plain codec when no codec option is set', () => {
    expect(resolvePayloadCodec({}, hooks)).toBe(plainCodec);
    expect(resolvePayloadCodec({ compression: false }, hooks)).toBe(plainCodec);
  });

  it.each([
    [{ compression: 'zip' }, 'compression.algorithm', /must be one of "gzip", "brotli"; got "zip"/],
    [{ compression: 5 }, 'compression', /got 5/],
    [{ compression: { thresholdBytes: -1 } }, 'compression.thresholdBytes', /\(bytes\); got -1/],
    [{ compression: { algorithm: 'gzip', level: 10 } }, 'compression.level', /from 1 to 9 \(gzip level\); got 10/],
    [{ compression: { algorithm: 'brotli', level: 12 } }, 'compression.level', /from 1 to 11 \(brotli quality\); got 12/],
    [{ maxPayloadBytes: 0 }, 'maxPayloadBytes', /integer >= 1 \(bytes\); got 0/],
    [{ warnAboveBytes: 1.5 }, 'warnAboveBytes', /integer >= 1 \(bytes\); got 1.5/],
    [{ onLargeSession: () => {} }, 'warnAboveBytes', /needs "warnAboveBytes"/],
    [{ warnAboveBytes: 10, onLargeSession: 'log' }, 'onLargeSession', /must be a function; got "log"/],
  ])('rejects %j naming the option', (input, option, message) => {
    const error = (() => {
      try {
        resolvePayloadCodec(input as never, hooks);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toMatch(message);
  });

  it('fills in the compression defaults', () => {
    expect(resolveCompression('gzip')).toEqual({ algorithm: 'gzip', thresholdBytes: 1024, level: 6 });
    expect(resolveCompression({ algorithm: 'brotli', thresholdBytes: 0 })).toMatchObject({ algorithm: 'brotli', thresholdBytes: 0 });
    expect(resolveCompression({})).toMatchObject({ algorithm: 'gzip' });
  });
});
