// Issue 12.9: stores whose prefixes overlap in one table own each other's items.
import { InvalidOptionError } from '@connect-dynamodb-session/core';
import { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { claimKeySpace, keyScopeOf, keySpacesOverlap, tableIdentity } from '../src/shared-tables';

const space = (prefix: string, sortKeyValue?: string) => ({ prefix, sortKeyValue });

describe('keySpacesOverlap', () => {
  it.each([
    ['"" and "shop:"', space(''), space('shop:'), true],
    ['"app:" and "app:admin:"', space('app:'), space('app:admin:'), true],
    ['"shop:" and "admin:"', space('shop:'), space('admin:'), false],
    ['"shop:" twice (the same store, several instances)', space('shop:'), space('shop:'), false],
    ['"" and "shop:" under different sort key values', space('', 'a'), space('shop:', 'b'), false],
    ['"" and "shop:" under the same sort key value', space('', 'a'), space('shop:', 'a'), true],
    ['"app" and "apple:" (a prefix without a delimiter)', space('app'), space('apple:'), true],
  ])('%s: %p', (_name, a, b, expected) => {
    expect(keySpacesOverlap(a, b)).toBe(expected);
    expect(keySpacesOverlap(b, a)).toBe(expected);
  });
});

describe('keyScopeOf', () => {
  it('differs whenever the prefix or the sort key value does, and never reads as another pair', () => {
    const scopes = [space(''), space('a'), space('a', 'b'), space('a,b'), space('', 'a'), space('a"', ',null')].map(keyScopeOf);
    expect(new Set(scopes).size).toBe(scopes.length);
  });
});

describe('claimKeySpace', () => {
  it('refuses an overlapping key space on the same table, until the first is released', () => {
    const first = {};
    const release = claimKeySpace('t1', 'sessions', space(''), first);
    expect(() => claimKeySpace('t1', 'sessions', space('shop:'), {})).toThrow(InvalidOptionError);
    const again = claimKeySpace('t1', 'sessions', space(''), {});
    const elsewhere = claimKeySpace('t2', 'sessions', space('shop:'), {});
    release();
    again();
    const now = claimKeySpace('t1', 'sessions', space('shop:'), {});
    now();
    elsewhere();
  });
});

describe('DynamoDBBackend in one process', () => {
  const base = { tableName: 'shared-sessions', region: 'us-east-1', endpoint: 'http://127.0.0.1:1' };

  it('refuses a second store whose prefix overlaps, naming both prefixes and the way out', async () => {
    const all = new DynamoDBBackend({ ...base, prefix: '' });
    let thrown: unknown;
    try {
      new DynamoDBBackend({ ...base, prefix: 'shop:' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe('prefix');
    expect((thrown as Error).message).toMatch(
      /option "prefix" "shop:" overlaps the prefix "" of another store on table "shared-sessions": the store with prefix "" would count, list, read and clear the items of the one with "shop:"/,
    );
    // Disjoint prefixes, another table, another region: all fine.
    const shop = new DynamoDBBackend({ ...base, prefix: 'shop:', tableName: 'other-table' });
    const admin = new DynamoDBBackend({ ...base, prefix: 'admin:', tableName: 'other-table' });
    const otherRegion = new DynamoDBBackend({ ...base, prefix: 'shop:', region: 'eu-west-1', endpoint: undefined });
    await all.close();
    // Closed: its key space is free again.
    const shopHere = new DynamoDBBackend({ ...base, prefix: 'shop:' });
    await Promise.all([shop.close(), admin.close(), otherRegion.close(), shopHere.close()]);
  });

  it('tells tables apart by endpoint, region and the awsClient given', () => {
    const client = { send: async () => ({}) };
    const other = { send: async () => ({}) };
    const ids = [
      tableIdentity({ tableName: 't', awsClient: undefined, endpoint: 'http://a', region: 'r', clientConfig: {} }),
      tableIdentity({ tableName: 't', awsClient: undefined, endpoint: 'http://b', region: 'r', clientConfig: {} }),
      tableIdentity({ tableName: 't', awsClient: undefined, endpoint: undefined, region: 'r2', clientConfig: {} }),
      tableIdentity({ tableName: 't', awsClient: client as never, endpoint: undefined, region: undefined, clientConfig: {} }),
      tableIdentity({ tableName: 't', awsClient: other as never, endpoint: undefined, region: undefined, clientConfig: {} }),
      tableIdentity({ tableName: 'u', awsClient: client as never, endpoint: undefined, region: undefined, clientConfig: {} }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(tableIdentity({ tableName: 't', awsClient: client as never, endpoint: undefined, region: undefined, clientConfig: {} })).toBe(
      ids[3],
    );
  });
});
