import {
  and,
  atRevision,
  attributeMaps,
  exists,
  expiredAt,
  hasContent,
  isSession,
  liveAt,
  noRecord,
  notExists,
  notTombstone,
  ownedBy,
  projection,
} from '../src/expressions';
import type { ItemSchema } from '../src/options';
import { ownedByOwner } from '../src/owner-index';

// Names and a prefix full of expression syntax: none of it may reach an expression's text.
const hostile: ItemSchema = {
  keyAttribute: 'key) OR (1=1',
  prefix: 'p:#x :y)',
  expiresAttribute: 'TTL #exp',
  contentAttribute: 'data, #key',
  revisionAttribute: 'rev = :x',
  ownerAttribute: 'owner) OR #x',
  sortKey: { name: 'sort = :v', value: 'v) OR (' },
  expiryUnit: 'seconds',
};

describe('expressions', () => {
  it('carry names and values only as placeholders', () => {
    const now = 1_764_000_000_500;
    const all = and(
      exists(hostile),
      notExists(hostile),
      noRecord(hostile),
      notTombstone(hostile),
      isSession(hostile),
      atRevision(0, hostile),
      atRevision(5, hostile),
      liveAt(now, hostile),
      expiredAt(now, hostile),
      hasContent(hostile),
      ownedBy(hostile),
      ownedByOwner('ada) OR (1=1', hostile),
    );
    for (const fragment of ['1=1', 'p:', 'TTL', 'data,', 'sort =', 'v)', 'rev =', 'owner)', 'ada'])
      expect(all.text).not.toContain(fragment);
    expect(Object.values(all.names).sort()).toEqual(
      ['TTL #exp', 'data, #key', 'key) OR (1=1', 'rev = :x', 'sort = :v', 'owner) OR #x'].sort(),
    );
    expect(all.values[':owner']).toEqual({ S: 'ada) OR (1=1' });
    expect(all.values[':expectedRevision']).toEqual({ N: '5' });
    expect(all.values[':prefix']).toEqual({ S: 'p:#x :y)' });
    expect(all.values[':sortKeyValue']).toEqual({ S: 'v) OR (' });
    expect(projection(['a b', 'c']).text).toBe('#p0, #p1');
  });

  it('compare the expiry in seconds and, for 1.x items, in milliseconds', () => {
    const live = liveAt(1_764_000_000_500, hostile);
    expect(live.values).toEqual({
      ':nowSeconds': { N: '1764000000' },
      ':legacyMsThreshold': { N: '1000000000000' },
      ':nowMs': { N: '1764000000500' },
    });
    expect(live.text).toBe('((#exp > :nowSeconds AND #exp <= :legacyMsThreshold) OR #exp > :nowMs)');
    expect(expiredAt(1_764_000_000_500, hostile).text).toBe('(#exp <= :nowSeconds OR (#exp > :legacyMsThreshold AND #exp <= :nowMs))');
  });

  it('tell a session at a revision from one stored without a revision, and never match a tombstone', () => {
    expect(atRevision(3, hostile)).toEqual({
      text: '#revision = :expectedRevision',
      names: { '#revision': 'rev = :x' },
      values: { ':expectedRevision': { N: '3' } },
    });
    // Revision 0: a session (it has a payload) that has no revision attribute. A tombstone has no payload.
    expect(atRevision(0, hostile)).toEqual({
      text: 'attribute_exists(#content) AND attribute_not_exists(#revision)',
      names: { '#content': 'data, #key', '#revision': 'rev = :x' },
      values: {},
    });
    expect(notExists(hostile).text).toBe('attribute_not_exists(#key)');
    // create's condition: no item, or one get reads as nothing.
    expect(noRecord(hostile).text).toBe(
      '(attribute_not_exists(#key) OR NOT (attribute_type(#exp, :typeNumber) AND (attribute_not_exists(#content) OR attribute_type(#content, :typeString) OR attribute_type(#content, :typeBinary))))',
    );
    expect(notTombstone(hostile).text).toBe('NOT (attribute_type(#exp, :typeNumber) AND attribute_not_exists(#content))');
    expect(isSession(hostile).text).toBe('attribute_exists(#content)');
  });

  it('own the whole table when there is neither prefix nor sort key', () => {
    expect(ownedBy({ ...hostile, prefix: '', sortKey: undefined })).toBeUndefined();
    expect(ownedBy({ ...hostile, sortKey: undefined })?.text).toBe('begins_with(#key, :prefix)');
  });

  it('refuse a placeholder bound to two values', () => {
    expect(() => and(liveAt(1000, hostile), expiredAt(2000, hostile))).toThrow('bound to two different values');
  });

  it('leave out empty name and value maps (DynamoDB refuses them)', () => {
    expect(attributeMaps(undefined)).toEqual({});
    expect(attributeMaps(exists(hostile))).toEqual({ ExpressionAttributeNames: { '#key': 'key) OR (1=1' } });
  });
});
