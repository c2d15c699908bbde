// Unknown option names, through each public entry point: the Express store,
// the Koa store, and the DynamoDB backend on its own. Each is refused at
// construction with an InvalidOptionError naming the key and what to write
// instead. No network: the constructors make no request.
import { InvalidOptionError, type LegacyClient, MemoryBackend } from '@connect-dynamodb-session/core';
import { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { createKoaStore } from '@connect-dynamodb-session/koa';
import connectDynamoDBSession from 'connect-dynamodb-session';
import session from 'express-session';

const DynamoStore = connectDynamoDBSession(session);
const valid = { tableName: 'valid-table', region: 'us-east-1' } as const;

function errorOf(make: () => { close(): Promise<void> }): InvalidOptionError {
  let made: { close(): Promise<void> } | undefined;
  try {
    made = make();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  void made.close();
  throw new Error('expected an InvalidOptionError');
}

// The names issue 15 reported as silently accepted, and what each must point to.
const CASES: Array<[string, unknown, RegExp]> = [
  ['touchafter', 1000, /did you mean "touchAfter"\?/],
  ['cleanupinterval', 0, /did you mean "cleanupInterval"\?/],
  ['tablename', 'x', /did you mean "tableName"\?/],
  ['table', 'sessions', /connect-dynamodb's name; here it is "tableName"/],
  ['hashKey', 'id', /here it is "keyAttribute"/],
  ['reapInterval', 60_000, /here it is "cleanupInterval"/],
  ['specialKeys', [{ name: 'userId', type: 'S' }], /no equivalent/],
  ['readCapacityUnits', 5, /here it is "readCapacity"/],
  ['writeCapacityUnits', 5, /here it is "writeCapacity"/],
  ['AWSConfigJSON', { region: 'us-east-1' }, /here it is "clientConfig"/],
  ['dynamoDBClient', {}, /here it is "awsClient"/],
  ['secret', 'keyboard cat', /express-session's name.*pass it to the middleware/],
];

describe('the Express store refuses unknown option names', () => {
  it.each(CASES)('%s', (key, value, pattern) => {
    const error = errorOf(() => new DynamoStore({ ...valid, [key]: value } as never));
    expect(error.option).toBe(key);
    expect(error.message).toContain(`unknown option "${key}"`);
    expect(error.message).toMatch(pattern);
  });

  it('also with a backend or a 1.x client (the DynamoDB names stay allowed beside them)', () => {
    const client: LegacyClient = {
      init: async () => undefined,
      get: async () => null,
      put: async () => undefined,
      setExpires: async () => undefined,
      delete: async () => undefined,
    } as never;
    expect(errorOf(() => new DynamoStore({ backend: new MemoryBackend(), touchafter: 1 } as never)).option).toBe('touchafter');
    // 1.x users pass tableName (and region) beside a custom client: still accepted.
    void new DynamoStore({ client, tableName: 'legacy', region: 'us-east-1' }).close();
  });
});

describe('the Koa store refuses unknown option names', () => {
  it.each(CASES)('%s', (key, value, pattern) => {
    const error = errorOf(() => createKoaStore({ ...valid, [key]: value } as never));
    expect(error.option).toBe(key);
    expect(error.message).toMatch(pattern);
  });

  it("koa-session's own maxAge, passed to the store", () => {
    expect(errorOf(() => createKoaStore({ ...valid, maxAge: 86_400_000 } as never)).message).toMatch(/koa-session's name.*"ttl"/);
  });
});

describe('the DynamoDB backend on its own refuses unknown option names', () => {
  // Names the backend does not have either (touchAfter, cleanupInterval are the store's) are left out.
  it.each(CASES.filter(([key]) => !['touchafter', 'cleanupinterval'].includes(key)))('%s', (key, value, pattern) => {
    const error = errorOf(() => new DynamoDBBackend({ ...valid, [key]: value } as never));
    expect(error.option).toBe(key);
    expect(error.message).toMatch(pattern);
  });

  it('and a store option given to the backend: the backend does not read it', () => {
    const error = errorOf(() => new DynamoDBBackend({ ...valid, ttl: 1000 } as never));
    expect(error.option).toBe('ttl');
  });
});
