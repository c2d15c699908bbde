import { isPlainObject, mergeSessions } from '@connect-dynamodb-session/core';
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON trees with a small key alphabet, so that random trees share keys (and collide) often. */
const key = fc.constantFrom('a', 'b', 'c', 'd', 'cookie', '__proto__', 'constructor');
const { tree: json } = fc.letrec<{ tree: Json }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Json>(null, true, false, 0, 1, '', 'x'),
    fc.integer(),
    fc.string({ maxLength: 4 }),
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
  ),
}));
const object = fc.dictionary(key, json, { maxKeys: 5 });

/** A random edit of a tree: change, add or delete keys at random depths. */
function edit(base: Json): fc.Arbitrary<Json> {
  if (!isPlainObject(base)) return fc.oneof(fc.constant(base), json);
  const obj = base as Record<string, Json>;
  const keys = Object.keys(obj);
  return fc
    .tuple(
      fc.subarray(keys),
      fc.dictionary(key, json, { maxKeys: 2 }),
      ...keys.map((k) => fc.oneof({ weight: 3, arbitrary: fc.constant(obj[k] as Json) }, { weight: 1, arbitrary: edit(obj[k] as Json) })),
    )
    .map(([kept, added, ...values]) => {
      const out: Record<string, Json> = {};
      keys.forEach((k, i) => {
        if (kept.includes(k)) define(out, k, values[i] as Json);
      });
      for (const [k, v] of Object.entries(added)) define(out, k, v);
      return out;
    });
}

function define(o: Record<string, Json>, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Re-parse through JSON: what the store really merges. */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('mergeSessions (property-based)', () => {
  it('merge(b, b, t) = t: an unchanged save keeps what is stored', () => {
    fc.assert(fc.property(object, object, (b, t) => expect(viaJson(mergeSessions(b, viaJson(b), t))).toEqual(viaJson(t))));
  });

  it('merge(b, m, b) = m: nobody else changed anything', () => {
    fc.assert(fc.property(object, object, (b, m) => expect(viaJson(mergeSessions(b, m, viaJson(b)))).toEqual(viaJson(m))));
  });

  it('merge(b, m, m) = m: both made the same change', () => {
    fc.assert(fc.property(object, object, (b, m) => expect(viaJson(mergeSessions(b, m, viaJson(m)))).toEqual(viaJson(m))));
  });

  it('is valid JSON that parses back to itself, and mutates none of its inputs', () => {
    fc.assert(
      fc.property(object, object, object, (b, m, t) => {
        const before = JSON.stringify([b, m, t]);
        const merged = mergeSessions(b, m, t);
        const text = JSON.stringify(merged);
        expect(typeof text).toBe('string');
        expect(JSON.parse(text)).toEqual(viaJson(merged));
        expect(JSON.stringify([b, m, t])).toBe(before);
      }),
    );
  });

  it('every key only one side changed, at any depth, has that side’s value; both-changed keys are mine', () => {
    fc.assert(
      fc.property(
        object.chain((b) => fc.tuple(fc.constant(b), edit(b), edit(b))),
        ([b, m, t]) => {
          const merged = viaJson(mergeSessions(b, m, t));
          check(b, m, t, merged);
        },
      ),
    );
  });

  it('changes to disjoint keys all survive, at any depth', () => {
    // mine edits only keys under "a"/"b", theirs only under "c"/"d".
    const side = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), json, { maxKeys: 2 });
    fc.assert(
      fc.property(
        object,
        side(['a', 'b']),
        side(['c', 'd']),
        fc.constantFrom<string[]>([], ['cookie'], ['cookie', 'cookie']),
        (b, mineKeys, theirsKeys, path) => {
          const at = (root: Record<string, Json>, extra: Record<string, Json>) => {
            const copy = viaJson(root) as Record<string, Json>;
            let node = copy;
            for (const p of path) {
              if (!isPlainObject(node[p])) define(node, p, {});
              node = node[p] as Record<string, Json>;
            }
            for (const [k, v] of Object.entries(extra)) define(node, k, v);
            return { copy, node: () => path.reduce<Record<string, Json>>((n, p) => n[p] as Record<string, Json>, copy) };
          };
          const base = at(b, {}).copy;
          const mine = at(base, mineKeys).copy;
          const theirs = at(base, theirsKeys).copy;
          const merged = viaJson(mergeSessions(base, mine, theirs)) as Record<string, Json>;
          const node = path.reduce<Record<string, Json>>((n, p) => n[p] as Record<string, Json>, merged);
          for (const [k, v] of Object.entries(mineKeys)) expect(node[k]).toEqual(viaJson(v));
          for (const [k, v] of Object.entries(theirsKeys)) expect(node[k]).toEqual(viaJson(v));
        },
      ),
    );
  });
});

