import { CorruptPayloadError, SerializationError } from './errors';

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

/** Serializes, turning any failure (circular structure, BigInt, a throwing toJSON) into a {@link SerializationError}. */
export function serialize<S>(serializer: Serializer<S>, session: S): string {
  let text: unknown;
  try {
    text = serializer.stringify(session);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SerializationError(`session could not be serialized: ${reason}`, { cause });
  }
  if (typeof text !== 'string') {
    throw new SerializationError(`serializer.stringify must return a string; got ${typeof text}`);
  }
  return text;
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
