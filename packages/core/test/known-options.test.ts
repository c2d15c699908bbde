import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertKnownOptions,
  CORE_OPTION_KEYS,
  closestOptionName,
  editDistance,
  FOREIGN_OPTIONS,
  InvalidOptionError,
  MemoryBackend,
  resolveStoreOptions,
  SessionStore,
  unknownOptionMessage,
} from '@connect-dynamodb-session/core';

function errorOf(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['ttl', 'ttl', 0],
    ['tabelname', 'tablename', 1], // one transposition
    ['region', 'regin', 1],
    ['expireattribute', 'expiresattribute', 1],
    ['kitten', 'sitting', 3],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closestOptionName', () => {
  const known = ['touchAfter', 'cleanupInterval', 'tableName', 'ttl', 'log', 'err'];
  it('matches another case first', () => expect(closestOptionName('TOUCHAFTER', known)).toBe('touchAfter'));
  it('matches within 2 edits for longer names', () => expect(closestOptionName('clenupIntervall', known)).toBe('cleanupInterval'));
  it('allows 1 edit only for names of 5 characters or fewer', () => {
    expect(closestOptionName('tl', known)).toBe('ttl');
    expect(closestOptionName('xyl', known)).toBeUndefined(); // 2 edits from "ttl" and "log"
  });
  it('suggests nothing far away', () => expect(closestOptionName('compressionLevel', known)).toBeUndefined());
});

describe('unknownOptionMessage', () => {
  const known = [...CORE_OPTION_KEYS, 'tableName', 'keyAttribute', 'readCapacity', 'cleanupInterval'];
  it.each([
    ['touchafter', /unknown option "touchafter"; did you mean "touchAfter"\?/],
    ['cleanupinterval', /did you mean "cleanupInterval"\?/],
    ['table', /connect-dynamodb's name; here it is "tableName".*dynamodb-store's name; here it is "tableName"/],
    ['hashKey', /connect-dynamodb's name; here it is "keyAttribute"/],
    ['hashkey', /connect-dynamodb's name; here it is "keyAttribute"/],
    ['readCapacityUnits', /here it is "readCapacity"/],
    ['reapInterval', /here it is "cleanupInterval"/],
    ['specialKeys', /connect-dynamodb's name \(there is no equivalent/],
    ['AWSConfigJSON', /here it is "clientConfig"/],
    ['dynamoDBClient', /@pwrdrvr\/dynamodb-session-store's name; here it is "awsClient"/],
    ['useStronglyConsistentReads', /here it is "consistentRead"/],
    ['touchInterval', /dynamodb-store's name; here it is "touchAfter"/],
    ['secret', /express-session's name \(it is a session middleware option: pass it to the middleware, not to the store\)/],
    ['saveUninitialized', /express-session's name/],
    ['maxAge', /koa-session's name.*"ttl"/],
  ])('%s', (name, pattern) => expect(unknownOptionMessage(name, known)).toMatch(pattern));

  it('lists the known names when nothing is close', () => {
    expect(unknownOptionMessage('frobnicate', ['b', 'a'])).toBe('unknown option "frobnicate"; the options are a, b');
  });
});

describe('assertKnownOptions', () => {
  it('passes known names and undefined', () => {
    expect(() => assertKnownOptions(undefined, ['a'])).not.toThrow();
    expect(() => assertKnownOptions({ a: 1 }, ['a'])).not.toThrow();
  });
  it('names the first unknown key as the option, and the others in the message', () => {
    const error = errorOf(() => assertKnownOptions({ a: 1, b: 2, c: undefined }, ['a']));
    expect(error.option).toBe('b');
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toMatch(/unknown option "b".*\(also unknown: "c"\)$/);
  });
  it('rejects an unknown key whose value is undefined: the name is the mistake', () => {
    expect(errorOf(() => assertKnownOptions({ touchafter: undefined }, ['touchAfter'])).option).toBe('touchafter');
  });
});

describe('the core store', () => {
  const backend = new MemoryBackend();
  it('accepts every name of CORE_OPTION_KEYS', () => {
    // Reaching a value check (not the name check) proves the name is known.
    for (const key of CORE_OPTION_KEYS) {
      let error: unknown;
      try {
        resolveStoreOptions({ backend, [key]: Symbol('wrong') } as never);
      } catch (e) {
        error = e;
      }
      if (error instanceof InvalidOptionError) expect(error.message).not.toMatch(/unknown option/);
    }
  });
  it.each([
    ['touchafter', 'touchAfter'],
    ['cleanupinterval', 'cleanupInterval'],
    ['TTL', 'ttl'],
    ['serialiser', 'serializer'],
  ])('refuses %s, suggesting %s', (wrong, right) => {
    const error = errorOf(() => new SessionStore({ backend, [wrong]: 1 } as never));
    expect(error.option).toBe(wrong);
    expect(error.message).toContain(`did you mean "${right}"?`);
  });
  it('points an AWS SDK client passed as "client" (connect-dynamodb\'s name) to "awsClient"', () => {
    const error = errorOf(() => new SessionStore({ client: { send: async () => ({}) } } as never));
    expect(error.option).toBe('client');
    expect(error.message).toMatch(/use "awsClient"/);
  });
});

describe('the README migration guide', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const migrating = readme.slice(readme.indexOf('## Migrating'), readme.indexOf('\n## ', readme.indexOf('## Migrating') + 5));
  const stores = new Set(['connect-dynamodb', 'dynamodb-store', '@pwrdrvr/dynamodb-session-store']);
  const names = Object.entries(FOREIGN_OPTIONS)
    .filter(([, uses]) => uses.some((u) => stores.has(u.store)))
    .map(([name]) => name);
  it.each(names)('maps %s', (name) => {
    expect(migrating).toContain(`\`${name}\``);
  });
});