/** JSON text with sorted keys: equal for structurally equal trees, whatever their key order. */
function canon(v: unknown): string {
  return (
    JSON.stringify(v, (_k, value: unknown) =>
      isPlainObject(value)
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k === '__proto__' ? '\u0000proto' : k, value[k]]),
          )
        : value,
    ) ?? 'undefined'
  );
}

/** The specification, applied recursively to a merged result. */
function check(b: unknown, m: unknown, t: unknown, merged: unknown): void {
  const same = (x: unknown, y: unknown) => canon(x) === canon(y);
  if (isPlainObject(m) && isPlainObject(t)) {
    expect(isPlainObject(merged)).toBe(true);
    const base = isPlainObject(b) ? b : {};
    const out = merged as Record<string, unknown>;
    for (const k of new Set([...Object.keys(base), ...Object.keys(m), ...Object.keys(t)])) {
      const inB = Object.hasOwn(base, k);
      const inM = Object.hasOwn(m, k);
      const inT = Object.hasOwn(t, k);
      const mChanged = inM !== inB || (inM && !same(m[k], base[k]));
      const tChanged = inT !== inB || (inT && !same(t[k], base[k]));
      if (!mChanged) {
        expect(Object.hasOwn(out, k)).toBe(inT);
        if (inT) expect(same(out[k], t[k])).toBe(true);
      } else if (!tChanged) {
        expect(Object.hasOwn(out, k)).toBe(inM);
        if (inM) expect(same(out[k], m[k])).toBe(true);
      } else if (inM && inT) {
        check(inB ? base[k] : undefined, m[k], t[k], out[k]);
      } else {
        expect(Object.hasOwn(out, k)).toBe(inM);
      }
    }
    return;
  }
  expect(same(merged, same(m, b) ? t : m)).toBe(true);
}

describe('mergeSessions (examples)', () => {
  const base = { cookie: { expires: '2030-01-01' }, cart: { items: [1], total: 1 }, user: 'ada', flash: 'hi' };

  it('keeps a change on each side, deletions included', () => {
    const mine = { ...base, cart: { items: [1], total: 2 }, flash: undefined };
    delete (mine as Partial<typeof base>).flash;
    const theirs = { ...base, user: 'grace', theme: 'dark' };
    expect(mergeSessions(base, mine, theirs)).toEqual({
      cookie: { expires: '2030-01-01' },
      cart: { items: [1], total: 2 },
      user: 'grace',
      theme: 'dark',
    });
  });

  it('replaces arrays whole, mine winning when both changed one', () => {
    const mine = { ...base, cart: { ...base.cart, items: [1, 2] } };
    const theirs = { ...base, cart: { ...base.cart, items: [1, 3] } };
    expect(mergeSessions(base, mine, theirs).cart.items).toEqual([1, 2]);
  });

  it('mine wins on a key both changed, and when mine set what theirs deleted', () => {
    const theirs = { cookie: base.cookie, cart: base.cart, user: 'grace' };
    expect(mergeSessions(base, { ...base, user: 'linus', flash: 'bye' }, theirs)).toMatchObject({ user: 'linus', flash: 'bye' });
  });

  it('keeps "__proto__" a plain key, never a prototype', () => {
    const b = JSON.parse('{"a":1}');
    const m = JSON.parse('{"a":1,"__proto__":{"polluted":true}}');
    const merged = mergeSessions(b, m, b) as Record<string, unknown>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(merged)).toBe('{"a":1,"__proto__":{"polluted":true}}');
  });

  it('treats non-plain objects (a Date) as values', () => {
    const d1 = new Date(1);
    const d2 = new Date(2);
    expect(mergeSessions({ d: d1 }, { d: d1 }, { d: d2 })).toEqual({ d: d2 });
    expect(mergeSessions({ d: d1 }, { d: d2 }, { d: d1 })).toEqual({ d: d2 });
  });
});
