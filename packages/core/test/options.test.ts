import { InvalidOptionError, MemoryBackend, resolveStoreOptions, SessionStore } from '@connect-dynamodb-session/core';

const backend = new MemoryBackend();

function errorOf(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('store options', () => {
  it('has the defaults of the original README', () => {
    const o = resolveStoreOptions({ backend });
    expect(o.ttl).toBe(1_209_600_000);
    expect(o.touchAfter).toBe(10_000);
    expect(o.cleanupInterval).toBe(300_000);
    expect(o.tombstoneTtl).toBe(86_400_000);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('accepts 0 for touchAfter and cleanupInterval (never replaced by the default)', () => {
    const o = resolveStoreOptions({ backend, touchAfter: 0, cleanupInterval: 0 });
    expect(o.touchAfter).toBe(0);
    expect(o.cleanupInterval).toBe(0);
  });

  it.each([
    ['ttl', -1, /option "ttl" must be a finite number from 1 to 100000000000000 \(milliseconds\); got -1/],
    ['ttl', 0, /"ttl".*got 0/],
    ['ttl', '3600', /"ttl".*milliseconds.*got "3600"/],
    // Issue 12.3: 1e15 ms from now is past what the store can keep; 1e14 (MAX_TTL) is accepted.
    ['ttl', 1e15, /option "ttl" must be a finite number from 1 to 100000000000000 \(milliseconds\); got 1000000000000000/],
    ['touchAfter', Number.NaN, /"touchAfter".*milliseconds.*got NaN/],
    ['touchAfter', -5, /"touchAfter".*got -5/],
    ['cleanupInterval', Number.POSITIVE_INFINITY, /"cleanupInterval".*milliseconds.*got Infinity/],
    ['cleanupInterval', 2 ** 31, /"cleanupInterval".*from 0 to 2147483647 \(milliseconds\)/],
    ['tombstoneTtl', 999, /option "tombstoneTtl" must be a finite number from 1000 to 31536000000 \(milliseconds\); got 999/],
    ['tombstoneTtl', 365 * 86_400_000 + 1, /"tombstoneTtl".*from 1000 to 31536000000 \(milliseconds\)/],
    ['tombstoneTtl', '1d', /"tombstoneTtl".*got "1d"/],
    ['err', 'console.error', /"err" must be a function; got "console.error"/],
    ['log', 42, /"log" must be a function; got 42/],
    ['now', {}, /"now" must be a function; got an object/],
    ['onCorruptPayload', 'ignore', /"onCorruptPayload" must be one of "miss", "throw"; got "ignore"/],
    ['serializer', { stringify: JSON.stringify }, /"serializer" must be an object with stringify and parse/],
  ])('rejects %s = %p naming the option, value and unit', (option, value, message) => {
    const error = errorOf(() => new SessionStore({ backend, [option]: value }));
    expect(error.option).toBe(option);
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toMatch(message);
  });

  it('requires a backend or a client', () => {
    expect(errorOf(() => new SessionStore({})).message).toMatch(/"backend" is required/);
  });

  it('rejects non-object options', () => {
    expect(errorOf(() => resolveStoreOptions('tableName' as never)).message).toMatch(/options must be an object; got "tableName"/);
  });

  it('names every required method a backend lacks', () => {
    expect(() => new SessionStore({ backend: { init: async () => {}, get: async () => null } as never })).toThrow(
      /backend is missing required method\(s\): create, replace, destroy, updateExpiry/,
    );
  });

  it('rejects a 1.x client together with a custom serializer', () => {
    const client = { init: jest.fn(), get: jest.fn(), put: jest.fn(), setExpires: jest.fn(), delete: jest.fn() };
    const serializer = { stringify: JSON.stringify, parse: JSON.parse };
    expect(errorOf(() => new SessionStore({ client, serializer })).option).toBe('client');
  });
});
