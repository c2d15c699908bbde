import { isDeepStrictEqual } from 'node:util';

/**
 * The three-way merge the store applies when a save meets a newer revision
 * (see docs/write-protocol.md): `base` is the session as this request read
 * it, `mine` what this request saves, `theirs` what is stored now.
 *
 * A pure function of JSON trees (or whatever the serializer parses to):
 * - plain objects are merged key by key, at any depth;
 * - for each key, a change on one side only wins; deleting a key is a change;
 * - when both sides changed a key, `mine` (the later save) wins, unless both
 *   values are plain objects: then they are merged in turn, against the base's
 *   value under that key (an empty object when the base had none there);
 * - everything else (arrays, strings, numbers, booleans, null, Dates...) is a
 *   value, replaced whole: two requests appending to one array do not both
 *   keep their element.
 *
 * Nothing is mutated: the result shares unchanged subtrees with the inputs.
 */
export function mergeSessions<T>(base: unknown, mine: T, theirs: unknown): T {
  return mergeValue(base, mine, theirs) as T;
}

type PlainObject = Record<string, unknown>;

const hasOwn = (o: PlainObject, key: string): boolean => Object.hasOwn(o, key);

/** An object literal (or `Object.create(null)`): the only values that are merged rather than replaced. */
export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function mergeValue(base: unknown, mine: unknown, theirs: unknown): unknown {
  if (isPlainObject(mine) && isPlainObject(theirs)) {
    return mergeObjects(isPlainObject(base) ? base : {}, mine, theirs);
  }
  // One side unchanged: the other side's value is the result (its change, or no change at all).
  if (sameValue(mine, base)) return theirs;
  return mine;
}

function mergeObjects(base: PlainObject, mine: PlainObject, theirs: PlainObject): PlainObject {
  const result: PlainObject = {};
  const keys = new Set([...Object.keys(theirs), ...Object.keys(mine), ...Object.keys(base)]);
  for (const key of keys) {
    const inBase = hasOwn(base, key);
    const inMine = hasOwn(mine, key);
    const inTheirs = hasOwn(theirs, key);
    const mineChanged = inMine !== inBase || (inMine && !sameValue(mine[key], base[key]));
    const theirsChanged = inTheirs !== inBase || (inTheirs && !sameValue(theirs[key], base[key]));
    if (!mineChanged) {
      if (inTheirs) setOwn(result, key, theirs[key]);
    } else if (!theirsChanged) {
      if (inMine) setOwn(result, key, mine[key]);
    } else if (inMine && inTheirs) {
      setOwn(result, key, mergeValue(inBase ? base[key] : undefined, mine[key], theirs[key]));
    } else if (inMine) {
      // Both changed it: they deleted it, I set it. The later save wins.
      setOwn(result, key, mine[key]);
    }
    // Else I deleted it (and they changed or deleted it): the later save wins, the key is gone.
  }
  return result;
}

/**
 * Structural equality of session values: plain objects by their own keys
 * (whatever their prototype, `Object.prototype` or `null`), arrays element by
 * element, anything else as `util.isDeepStrictEqual` sees it (a Date by its time).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isPlainObject(a) || isPlainObject(b) || Array.isArray(a) || Array.isArray(b)) return false;
  return isDeepStrictEqual(a, b);
}

/** `o[key] = value`, except that a key "__proto__" (which JSON.parse makes an own property) stays a property, never the prototype. */
function setOwn(o: PlainObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
