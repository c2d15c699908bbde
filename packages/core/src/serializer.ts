import { CorruptPayloadError, SerializationError } from './errors';
import { describeValue } from './options';

/**
 * Turns a session into text and back. The default is JSON: as with
 * express-session's own stores, Dates come back as ISO strings, and functions
 * and `undefined` values are dropped.
 */
export interface Serializer<S = unknown> {
  stringify(session: S): string;
  parse(text: string): S;
}

export const jsonSerializer: Serializer<never> = {
  stringify: (session) => JSON.stringify(session),
  parse: (text) => JSON.parse(text) as never,
};

/**
 * Serializes, turning any failure (circular structure, BigInt, a throwing
 * getter or toJSON) into a {@link SerializationError}. The default JSON
 * serializer must give a JSON object: a session whose `toJSON` returns a
 * string, `null` or an array would be stored and then read back as corrupt.
 *
 * What an app's own code throws (a getter, a `toJSON`, a custom serializer)
 * may quote session data (`secret=hunter2`), so neither the message nor the
 * cause of the error carries it: only the class of what was thrown.
 * `JSON.stringify` on the session shows the original.
 */
export function serialize<S>(serializer: Serializer<S>, session: S): string {
  let text: unknown;
  try {
    text = serializer.stringify(session);
  } catch (thrown) {
    const cause = redactedCause(thrown);
    throw new SerializationError(`session could not be serialized: ${cause.message}`, { cause });
  }
  if (typeof text !== 'string') {
    throw new SerializationError(`serializer.stringify must return a string; got ${describeValue(text)}`);
  }
  // JSON.stringify writes no leading whitespace: an object starts with "{".
  if (serializer === (jsonSerializer as Serializer<unknown>) && !text.startsWith('{')) {
    throw new SerializationError(
      `session must serialize to a JSON object; its toJSON gave ${describeJson(text)}, which would read back as a corrupt session`,
    );
  }
  return text;
}

/**
 * What may be said of an error thrown while serializing: JSON.stringify's own
 * two errors (circular structure, BigInt) by their kind, anything else by its
 * class name alone. A new error, so that neither its message nor its stack nor
 * a cause chain holds the original text.
 */
function redactedCause(thrown: unknown): Error {
  const message = thrown instanceof Error ? thrown.message : '';
  if (thrown instanceof TypeError && message.startsWith('Converting circular structure to JSON')) {
    return new TypeError('the session has a circular reference');
  }
  if (thrown instanceof TypeError && /BigInt/.test(message) && message.length < 60) {
    return new TypeError('the session holds a BigInt, which JSON cannot represent');
  }
  // A class name is code, not data; anything else in `name` is not shown either.
  const name = thrown instanceof Error && /^[A-Za-z_$][\w$]{0,40}$/.test(thrown.name) ? thrown.name : 'Error';
  const kind = thrown instanceof Error ? name : thrown === null ? 'null' : typeof thrown;
  return new Error(
    `a getter, toJSON or the serializer threw ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} (its message is not shown: it may hold session data)`,
  );
}

function describeJson(text: string): string {
  if (text === 'null') return 'null';
  if (text.startsWith('[')) return 'an array';
  if (text.startsWith('"')) return 'a string';
  return `a ${typeof JSON.parse(text)}`;
}

/** Parses, turning any failure into a {@link CorruptPayloadError}; anything but an object is corrupt too. */
export function deserialize<S>(serializer: Serializer<S>, text: string): S {
  let session: unknown;
  try {
    session = serializer.parse(text);
  } catch (cause) {
    throw new CorruptPayloadError('stored session could not be parsed', { cause: withoutQuotedText(cause) });
  }
  if (session === null || typeof session !== 'object' || Array.isArray(session)) {
    throw new CorruptPayloadError('stored session is not an object');
  }
  return session as S;
}

/**
 * JSON.parse's "Unexpected token" errors quote up to 21 characters of the text
 * (`Unexpected token 'x', "{"a": x..."... is not valid JSON`): stored session
 * contents, which must never reach the `err` hook or a log. Such an error is
 * replaced by one that says the same without the quote.
 */
function withoutQuotedText(error: unknown): unknown {
  if (!(error instanceof SyntaxError) || !/^Unexpected token .* is not valid JSON$/s.test(error.message)) return error;
  return new SyntaxError('Unexpected token: not valid JSON (the stored text is not shown)');
}
