// Issue 12.6: what serialize refuses, and what its errors may say.
import { jsonSerializer, SerializationError, type Serializer } from '@connect-dynamodb-session/core';
import { serialize } from '../src/serializer';

const json = jsonSerializer as Serializer<unknown>;

function serializationError(session: unknown, serializer: Serializer<unknown> = json): SerializationError {
  try {
    serialize(serializer, session);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected a SerializationError');
}

/** Every message, stack and string form along the cause chain. */
function chainText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    parts.push(String(e));
    if (e instanceof Error) {
      parts.push(e.message, e.stack ?? '');
      e = e.cause;
    } else break;
  }
  return parts.join('\n');
}

describe('serialize with the default JSON serializer', () => {
  it('writes a plain object session', () => {
    expect(serialize(json, { cookie: { path: '/' }, n: 1 })).toBe('{"cookie":{"path":"/"},"n":1}');
  });

  it.each([
    ['a string', 'x', /its toJSON gave a string/],
    ['null', null, /its toJSON gave null/],
    ['an array', [1, 2], /its toJSON gave an array/],
    ['a number', 5, /its toJSON gave a number/],
  ])('refuses a session whose toJSON returns %s (it would read back as corrupt)', (_name, value, message) => {
    const error = serializationError({ cookie: {}, toJSON: () => value });
    expect(error.code).toBe('ERR_SERIALIZE');
    expect(error.message).toMatch(/^session must serialize to a JSON object/);
    expect(error.message).toMatch(message);
  });

  it('refuses a toJSON returning undefined', () => {
    expect(serializationError({ toJSON: () => undefined }).message).toMatch(/must return a string; got undefined/);
  });

  it('never carries what an app getter threw, in the message or anywhere down the cause chain', () => {
    const session = {
      cookie: {},
      get profile(): string {
        throw new Error('secret=hunter2');
      },
    };
    const error = serializationError(session);
    expect(chainText(error)).not.toMatch(/hunter2/);
    expect(error.message).toMatch(/a getter, toJSON or the serializer threw an Error \(its message is not shown/);
  });

  it('nor a thrown string, nor a name made of data', () => {
    const strings = serializationError({
      toJSON() {
        throw 'secret=hunter2';
      },
    });
    expect(chainText(strings)).not.toMatch(/hunter2/);
    const named = new Error('x');
    named.name = 'secret=hunter2';
    expect(
      chainText(
        serializationError({
          toJSON() {
            throw named;
          },
        }),
      ),
    ).not.toMatch(/hunter2/);
  });

  it('names a circular reference without its path (property names are the app data)', () => {
    const session: Record<string, unknown> = { cookie: {} };
    session.hunter2 = session;
    const error = serializationError(session);
    expect(error.message).toBe('session could not be serialized: the session has a circular reference');
    expect(chainText(error)).not.toMatch(/hunter2/);
  });

  it('names a BigInt', () => {
    expect(serializationError({ n: 1n }).message).toMatch(/holds a BigInt/);
  });
});

describe('serialize with a custom serializer', () => {
  it('accepts any string (the serializer knows its own format)', () => {
    expect(serialize({ stringify: () => 'v1|abc', parse: () => ({}) }, {})).toBe('v1|abc');
  });

  it('does not pass on what the serializer threw', () => {
    const serializer = {
      stringify: () => {
        throw new TypeError('cannot encode secret=hunter2');
      },
      parse: () => ({}),
    };
    const error = serializationError({}, serializer);
    expect(chainText(error)).not.toMatch(/hunter2/);
    expect(error.message).toMatch(/threw a TypeError/);
  });
});
