// Pure logic of the owner index reads: Query pagination and the BatchGetItem
// retry of UnprocessedKeys (test servers never return them: dynalite and moto
// never throttle), driven by scripted senders.
import type { BatchGetItemCommandInput, BatchGetItemCommandOutput, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { OwnerIndexError, UnprocessedItemsError } from '@connect-dynamodb-session/dynamodb';
import { resolveOptions } from '../src/options';
import { BATCH_GET_LIMIT, batchGetOwned, ownedSessionOf, ownerIndexErrorOf, queryOwnerKeys } from '../src/owner-index';

const o = resolveOptions({ tableName: 'sessions', region: 'eu-west-1', prefix: 'p:' });
const key = (id: string) => ({ id: { S: `p:${id}` } });

describe('queryOwnerKeys', () => {
  it('follows LastEvaluatedKey through every page, on the index, keys only, for this prefix', async () => {
    const inputs: QueryCommandInput[] = [];
    const pages: QueryCommandOutput[] = [
      { $metadata: {}, Items: [key('a'), key('b')], LastEvaluatedKey: key('b') },
      { $metadata: {}, Items: [], LastEvaluatedKey: key('c') }, // a page may hold no match and still not be the last
      { $metadata: {}, Items: [key('d')], LastEvaluatedKey: {} },
    ];
    const send = async (input: QueryCommandInput) => {
      inputs.push(input);
      return pages[inputs.length - 1] as QueryCommandOutput;
    };
    const got = [];
    for await (const page of queryOwnerKeys(send, 'alice', o)) got.push(page);
    expect(got).toEqual([[key('a'), key('b')], [], [key('d')]]);
    expect(inputs.map((i) => i.ExclusiveStartKey)).toEqual([undefined, key('b'), key('c')]);
    expect(inputs[0]).toMatchObject({
      TableName: 'sessions',
      IndexName: 'owner-index',
      KeyConditionExpression: '#owner = :owner',
      FilterExpression: 'begins_with(#key, :prefix)',
      ExpressionAttributeValues: { ':owner': { S: 'alice' }, ':prefix': { S: 'p:' } },
    });
    expect(inputs[0]?.ConsistentRead).toBeUndefined(); // a GSI cannot be read strongly
  });

  it('turns "no such index" into OwnerIndexError, and leaves other errors alone', async () => {
    const validation = Object.assign(new Error('The table does not have the specified index: owner-index'), {
      name: 'ValidationException',
    });
    const backfilling = Object.assign(new Error('Cannot read from backfilling global secondary index: owner-index'), {
      name: 'ValidationException',
    });
    const moto = Object.assign(new Error('Invalid index: owner-index for table: sessions.'), { name: 'ResourceNotFoundException' });
    const noTable = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    expect(ownerIndexErrorOf(validation, o)).toMatchObject({ reason: 'missing', cause: validation });
    expect(ownerIndexErrorOf(backfilling, o)).toMatchObject({ reason: 'not-active' });
    expect(ownerIndexErrorOf(moto, o)).toBeInstanceOf(OwnerIndexError);
    expect(ownerIndexErrorOf(noTable, o)).toBeUndefined();
    const send = async (): Promise<QueryCommandOutput> => {
      throw validation;
    };
    await expect(queryOwnerKeys(send, 'alice', o).next()).rejects.toBeInstanceOf(OwnerIndexError);
  });
});

describe('batchGetOwned', () => {
  /** A sender that leaves the last `unprocessed[n]` keys of call n unprocessed and returns the others as items. */
  function scripted(unprocessed: number[]) {
    const calls: BatchGetItemCommandInput[] = [];
    const send = async (input: BatchGetItemCommandInput): Promise<BatchGetItemCommandOutput> => {
      calls.push(input);
      const keys = input.RequestItems?.sessions?.Keys ?? [];
      const left = unprocessed[calls.length - 1] ?? 0;
      const done = keys.slice(0, keys.length - left);
      return {
        $metadata: {},
        Responses: { sessions: done },
        UnprocessedKeys: left > 0 ? { sessions: { Keys: keys.slice(keys.length - left) } } : {},
      };
    };
    return { send, calls };
  }
  const quick = { random: () => 1, sleep: async () => {} };

  it('asks again for unprocessed keys, then has them all, projecting key, expiry and owner', async () => {
    const { send, calls } = scripted([2, 1]);
    const keys = ['a', 'b', 'c'].map(key);
    expect(await batchGetOwned(send, keys, o, quick)).toEqual(keys);
    expect(calls.map((c) => c.RequestItems?.sessions?.Keys?.length)).toEqual([3, 2, 1]);
    expect(calls[0]?.RequestItems?.sessions).toMatchObject({
      ProjectionExpression: '#p0, #p1, #p2',
      ExpressionAttributeNames: { '#p0': 'id', '#p1': 'expires', '#p2': 'owner' },
      ConsistentRead: true,
    });
  });

  it('gives up with UnprocessedItemsError after maxAttempts', async () => {
    const { send } = scripted([1, 1, 1]);
    await expect(batchGetOwned(send, [key('a')], o, { ...quick, maxAttempts: 3 })).rejects.toMatchObject({
      constructor: UnprocessedItemsError,
      command: 'BatchGetItem',
      unprocessed: 1,
    });
  });

  it('refuses more than 100 keys, and sends nothing for none', async () => {
    const { send, calls } = scripted([]);
    await expect(
      batchGetOwned(
        send,
        Array.from({ length: BATCH_GET_LIMIT + 1 }, (_, i) => key(`k${i}`)),
        o,
      ),
    ).rejects.toThrow(RangeError);
    expect(await batchGetOwned(send, [], o)).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});

describe('ownedSessionOf', () => {
  const now = 1_000_000_000_000;
  const item = (owner: string | undefined, expiresSeconds: number) => ({
    ...key('s'),
    expires: { N: String(expiresSeconds) },
    ...(owner === undefined ? {} : { owner: { S: owner } }),
  });
  it('keeps a live session of the owner, and nothing else', () => {
    expect(ownedSessionOf(item('alice', now / 1000 + 60), 'alice', now, o)).toEqual({ id: 's', expiresAt: now + 60_000 });
    expect(ownedSessionOf(item('alice', now / 1000), 'alice', now, o)).toBeNull(); // expiry at now: expired
    expect(ownedSessionOf(item('bob', now / 1000 + 60), 'alice', now, o)).toBeNull();
    expect(ownedSessionOf(item(undefined, now / 1000 + 60), 'alice', now, o)).toBeNull(); // a tombstone
    expect(ownedSessionOf({ id: { S: 'other:s' }, owner: { S: 'alice' }, expires: { N: '9999999999' } }, 'alice', now, o)).toBeNull();
  });
});
