// Every option of the flat object the Express adapter takes (core + DynamoDB),
// given wrong values: each is refused when the store is made, with an
// InvalidOptionError naming the option and the value, and the unit where the
// option is a number. No network: each is refused before the store starts
// initializing its table (in the background, once constructed).
import type { SessionStoreOptions } from '@connect-dynamodb-session/core';
import { DYNAMODB_OPTION_KEYS, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
import session from 'express-session';

const { InvalidOptionError, SessionStoreError } = connectDynamoDBSession;
const DynamoStore = connectDynamoDBSession(session);

const valid = { tableName: 'valid-table', region: 'us-east-1' } as const;
const secretKey = Buffer.alloc(32, 7);

interface Case {
  /** Key of the flat options object. */
  key: string;
  value: unknown;
  /** `option` of the error: the key, or a nested path such as "compression.level". */
  option?: string;
  /** Unit the message must name (numeric options). */
  unit?: string;
  /** Other options the case needs to reach the check. */
  extra?: Record<string, unknown>;
  /** The value is a secret and must NOT appear in the message. */
  secret?: string;
  /** What the message must show of the value when it is not `describeValue`-like (objects). */
  shows?: string;
}

/** A finite-number option: the usual wrong values, each with the unit. */
const numeric = (key: string, unit: string, more: unknown[] = []): Case[] =>
  [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1000', true, null, ...more].map((value) => ({ key, value, unit }));
const fn = (key: string): Case[] => ['not a function', 42, {}].map((value) => ({ key, value }));
const str = (key: string, more: unknown[] = []): Case[] => [42, true, {}, null, ...more].map((value) => ({ key, value }));
const bool = (key: string): Case[] => ['true', 1, 0, null, {}].map((value) => ({ key, value }));

const CASES: Case[] = [
  // core
  ...numeric('ttl', 'milliseconds', [0]),
  ...numeric('touchAfter', 'milliseconds'),
  ...numeric('cleanupInterval', 'milliseconds', [2 ** 31]),
  ...numeric('tombstoneTtl', 'milliseconds', [999, 365 * 86_400_000 + 1]),
  ...numeric('maxPayloadBytes', 'bytes', [0, 1.5]),
  ...numeric('warnAboveBytes', 'bytes', [0, 1.5]),
  { key: 'serializer', value: 'json', shows: '"json"' },
  { key: 'serializer', value: { stringify: JSON.stringify }, shows: 'an object' },
  { key: 'serializer', value: null },
  { key: 'onCorruptPayload', value: 'ignore' },
  { key: 'onCorruptPayload', value: true },
  ...fn('err'),
  ...fn('log'),
  ...fn('now'),
  { key: 'onLargeSession', value: () => undefined, option: 'warnAboveBytes', unit: 'bytes', shows: '' },
  { key: 'onLargeSession', value: 'loud', extra: { warnAboveBytes: 1000 } },
  { key: 'compression', value: 'zip', option: 'compression.algorithm', shows: '"zip"' },
  { key: 'compression', value: true },
  { key: 'compression', value: { algorithm: 'gzip', level: 10 }, option: 'compression.level', unit: 'gzip level', shows: '10' },
  { key: 'compression', value: { thresholdBytes: -1 }, option: 'compression.thresholdBytes', unit: 'bytes', shows: '-1' },
  { key: 'encryption', value: 'hunter2-hunter2', secret: 'hunter2' },
  { key: 'encryption', value: { keys: [] }, option: 'encryption.keys', shows: 'an empty array' },
  { key: 'encryption', value: { keys: 'a'.repeat(64) }, option: 'encryption.keys', secret: 'a'.repeat(64) },
  { key: 'encryption', value: { keys: ['b'.repeat(64)] }, option: 'encryption.keys[0]', secret: 'b'.repeat(64) },
  {
    key: 'encryption',
    value: { keys: [{ id: 'k1', key: 'too-short-secret' }] },
    option: 'encryption.keys[0].key',
    secret: 'too-short-secret',
  },
  { key: 'encryption', value: { keys: [{ id: 'k1', key: secretKey }], current: 'k2' }, option: 'encryption.current', shows: '"k2"' },
  { key: 'hashIds', value: 'pepper-secret', secret: 'pepper-secret' },
  { key: 'hashIds', value: { secret: '' }, option: 'hashIds.secret', shows: 'an empty one' },
  {
    key: 'hashIds',
    value: { secret: 'pepper-secret', encoding: 'base32' },
    option: 'hashIds.encoding',
    shows: '"base32"',
    secret: 'pepper-secret',
  },
  { key: 'backend', value: 'memory', shows: '"memory"' },
  { key: 'client', value: { get: () => undefined }, shows: 'an object' },
  { key: 'codec', value: { encode: String, decode: String }, extra: { maxPayloadBytes: 1000 }, shows: '' },
  { key: 'storageId', value: 'sha256' },
  ...fn('ownerOf'),
  // DynamoDB
  ...str('tableName', ['', 'ab', 'has space', 'x'.repeat(256)]),
  ...str('region', ['']),
  ...str('endpoint', ['', 'not a url']),
  { key: 'awsClient', value: { region: 'us-east-1' }, shows: 'an object' },
  { key: 'awsClient', value: 'client' },
  { key: 'clientConfig', value: 'config' },
  { key: 'clientConfig', value: [] },
  { key: 'clientConfig', value: null },
  { key: 'requestTimeout', value: 300, extra: { clientConfig: { requestHandler: {} } }, shows: '' },
  { key: 'maxAttempts', value: 3, extra: { awsClient: { send: () => undefined } }, shows: '' },
  ...bool('autoCreate'),
  ...numeric('readCapacity', 'read capacity units', [0, 1.5]),
  ...numeric('writeCapacity', 'write capacity units', [0, 1.5]),
  ...str('ownerAttribute', ['']),
  { key: 'ownerAttribute', value: 'o'.repeat(256), unit: 'bytes', shows: '256 bytes' },
  ...str('ownerIndexName', ['', 'ix', 'has space']),
  { key: 'billingMode', value: 'ON_DEMAND' },
  { key: 'billingMode', value: 1 },
  ...bool('consistentRead'),
  { key: 'consistentRead', value: 'eventual', shows: '"eventual"' },
  ...str('keyAttribute', ['']),
  { key: 'keyAttribute', value: 'k'.repeat(256), shows: '256 bytes' },
  { key: 'keyAttribute', value: 'expires', shows: '"expires"' },
  ...str('prefix'),
  ...str('expiresAttribute', ['']),
  ...str('contentAttribute', ['']),
  ...str('revisionAttribute', ['']),
  { key: 'revisionAttribute', value: 'expires', shows: '"expires"' },
  { key: 'revisionAttribute', value: 'r'.repeat(65_536), shows: '65536 bytes' },
  { key: 'upgradeFrom1x', value: 'mixed', shows: '"mixed"' },
  { key: 'upgradeFrom1x', value: true },
  { key: 'upgradeFrom1x', value: 'mixed-fleet', extra: { prefix: 'sess:' }, option: 'prefix', shows: '"sess:"' },
  {
    key: 'upgradeFrom1x',
    value: 'mixed-fleet',
    extra: { sortKey: { name: 'sk', value: 'session' } },
    option: 'sortKey',
    shows: 'sort key',
  },
  { key: 'upgradeFrom1x', value: 'mixed-fleet', extra: { compression: 'gzip' }, option: 'compression', shows: '1.x' },
  { key: 'sortKey', value: 'sk' },
  { key: 'sortKey', value: { name: 'sk' }, option: 'sortKey.value', shows: 'required' },
  { key: 'sortKey', value: { name: '', value: 'session' }, option: 'sortKey.name', shows: '""' },
  { key: 'sortKey', value: { name: 'sk', value: 7 }, option: 'sortKey.value', shows: '7' },
  { key: 'sortKey', value: { name: 'expires', value: 'session' }, option: 'sortKey.name', shows: '"expires"' },
  ...numeric('requestTimeout', 'milliseconds', [0, 1.5]),
  ...numeric('connectionTimeout', 'milliseconds', [0, 1.5]),
  ...numeric('maxAttempts', 'attempts', [0, 21, 1.5]),
];

/** Every option key a user can set, core and DynamoDB (the type makes a new option a compile error here until it is listed). */
const CORE_KEYS = {
  backend: 1,
  client: 1,
  autoCreate: 1,
  ttl: 1,
  touchAfter: 1,
  cleanupInterval: 1,
  serializer: 1,
  onCorruptPayload: 1,
  err: 1,
  log: 1,
  now: 1,
  tombstoneTtl: 1,
  compression: 1,
  encryption: 1,
  hashIds: 1,
  maxPayloadBytes: 1,
  warnAboveBytes: 1,
  onLargeSession: 1,
  codec: 1,
  storageId: 1,
  ownerOf: 1,
} satisfies Record<keyof SessionStoreOptions, 1>;
const ALL_KEYS = [...new Set([...Object.keys(CORE_KEYS), ...DYNAMODB_OPTION_KEYS])] as Array<
  keyof SessionStoreOptions | keyof DynamoDBBackendOptions
>;

/** How the message shows a value: as core's describeValue does. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

function construct(options: unknown): unknown {
  try {
    const store = new DynamoStore(options as connectDynamoDBSession.Options);
    void store.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('every option with a wrong value is refused at construction', () => {
  it('the table covers every option key (core and DynamoDB)', () => {
    const covered = new Set(CASES.map((c) => c.key));
    expect(ALL_KEYS.filter((key) => !covered.has(key) && key !== 'autoCreate')).toEqual([]);
    expect(covered.has('autoCreate')).toBe(true);
  });

  it.each(CASES.map((c) => [c.key, shown(c.value), c] as const))('%s = %s', (_key, _shown, c) => {
    const error = construct({ ...valid, ...c.extra, [c.key]: c.value });
    expect(error).toBeInstanceOf(InvalidOptionError);
    const { option, message, code } = error as InstanceType<typeof InvalidOptionError>;
    expect(code).toBe('ERR_INVALID_OPTION');
    expect(option).toBe(c.option ?? c.key);
    expect(message).toContain(`"${option}"`);
    if (c.secret !== undefined) expect(message).not.toContain(c.secret);
    else expect(message).toContain(c.shows ?? shown(c.value));
    if (c.unit) expect(message).toContain(c.unit);
  });

  it('without the one required DynamoDB option (tableName)', () => {
    const error = construct({ region: 'us-east-1' });
    expect(error).toMatchObject({ option: 'tableName', message: expect.stringContaining('required') });
    expect(construct({ tableName: 'valid-table' })).toMatchObject({ option: 'region' });
  });

  it.each([['a string'], [42], [null], [[]]])('options that are not an object: %p', (options) => {
    expect(construct(options)).toBeInstanceOf(InvalidOptionError);
  });

  it("the factory's argument must be express-session (or a { Store })", () => {
    expect(() => connectDynamoDBSession('express-session' as never)).toThrow(InvalidOptionError);
    expect(() => connectDynamoDBSession({ Store: 'Store' } as never)).toThrow(/session\.Store must be a class/);
  });

  it('a backend missing required methods is a typed error too (BackendContractError)', () => {
    const error = construct({ backend: { get: async () => null } });
    expect(error).toBeInstanceOf(SessionStoreError);
    expect(error).toMatchObject({ code: 'ERR_BACKEND_CONTRACT', missing: ['init', 'create', 'replace', 'destroy', 'updateExpiry'] });
  });

  it('the valid base options construct (so every refusal above is the wrong value, nothing else)', async () => {
    // A constructed store starts its init at once: pointed at a closed loopback port, with credentials
    // given, so that it never reaches an AWS endpoint or the instance metadata service.
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const failures: unknown[] = [];
    const err = (_message: string, error: unknown): void => void failures.push(error);
    const store = new DynamoStore({ ...valid, endpoint: 'http://127.0.0.1:9', clientConfig: { credentials }, maxAttempts: 1, err });
    // Nothing listens there: the background table check fails (reported, typed), and is not left in
    // flight when the test ends.
    for (let waited = 0; failures.length === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(failures[0]).toMatchObject({ code: 'ERR_BACKEND', operation: 'init' });
    await store.close();
  });
});
