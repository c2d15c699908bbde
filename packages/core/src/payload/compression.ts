import { promisify } from 'node:util';
import type * as Zlib from 'node:zlib';
import { CorruptPayloadError, InvalidOptionError } from '../errors';
import { describeValue, optionalNumber, optionalOneOf } from '../options';
import type { CompressionAlgorithm } from './format';

/** The `compression` option: an algorithm name, or the full form. */
export type CompressionOption = CompressionAlgorithm | CompressionOptions;

export interface CompressionOptions {
  /** Default `'gzip'`. */
  algorithm?: CompressionAlgorithm;
  /** Sessions whose serialized text is at least this many UTF-8 bytes are compressed; smaller ones are stored as they are. Default 1024 (bytes). */
  thresholdBytes?: number;
  /** gzip level 1-9 (default 6) or brotli quality 1-11 (default 4). */
  level?: number;
}

export interface ResolvedCompression {
  readonly algorithm: CompressionAlgorithm;
  readonly thresholdBytes: number;
  readonly level: number;
}

export const DEFAULT_COMPRESSION_THRESHOLD = 1024;
/** zlib's own default. */
export const DEFAULT_GZIP_LEVEL = 6;
/**
 * Brotli's default quality (11) is tuned for static assets compressed once:
 * on a 100 KB session it costs tens of milliseconds per write. Quality 4
 * costs about what gzip does and still compresses a little better.
 */
export const DEFAULT_BROTLI_QUALITY = 4;
/**
 * Decompression stops at this many bytes, so a small planted payload cannot
 * expand into gigabytes (a "zip bomb"). 16 MiB of session text is far above
 * any workable session: express-session parses and hashes all of it on every
 * request.
 */
export const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

/**
 * Inputs smaller than this many bytes are (de)compressed synchronously. Handing
 * work to zlib's thread pool costs about 100-200 µs of CPU per call, more than
 * compressing a few KB takes, while the event loop is blocked for well under a
 * millisecond; larger inputs go to the thread pool.
 */
export const SYNC_ZLIB_BELOW_BYTES = 16 * 1024;

interface LoadedZlib {
  readonly zlib: typeof Zlib;
  readonly gzip: (input: Uint8Array, options: Zlib.ZlibOptions) => Promise<Buffer>;
  readonly gunzip: (input: Uint8Array, options: Zlib.ZlibOptions) => Promise<Buffer>;
  readonly brotliCompress: (input: Uint8Array, options: Zlib.BrotliOptions) => Promise<Buffer>;
  readonly brotliDecompress: (input: Uint8Array, options: Zlib.BrotliOptions) => Promise<Buffer>;
}
let loaded: LoadedZlib | undefined;

/**
 * node:zlib, loaded on first use: it is a few milliseconds of a cold `require`
 * (a Lambda's init), and only stores with compression on, or reading
 * compressed sessions, need it.
 */
function loadZlib(): LoadedZlib {
  if (loaded === undefined) {
    const zlib = require('node:zlib') as typeof Zlib;
    loaded = {
      zlib,
      gzip: promisify(zlib.gzip),
      gunzip: promisify(zlib.gunzip),
      brotliCompress: promisify(zlib.brotliCompress),
      brotliDecompress: promisify(zlib.brotliDecompress),
    };
  }
  return loaded;
}

/** Validates the `compression` option; `undefined` or `false` means off. */
export function resolveCompression(value: unknown): ResolvedCompression | undefined {
  if (value === undefined || value === false) return undefined;
  const input: CompressionOptions =
    typeof value === 'string' ? { algorithm: value as CompressionAlgorithm } : (value as CompressionOptions);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError(
      'compression',
      `option "compression" must be "gzip", "brotli", false or an object { algorithm, thresholdBytes, level }; got ${describeValue(value)}`,
    );
  }
  const algorithm = optionalOneOf('compression.algorithm', input.algorithm, ['gzip', 'brotli'] as const, 'gzip');
  const maxLevel = algorithm === 'gzip' ? 9 : 11;
  return Object.freeze({
    algorithm,
    thresholdBytes: optionalNumber('compression.thresholdBytes', input.thresholdBytes, DEFAULT_COMPRESSION_THRESHOLD, 'bytes', {
      integer: true,
    }),
    level: optionalNumber(
      'compression.level',
      input.level,
      algorithm === 'gzip' ? DEFAULT_GZIP_LEVEL : DEFAULT_BROTLI_QUALITY,
      algorithm === 'gzip' ? 'gzip level' : 'brotli quality',
      { min: 1, max: maxLevel, integer: true },
    ),
  });
}

/** Compresses `input`: in zlib's thread pool, or at once when it is smaller than {@link SYNC_ZLIB_BELOW_BYTES}. */
export async function compress(input: Uint8Array, { algorithm, level }: ResolvedCompression): Promise<Buffer> {
  const sync = input.byteLength < SYNC_ZLIB_BELOW_BYTES;
  const { zlib, gzip, brotliCompress } = loadZlib();
  if (algorithm === 'gzip') return sync ? zlib.gzipSync(input, { level }) : gzip(input, { level });
  const options = {
    params: {
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_QUALITY]: level,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: input.byteLength,
    },
  };
  return sync ? zlib.brotliCompressSync(input, options) : brotliCompress(input, options);
}

/** Decompresses a stored body (like {@link compress}, at once when small); any failure is a {@link CorruptPayloadError}. */
export async function decompress(input: Uint8Array, algorithm: CompressionAlgorithm): Promise<Buffer> {
  try {
    const { zlib, gunzip, brotliDecompress } = loadZlib();
    const options = { maxOutputLength: MAX_DECOMPRESSED_BYTES };
    if (input.byteLength < SYNC_ZLIB_BELOW_BYTES) {
      return algorithm === 'gzip' ? zlib.gunzipSync(input, options) : zlib.brotliDecompressSync(input, options);
    }
    return algorithm === 'gzip' ? await gunzip(input, options) : await brotliDecompress(input, options);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CorruptPayloadError(`stored session could not be decompressed (${algorithm}): ${reason}`, { cause });
  }
}
