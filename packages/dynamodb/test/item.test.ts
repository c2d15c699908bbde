import {
  fromItem,
  idFromItem,
  keyOfItem,
  LEGACY_MS_THRESHOLD,
  listedFromItem,
  revisionOf,
  sessionFromItem,
  storedExpiryToMs,
  toEpochSeconds,
  toItem,
  toKey,
  toStoredExpiry,
  toTombstoneItem,
} from '../src/item';
import type { ItemSchema } from '../src/options';

const defaults: ItemSchema = {
  keyAttribute: 'id',
  prefix: '',
  expiresAttribute: 'expires',
  contentAttribute: 'content',
  revisionAttribute: 'rev',
  ownerAttribute: 'owner',
  sortKey: undefined,
  expiryUnit: 'seconds',
};
const custom: ItemSchema = {
  keyAttribute: 'pk',
  prefix: 'sess:',
  expiresAttribute: 'ttl',
  contentAttribute: 'data',
  revisionAttribute: 'version',
  ownerAttribute: 'user',
  sortKey: { name: 'sk', value: 'session' },
  expiryUnit: 'seconds',
};
/** What a backend in upgradeFrom1x 'mixed-fleet' writes: what 1.x reads. */
const mixedFleet: ItemSchema = { ...defaults, expiryUnit: 'milliseconds' };

describe('toItem', () => {
  it('writes key, expiry in whole epoch seconds, text content and the revision, nothing else', () => {
    expect(toItem('abc', { payload: '{"a":1}', expiresAt: 1_764_000_000_999 }, 1, defaults)).toEqual({
      id: { S: 'abc' },
      expires: { N: '1764000000' },
      content: { S: '{"a":1}' },
      rev: { N: '1' },
    });
  });

  it('rounds the expiry down, never up, so a stored session is never live longer than asked', () => {
    expect(toEpochSeconds(1_764_000_000_000)).toBe(1_764_000_000);
    expect(toEpochSeconds(1_764_000_000_001)).toBe(1_764_000_000);
    expect(toEpochSeconds(1_764_000_000_999)).toBe(1_764_000_000);
  });

  it('reads back every expiry it writes as what it is, "never expires" cookies included (issue 12.3)', () => {
    const farFuture = [Date.UTC(9999, 11, 31, 23, 59, 59), 1e14 + 1_800_000_000_000, 1e15 - 1000];
    for (const expiresAt of farFuture) {
      const stored = toItem('abc', { payload: 'x', expiresAt }, 1, defaults).expires?.N;
      expect(storedExpiryToMs(stored)).toBe(Math.floor(expiresAt / 1000) * 1000);
    }
  });

  it('caps what it writes at the threshold, so nothing it writes reads back as 1.x milliseconds', () => {
    expect(toEpochSeconds(8.64e15)).toBe(LEGACY_MS_THRESHOLD);
    expect(storedExpiryToMs(String(toEpochSeconds(8.64e15)))).toBe(1e15);
  });

  it('writes bytes as B', () => {
    const bytes = new Uint8Array([0, 1, 255]);
    expect(toItem('abc', { payload: bytes, expiresAt: 5000 }, 3, defaults).content).toEqual({ B: bytes });
  });

  it('uses the configured names, prefix and sort key', () => {
    expect(toItem('abc', { payload: 'x', expiresAt: 7000 }, 42, custom)).toEqual({
      pk: { S: 'sess:abc' },
      sk: { S: 'session' },
      ttl: { N: '7' },
      data: { S: 'x' },
      version: { N: '42' },
    });
    expect(toKey('abc', custom)).toEqual({ pk: { S: 'sess:abc' }, sk: { S: 'session' } });
  });

  it('writes the owner into its own attribute, and nothing for a session without one (the index is sparse)', () => {
    expect(toItem('abc', { payload: 'x', expiresAt: 7000, owner: 'ada' }, 1, defaults).owner).toEqual({ S: 'ada' });
    expect(toItem('abc', { payload: 'x', expiresAt: 7000, owner: 'ada' }, 1, custom).user).toEqual({ S: 'ada' });
    expect(Object.keys(toItem('abc', { payload: 'x', expiresAt: 7000 }, 1, defaults)).sort()).toEqual(['content', 'expires', 'id', 'rev']);
    expect(Object.keys(toTombstoneItem('abc', 7000, defaults)).sort()).toEqual(['expires', 'id']);
  });

  it('writes whole epoch milliseconds while 1.x instances share the table (upgradeFrom1x "mixed-fleet")', () => {
    expect(toItem('abc', { payload: 'x', expiresAt: 1_764_000_000_999.7 }, 1, mixedFleet).expires).toEqual({ N: '1764000000999' });
    expect(toStoredExpiry(1_764_000_000_999, mixedFleet)).toBe('1764000000999');
    expect(toStoredExpiry(1_764_000_000_999, defaults)).toBe('1764000000');
  });
});

describe('toTombstoneItem', () => {
  it('is the key and the expiry, and nothing else: no payload, no revision', () => {
    expect(toTombstoneItem('abc', 1_764_000_000_999, custom)).toEqual({
      pk: { S: 'sess:abc' },
      sk: { S: 'session' },
      ttl: { N: '1764000000' },
    });
    expect(toTombstoneItem('abc', 1_764_000_000_999, mixedFleet)).toEqual({ id: { S: 'abc' }, expires: { N: '1764000000999' } });
  });

  it('is read back as a tombstone', () => {
    expect(fromItem(toTombstoneItem('abc', 1_764_000_000_999, custom), custom)).toEqual({ tombstone: true, expiresAt: 1_764_000_000_000 });
    expect(fromItem(toTombstoneItem('abc', 1_764_000_000_999, mixedFleet), defaults)).toEqual({
      tombstone: true,
      expiresAt: 1_764_000_000_999,
    });
  });
});

