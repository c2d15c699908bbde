import {
  fromItem,
  idFromItem,
  keyOfItem,
  LEGACY_MS_THRESHOLD,
  listedFromItem,
  storedExpiryToMs,
  toEpochSeconds,
  toItem,
  toKey,
} from '../src/item';
import type { ItemSchema } from '../src/options';

const defaults: ItemSchema = {
  keyAttribute: 'id',
  prefix: '',
  expiresAttribute: 'expires',
  contentAttribute: 'content',
  sortKey: undefined,
};
const custom: ItemSchema = {
  keyAttribute: 'pk',
  prefix: 'sess:',
  expiresAttribute: 'ttl',
  contentAttribute: 'data',
  sortKey: { name: 'sk', value: 'session' },
};

describe('toItem', () => {
  it('writes key, expiry in whole epoch seconds and text content, nothing else', () => {
    expect(toItem('abc', { payload: '{"a":1}', expiresAt: 1_764_000_000_999 }, defaults)).toEqual({
      id: { S: 'abc' },
      expires: { N: '1764000000' },
      content: { S: '{"a":1}' },
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
      const stored = toItem('abc', { payload: 'x', expiresAt }, defaults).expires?.N;
      expect(storedExpiryToMs(stored)).toBe(Math.floor(expiresAt / 1000) * 1000);
    }
  });

  it('caps what it writes at the threshold, so nothing it writes reads back as 1.x milliseconds', () => {
    expect(toEpochSeconds(8.64e15)).toBe(LEGACY_MS_THRESHOLD);
    expect(storedExpiryToMs(String(toEpochSeconds(8.64e15)))).toBe(1e15);
  });

  it('writes bytes as B', () => {
    const bytes = new Uint8Array([0, 1, 255]);
    expect(toItem('abc', { payload: bytes, expiresAt: 5000 }, defaults).content).toEqual({ B: bytes });
  });

  it('uses the configured names, prefix and sort key', () => {
    expect(toItem('abc', { payload: 'x', expiresAt: 7000 }, custom)).toEqual({
      pk: { S: 'sess:abc' },
      sk: { S: 'session' },
      ttl: { N: '7' },
      data: { S: 'x' },
    });
    expect(toKey('abc', custom)).toEqual({ pk: { S: 'sess:abc' }, sk: { S: 'session' } });
  });
});

describe('fromItem', () => {
  it('reads what toItem wrote (expiry in whole seconds)', () => {
    const item = toItem('abc', { payload: 'hello', expiresAt: 1_764_000_000_999 }, custom);
    expect(fromItem(item, custom)).toEqual({ payload: 'hello', expiresAt: 1_764_000_000_000 });
  });

  it('reads bytes back as bytes', () => {
    const bytes = new Uint8Array([9, 8, 7]);
    expect(fromItem({ id: { S: 'a' }, expires: { N: '10' }, content: { B: bytes } }, defaults)).toEqual({
      payload: bytes,
      expiresAt: 10_000,
    });
  });

  it('reads a 1.x item: expiry in epoch milliseconds, content JSON text', () => {
    const legacy = { id: { S: 'abc' }, expires: { N: '1764000000123' }, content: { S: '{"cookie":{"path":"/"},"n":1}' } };
    expect(fromItem(legacy, defaults)).toEqual({ payload: '{"cookie":{"path":"/"},"n":1}', expiresAt: 1_764_000_000_123 });
  });

  it('tells seconds from milliseconds by magnitude', () => {
    expect(storedExpiryToMs(String(LEGACY_MS_THRESHOLD))).toBe(LEGACY_MS_THRESHOLD * 1000);
    expect(storedExpiryToMs(String(LEGACY_MS_THRESHOLD + 1))).toBe(LEGACY_MS_THRESHOLD + 1);
    expect(storedExpiryToMs('0')).toBe(0);
    expect(storedExpiryToMs('1.5')).toBe(1500);
    expect(storedExpiryToMs('not a number')).toBeNull();
    expect(storedExpiryToMs(undefined)).toBeNull();
  });

  it('is null for a missing item, or one without a readable expiry or payload (e.g. a 1.x stub)', () => {
    expect(fromItem(undefined, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, expires: { N: '10' } }, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, content: { S: 'x' } }, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, expires: { S: '10' }, content: { S: 'x' } }, defaults)).toBeNull();
    expect(fromItem({ id: { S: 'a' }, expires: { N: '10' }, content: { N: '1' } }, defaults)).toBeNull();
  });
});

describe('ids and keys of scanned items', () => {
  it('strips the prefix, and refuses keys without it', () => {
    expect(idFromItem({ pk: { S: 'sess:abc' } }, custom)).toBe('abc');
    expect(idFromItem({ pk: { S: 'other:abc' } }, custom)).toBeNull();
    expect(idFromItem({ id: { S: 'abc' } }, defaults)).toBe('abc');
  });

  it('lists a readable item of ours with its id', () => {
    const item = toItem('abc', { payload: 'x', expiresAt: 9000 }, custom);
    expect(listedFromItem(item, custom)).toEqual({ id: 'abc', payload: 'x', expiresAt: 9000 });
    expect(listedFromItem({ ...item, pk: { S: 'nope' } }, custom)).toBeNull();
  });

  it('keeps only the primary key attributes', () => {
    const item = toItem('abc', { payload: 'x', expiresAt: 9000 }, custom);
    expect(keyOfItem(item, custom)).toEqual({ pk: { S: 'sess:abc' }, sk: { S: 'session' } });
    expect(keyOfItem(toItem('abc', { payload: 'x', expiresAt: 9000 }, defaults), defaults)).toEqual({ id: { S: 'abc' } });
  });
});
