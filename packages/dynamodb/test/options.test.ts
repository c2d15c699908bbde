import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvalidOptionError } from '@connect-dynamodb-session/core';
import { DYNAMODB_OPTION_KEYS, DynamoDBBackend, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
import { resolveOptions } from '../src/options';

const base = { tableName: 'sessions', region: 'eu-west-1' };

/** Expects `options` to be refused with an InvalidOptionError naming `option` and containing every `fragment`. */
function refused(options: unknown, option: string, ...fragments: string[]): void {
  let error: unknown;
  try {
    resolveOptions(options as DynamoDBBackendOptions);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect((error as InvalidOptionError).option).toBe(option);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

describe('resolveOptions', () => {
  it('fills in the defaults (1.x compatible) and freezes the result', () => {
    const o = resolveOptions(base);
    expect(o).toMatchObject({
      tableName: 'sessions',
      region: 'eu-west-1',
      autoCreate: false,
      readCapacity: 5,
      writeCapacity: 5,
      billingMode: 'PROVISIONED',
      consistentRead: true,
      keyAttribute: 'id',
      prefix: '',
      expiresAttribute: 'expires',
      contentAttribute: 'content',
      revisionAttribute: 'rev',
      sortKey: undefined,
      ownerAttribute: 'owner',
      ownerIndexName: 'owner-index',
      expiryUnit: 'seconds',
      upgradeFrom1x: undefined,
      requestTimeout: 5000,
      connectionTimeout: 3000,
      maxAttempts: 3,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('writes expiries in milliseconds only in the mixed-fleet phase of an upgrade from 1.x', () => {
    expect(resolveOptions({ ...base, upgradeFrom1x: 'mixed-fleet' })).toMatchObject({
      expiryUnit: 'milliseconds',
      upgradeFrom1x: 'mixed-fleet',
    });
    expect(resolveOptions({ ...base, upgradeFrom1x: 'cleanup' })).toMatchObject({ expiryUnit: 'seconds', upgradeFrom1x: 'cleanup' });
    // After 1.x is gone, any names may be used again.
    expect(resolveOptions({ ...base, upgradeFrom1x: 'cleanup', prefix: 's:' }).prefix).toBe('s:');
  });

  it('keeps falsy values that were given (?? not ||)', () => {
    expect(resolveOptions({ ...base, consistentRead: false, prefix: '' })).toMatchObject({ consistentRead: false, prefix: '' });
    expect(resolveOptions({ ...base, consistentRead: 'eventual-then-strong' })).toMatchObject({ consistentRead: 'eventual-then-strong' });
  });

  it('lists exactly its option names in DYNAMODB_OPTION_KEYS', () => {
    const all: Required<DynamoDBBackendOptions> = {
      tableName: 't',
      region: 'r',
      endpoint: 'http://x',
      awsClient: {} as DynamoDBClient,
      clientConfig: {},
      autoCreate: false,
      readCapacity: 1,
      writeCapacity: 1,
      billingMode: 'PROVISIONED',
      consistentRead: true,
      keyAttribute: 'id',
      prefix: '',
      expiresAttribute: 'e',
      contentAttribute: 'c',
      revisionAttribute: 'r',
      sortKey: { name: 's', value: 'v' },
      ownerAttribute: 'o',
      ownerIndexName: 'by-owner',
      requestTimeout: 1,
      connectionTimeout: 1,
      maxAttempts: 1,
      upgradeFrom1x: 'cleanup',
      log: () => {},
      err: () => {},
    };
    expect([...DYNAMODB_OPTION_KEYS].sort()).toEqual(Object.keys(all).sort());
  });

  it('takes region, endpoint and maxAttempts from clientConfig when not given at the top level', () => {
    const o = resolveOptions({ tableName: 'sessions', clientConfig: { region: 'us-east-2', maxAttempts: 7 } });
    expect(o.maxAttempts).toBe(7);
    expect(resolveOptions({ ...base, maxAttempts: 2, clientConfig: { maxAttempts: 7 } }).maxAttempts).toBe(2);
  });

  it('needs no region with an awsClient', () => {
    const awsClient = new DynamoDBClient({ region: 'us-east-1' });
    expect(resolveOptions({ tableName: 'sessions', awsClient }).awsClient).toBe(awsClient);
    awsClient.destroy();
  });

  describe('refuses, naming the option, the value and the unit', () => {
    it.each<[string, unknown, string, string[]]>([
      ['no options', undefined, 'options', ['tableName']],
      ['options not an object', 'sessions', 'options', ['"sessions"']],
      ['missing tableName', { region: 'r' }, 'tableName', ['required']],
      ['tableName not a string', { ...base, tableName: 42 }, 'tableName', ['42']],
      ['tableName too short', { ...base, tableName: 'ab' }, 'tableName', ['"ab"', '3 to 255']],
      ['tableName with bad characters', { ...base, tableName: 'my table' }, 'tableName', ['"my table"']],
      ['missing region', { tableName: 'sessions' }, 'region', ['required unless "awsClient"']],
      ['empty region', { ...base, region: '' }, 'region', ['""']],
      ['endpoint not a URL', { ...base, endpoint: 'localhost 8000' }, 'endpoint', ['"localhost 8000"', 'URL']],
      ['awsClient without send (SDK v2)', { ...base, awsClient: { getItem() {} } }, 'awsClient', ['SDK v3', 'an object']],
      ['clientConfig not an object', { ...base, clientConfig: 'x' }, 'clientConfig', ['"x"']],
      ['autoCreate not boolean', { ...base, autoCreate: 'yes' }, 'autoCreate', ['"yes"']],
      ['readCapacity zero', { ...base, readCapacity: 0 }, 'readCapacity', ['0', 'read capacity units']],
      ['writeCapacity fractional', { ...base, writeCapacity: 1.5 }, 'writeCapacity', ['1.5', 'write capacity units', 'integer']],
      ['billingMode unknown', { ...base, billingMode: 'ON_DEMAND' }, 'billingMode', ['"ON_DEMAND"', '"PAY_PER_REQUEST"']],
      ['consistentRead not boolean', { ...base, consistentRead: 1 }, 'consistentRead', ['1', "'eventual-then-strong'"]],
      ['consistentRead unknown mode', { ...base, consistentRead: 'eventual' }, 'consistentRead', ['"eventual"', "'eventual-then-strong'"]],
      ['keyAttribute empty', { ...base, keyAttribute: '' }, 'keyAttribute', ['""']],
      ['keyAttribute too long', { ...base, keyAttribute: 'k'.repeat(256) }, 'keyAttribute', ['256 bytes', '255']],
      ['prefix not a string', { ...base, prefix: 1 }, 'prefix', ['1']],
      ['expiresAttribute not a string', { ...base, expiresAttribute: null }, 'expiresAttribute', ['null']],
      [
        'contentAttribute same as keyAttribute',
        { ...base, contentAttribute: 'id' },
        'contentAttribute',
        ['"id"', 'used twice', '"keyAttribute"'],
      ],
      ['ownerAttribute empty', { ...base, ownerAttribute: '' }, 'ownerAttribute', ['""']],
      ['ownerAttribute too long', { ...base, ownerAttribute: 'o'.repeat(256) }, 'ownerAttribute', ['256 bytes', '255']],
      ['ownerAttribute same as contentAttribute', { ...base, ownerAttribute: 'content' }, 'ownerAttribute', ['"content"', 'used twice']],
      ['ownerIndexName too short', { ...base, ownerIndexName: 'ix' }, 'ownerIndexName', ['"ix"', '3 to 255 characters']],
      ['ownerIndexName with a space', { ...base, ownerIndexName: 'owner index' }, 'ownerIndexName', ['"owner index"']],
      ['ownerIndexName not a string', { ...base, ownerIndexName: 7 }, 'ownerIndexName', ['7']],
      ['revisionAttribute empty', { ...base, revisionAttribute: '' }, 'revisionAttribute', ['""']],
      ['revisionAttribute not a string', { ...base, revisionAttribute: 1 }, 'revisionAttribute', ['1']],
      [
        'revisionAttribute same as expiresAttribute',
        { ...base, revisionAttribute: 'expires' },
        'revisionAttribute',
        ['"expires"', 'used twice'],
      ],
      [
        'revisionAttribute same as the sort key',
        { ...base, revisionAttribute: 'sk', sortKey: { name: 'sk', value: 'v' } },
        'sortKey.name',
        ['"sk"'],
      ],
      ['upgradeFrom1x unknown', { ...base, upgradeFrom1x: true }, 'upgradeFrom1x', ['true', '"mixed-fleet"', '"cleanup"']],
      ['mixed-fleet with a prefix (1.x has none)', { ...base, upgradeFrom1x: 'mixed-fleet', prefix: 's:' }, 'prefix', ['"s:"', '1.x']],
      [
        'mixed-fleet with other names',
        { ...base, upgradeFrom1x: 'mixed-fleet', expiresAttribute: 'ttl' },
        'expiresAttribute',
        ['"ttl"', '"expires"'],
      ],
      ['mixed-fleet with a sort key', { ...base, upgradeFrom1x: 'mixed-fleet', sortKey: { name: 'sk', value: 'v' } }, 'sortKey', ['1.x']],
      ['sortKey not an object', { ...base, sortKey: 'sk' }, 'sortKey', ['"sk"']],
      ['sortKey without a name', { ...base, sortKey: { value: 'v' } }, 'sortKey.name', ['required']],
      ['sortKey with an empty value', { ...base, sortKey: { name: 'sk', value: '' } }, 'sortKey.value', ['""']],
      ['sortKey named like the key', { ...base, sortKey: { name: 'id', value: 'v' } }, 'sortKey.name', ['"id"']],
      [
        'keyAttribute named like the default expiry attribute',
        { ...base, keyAttribute: 'expires' },
        'keyAttribute',
        ['"expires"', '"expiresAttribute"'],
      ],
      ['requestTimeout zero', { ...base, requestTimeout: 0 }, 'requestTimeout', ['0', 'milliseconds']],
      [
        'connectionTimeout infinite',
        { ...base, connectionTimeout: Number.POSITIVE_INFINITY },
        'connectionTimeout',
        ['Infinity', 'milliseconds'],
      ],
      ['maxAttempts zero', { ...base, maxAttempts: 0 }, 'maxAttempts', ['0', 'attempts']],
      ['maxAttempts as a string', { ...base, maxAttempts: '3' }, 'maxAttempts', ['"3"', 'attempts']],
      ['log not a function', { ...base, log: 'console' }, 'log', ['"console"']],
      ['err not a function', { ...base, err: {} }, 'err', ['an object']],
      [
        'timeouts with awsClient',
        { tableName: 'sessions', awsClient: { send() {} }, requestTimeout: 100 },
        'requestTimeout',
        ['awsClient'],
      ],
      ['clientConfig with awsClient', { tableName: 'sessions', awsClient: { send() {} }, clientConfig: {} }, 'clientConfig', ['awsClient']],
      [
        'timeouts with a requestHandler',
        { ...base, clientConfig: { requestHandler: {} }, connectionTimeout: 100 },
        'connectionTimeout',
        ['requestHandler'],
      ],
    ])('%s', (_name, options, option, fragments) => {
      refused(options, option, ...fragments);
    });
  });

  it('the constructor validates too, and makes no network call', () => {
    expect(() => new DynamoDBBackend({ tableName: 'x' } as DynamoDBBackendOptions)).toThrow(InvalidOptionError);
    // An endpoint nobody listens on: constructing must neither fail nor connect.
    const backend = new DynamoDBBackend({ ...base, endpoint: 'http://127.0.0.1:9' });
    return backend.close();
  });
});