describe('fromItem', () => {
  it('reads what toItem wrote (expiry in whole seconds), with its revision', () => {
    const item = toItem('abc', { payload: 'hello', expiresAt: 1_764_000_000_999 }, 7, custom);
    expect(fromItem(item, custom)).toEqual({ payload: 'hello', expiresAt: 1_764_000_000_000, revision: 7 });
  });

  it('reads bytes back as bytes', () => {
    const bytes = new Uint8Array([9, 8, 7]);
    expect(fromItem({ id: { S: 'a' }, expires: { N: '10' }, content: { B: bytes }, rev: { N: '2' } }, defaults)).toEqual({
      payload: bytes,
      expiresAt: 10_000,
      revision: 2,
    });
  });

  it('reads a 1.x item (expiry in epoch milliseconds, no revision) as revision 0', () => {
    const legacy = { id: { S: 'abc' }, expires: { N: '1764000000123' }, content: { S: '{"cookie":{"path":"/"},"n":1}' } };
    expect(fromItem(legacy, defaults)).toEqual({ payload: '{"cookie":{"path":"/"},"n":1}', expiresAt: 1_764_000_000_123, revision: 0 });
  });

  it('reads a connect-dynamodb item (prefix "sess:", attribute "sess", a "type" attribute, no revision) as revision 0', () => {
    const schema = { ...defaults, prefix: 'sess:', contentAttribute: 'sess' };
    const theirs = { id: { S: 'sess:abc' }, expires: { N: '1764000000' }, type: { S: 'connect-session' }, sess: { S: '{"n":1}' } };
    expect(fromItem(theirs, schema)).toEqual({ payload: '{"n":1}', expiresAt: 1_764_000_000_000, revision: 0 });
  });

  it('tells seconds from milliseconds by magnitude', () => {
    expect(storedExpiryToMs(String(LEGACY_MS_THRESHOLD))).toBe(LEGACY_MS_THRESHOLD * 1000);
    expect(storedExpiryToMs(String(LEGACY_MS_THRESHOLD + 1))).toBe(LEGACY_MS_THRESHOLD + 1);
    expect(storedExpiryToMs('0')).toBe(0);
    expect(storedExpiryToMs('1.5')).toBe(1500);
    expect(storedExpiryToMs('not a number')).toBeNull();
    expect(storedExpiryToMs(undefined)).toBeNull();
  });

  it('is a tombstone for an item with a readable expiry and no payload attribute (ours, or a 1.x stub)', () => {
    expect(fromItem({ id: { S: 'a' }, expires: { N: '10' } }, defaults)).toEqual({ tombstone: true, expiresAt: 10_000 });
    expect(fromItem({ id: { S: 'a' }, expires: { N: '1764000000123' } }, defaults)).toEqual({
      tombstone: true,
      expiresAt: 1_764_000_000_123,
    });
    expect(sessionFromItem({ id: { S: 'a' }, expires: { N: '10' } }, defaults)).toBeNull();
  });

  it('is null for a missing item, or one without a readable expiry or with a payload of another type', () => {
    expect(fromItem(undefined, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' } }, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, content: { S: 'x' } }, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, expires: { S: '10' }, content: { S: 'x' } }, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, expires: { N: '10' }, content: { N: '1' } }, defaults)).toBeNull();
  });

  it('reads an unreadable revision as 0 (its replace on 0 then fails on the attribute: a conflict, never a lost write)', () => {
    for (const rev of [{ S: '3' }, { N: '-1' }, { N: '1.5' }, { N: '1e300' }]) {
      expect(revisionOf({ id: { S: 'a' }, rev }, defaults)).toBe(0);
    }
    expect(revisionOf({ id: { S: 'a' }, rev: { N: '12' } }, defaults)).toBe(12);
  });
});

describe('ids and keys of scanned items', () => {
  it('strips the prefix, and refuses keys without it', () => {
    expect(idFromItem({ pk: { S: 'sess:abc' } }, custom)).toBe('abc');
    expect(idFromItem({ pk: { S: 'other:abc' } }, custom)).toBeNull();
    expect(idFromItem({ id: { S: 'abc' } }, defaults)).toBe('abc');
  });

  it('lists a readable session of ours with its id and revision, never a tombstone', () => {
    const item = toItem('abc', { payload: 'x', expiresAt: 9000 }, 4, custom);
    expect(listedFromItem(item, custom)).toEqual({ id: 'abc', payload: 'x', expiresAt: 9000, revision: 4 });
    expect(listedFromItem({ ...item, pk: { S: 'nope' } }, custom)).toBeNull();
    expect(listedFromItem(toTombstoneItem('abc', 9000, custom), custom)).toBeNull();
  });

  it('keeps only the primary key attributes', () => {
    const item = toItem('abc', { payload: 'x', expiresAt: 9000 }, 1, custom);
    expect(keyOfItem(item, custom)).toEqual({ pk: { S: 'sess:abc' }, sk: { S: 'session' } });
    expect(keyOfItem(toItem('abc', { payload: 'x', expiresAt: 9000 }, 1, defaults), defaults)).toEqual({ id: { S: 'abc' } });
  });
});
