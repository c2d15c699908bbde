import { toItem } from '../src/item';
import { itemSize, MAX_ITEM_BYTES, numberSize, valueSize } from '../src/item-size';
import type { ItemSchema } from '../src/options';

const schema: ItemSchema = {
  keyAttribute: 'id',
  prefix: '',
  expiresAttribute: 'expires',
  contentAttribute: 'content',
  revisionAttribute: 'rev',
  ownerAttribute: 'owner',
  sortKey: undefined,
  expiryUnit: 'seconds',
};

describe('itemSize (DynamoDB item size rules)', () => {
  it('is 400 KB', () => {
    expect(MAX_ITEM_BYTES).toBe(409_600);
  });

  it('counts attribute names and values', () => {
    // "id" 2 + "abc" 3, "expires" 7 + N 1764000000 (1 + 2 pairs) 3, "content" 7 + "hello" 5, "rev" 3 + N 1 (1 + 1 pair) 2
    expect(itemSize(toItem('abc', { payload: 'hello', expiresAt: 1_764_000_000_000 }, 1, schema))).toBe(2 + 3 + 7 + 3 + 7 + 5 + 3 + 2);
  });

  it('counts strings in UTF-8 bytes, not characters', () => {
    expect(valueSize({ S: 'é' })).toBe(2);
    expect(valueSize({ S: '日本' })).toBe(6);
    expect(valueSize({ S: '🎉' })).toBe(4);
    expect(itemSize({ ñ: { S: '' } })).toBe(2);
  });

  it('counts binary in bytes', () => {
    expect(valueSize({ B: new Uint8Array(1000) })).toBe(1000);
  });

  it.each([
    ['0', 1],
    ['5', 2],
    ['15', 2],
    ['100', 2],
    ['123', 3],
    ['1.5', 3],
    ['0.5', 2],
    ['1764000000', 3],
    ['1764000000123', 8],
    ['-15', 3],
    ['1e3', 2],
    ['12345678901234567890123456789012345678', 20],
  ])('a Number %s takes %i bytes', (n, bytes) => {
    expect(numberSize(n)).toBe(bytes);
  });

  it('counts other types by the documented overheads', () => {
    expect(valueSize({ BOOL: true })).toBe(1);
    expect(valueSize({ NULL: true })).toBe(1);
    expect(valueSize({ SS: ['ab', 'c'] })).toBe(3);
    expect(valueSize({ L: [{ S: 'ab' }] })).toBe(3 + 1 + 2);
    expect(valueSize({ M: { k: { S: 'ab' } } })).toBe(3 + 1 + 1 + 2);
  });
});
