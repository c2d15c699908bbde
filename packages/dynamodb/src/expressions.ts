import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LEGACY_MS_THRESHOLD, toEpochSeconds } from './item';
import type { ItemSchema } from './options';

/**
 * Condition and filter expressions. Attribute names and values only ever
 * travel as ExpressionAttributeNames / ExpressionAttributeValues: nothing from
 * the options or the caller is spliced into the expression text.
 */
export interface Expression {
  readonly text: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
}

/** The expression parts of a request, ready to spread into a command input. */
export interface ExpressionInput {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

const number = (n: number): AttributeValue => ({ N: String(n) });

/**
 * The session is live at `now`. Expiries in whole seconds (ours) and in
 * milliseconds (1.x items) are told apart by {@link LEGACY_MS_THRESHOLD}:
 * `now` in seconds is far below it and `now` in ms far above it, so each
 * branch only ever matches values of its own unit.
 */
export function liveAt(now: number, schema: ItemSchema): Expression {
  return {
    text: '((#exp > :nowSeconds AND #exp <= :legacyMsThreshold) OR #exp > :nowMs)',
    names: { '#exp': schema.expiresAttribute },
    values: { ':nowSeconds': number(toEpochSeconds(now)), ':legacyMsThreshold': number(LEGACY_MS_THRESHOLD), ':nowMs': number(now) },
  };
}

/** The session has expired at `now` (expiry at or before it), in either unit. Items without an expiry never match. */
export function expiredAt(now: number, schema: ItemSchema): Expression {
  return {
    text: '(#exp <= :nowSeconds OR (#exp > :legacyMsThreshold AND #exp <= :nowMs))',
    names: { '#exp': schema.expiresAttribute },
    values: { ':nowSeconds': number(toEpochSeconds(now)), ':legacyMsThreshold': number(LEGACY_MS_THRESHOLD), ':nowMs': number(now) },
  };
}

/** The item exists. */
export function exists(schema: ItemSchema): Expression {
  return { text: 'attribute_exists(#key)', names: { '#key': schema.keyAttribute }, values: {} };
}

/** No item at all exists for the key: no session, no tombstone, expired or not. */
export function notExists(schema: ItemSchema): Expression {
  return { text: 'attribute_not_exists(#key)', names: { '#key': schema.keyAttribute }, values: {} };
}

/**
 * The item is a record `get` reads: a numeric expiry, and a payload of type S
 * or B (a session) or none at all (a tombstone). Anything else under our key
 * (no numeric expiry, a payload of another type) `get` reads as nothing.
 */
export function isRecord(schema: ItemSchema): Expression {
  return {
    text: '(attribute_type(#exp, :typeNumber) AND (attribute_not_exists(#content) OR attribute_type(#content, :typeString) OR attribute_type(#content, :typeBinary)))',
    names: { '#exp': schema.expiresAttribute, '#content': schema.contentAttribute },
    values: { ':typeNumber': { S: 'N' }, ':typeString': { S: 'S' }, ':typeBinary': { S: 'B' } },
  };
}

/**
 * Nothing `get` would read as a record: no item, or one it reads as nothing.
 * `create` writes on this condition, so what get and create see agree: a
 * corrupt item under our key is overwritten by the next new session, never a
 * conflict that no retry resolves.
 */
export function noRecord(schema: ItemSchema): Expression {
  const record = isRecord(schema);
  return {
    text: `(attribute_not_exists(#key) OR NOT ${record.text})`,
    names: { '#key': schema.keyAttribute, ...record.names },
    values: record.values,
  };
}

/** The item is not a tombstone (`clear` turns everything else of this store into one). */
export function notTombstone(schema: ItemSchema): Expression {
  return {
    text: 'NOT (attribute_type(#exp, :typeNumber) AND attribute_not_exists(#content))',
    names: { '#exp': schema.expiresAttribute, '#content': schema.contentAttribute },
    values: { ':typeNumber': { S: 'N' } },
  };
}

/** The item is a session (it has a payload), not a tombstone. */
export function isSession(schema: ItemSchema): Expression {
  return { text: 'attribute_exists(#content)', names: { '#content': schema.contentAttribute }, values: {} };
}

/**
 * The item is a session at revision `expected`. Revision 0 is a session
 * stored without a revision attribute (1.x, 2.0, connect-dynamodb). A
 * tombstone has neither payload nor revision, so it never matches.
 */
export function atRevision(expected: number, schema: ItemSchema): Expression {
  if (expected === 0) {
    return {
      text: 'attribute_exists(#content) AND attribute_not_exists(#revision)',
      names: { '#content': schema.contentAttribute, '#revision': schema.revisionAttribute },
      values: {},
    };
  }
  return {
    text: '#revision = :expectedRevision',
    names: { '#revision': schema.revisionAttribute },
    values: { ':expectedRevision': number(expected) },
  };
}

/**
 * The item has a payload we can read: a string or bytes. 1.x could leave
 * content-less stubs behind, and foreign items in a shared table may hold
 * other types; `list` and `count` skip both, so they agree.
 */
export function hasContent(schema: ItemSchema): Expression {
  return {
    text: '(attribute_type(#content, :typeString) OR attribute_type(#content, :typeBinary))',
    names: { '#content': schema.contentAttribute },
    values: { ':typeString': { S: 'S' }, ':typeBinary': { S: 'B' } },
  };
}

/**
 * The item belongs to this store: its key starts with the prefix and its sort
 * key holds our value. `undefined` when neither is configured (the whole table
 * is ours). Keeps scans from touching other software's items in a shared table.
 */
export function ownedBy(schema: ItemSchema): Expression | undefined {
  const parts: Expression[] = [];
  if (schema.prefix !== '') {
    parts.push({ text: 'begins_with(#key, :prefix)', names: { '#key': schema.keyAttribute }, values: { ':prefix': { S: schema.prefix } } });
  }
  if (schema.sortKey) {
    parts.push({
      text: '#sortKey = :sortKeyValue',
      names: { '#sortKey': schema.sortKey.name },
      values: { ':sortKeyValue': { S: schema.sortKey.value } },
    });
  }
  return parts.length > 0 ? and(...parts) : undefined;
}

/** Conjunction of the given expressions (`undefined` ones are skipped). */
export function and(...parts: Array<Expression | undefined>): Expression {
  const present = parts.filter((p): p is Expression => p !== undefined);
  return {
    text: present.map((p) => p.text).join(' AND '),
    names: merge(present.map((p) => p.names)),
    values: merge(present.map((p) => p.values)),
  };
}

/** Merges placeholder maps; a placeholder bound to two different things is a bug, never silently overwritten. */
function merge<V>(maps: Array<Record<string, V>>): Record<string, V> {
  const merged: Record<string, V> = {};
  for (const map of maps) {
    for (const [placeholder, value] of Object.entries(map)) {
      if (placeholder in merged && JSON.stringify(merged[placeholder]) !== JSON.stringify(value)) {
        throw new Error(`expression placeholder ${placeholder} is bound to two different values`);
      }
      merged[placeholder] = value;
    }
  }
  return merged;
}

/** Names for a projection of the given attributes: `{ text: '#p0, #p1', names }`. */
export function projection(attributes: readonly string[]): Expression {
  const names: Record<string, string> = {};
  attributes.forEach((name, i) => {
    names[`#p${i}`] = name;
  });
  return { text: Object.keys(names).join(', '), names, values: {} };
}

/** Merges the names and values of several expressions into one command input; omits empty maps (DynamoDB rejects them). */
export function attributeMaps(...expressions: Array<Expression | undefined>): ExpressionInput {
  const merged = and(...expressions);
  const input: ExpressionInput = {};
  if (Object.keys(merged.names).length > 0) input.ExpressionAttributeNames = merged.names;
  if (Object.keys(merged.values).length > 0) input.ExpressionAttributeValues = merged.values;
  return input;
}
