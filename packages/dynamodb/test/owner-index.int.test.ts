// The owner index on the server at DYNAMODB_ENDPOINT: autoCreate makes it,
// listByOwner queries it (and checks the table), destroyIfOwnedBy is
// conditional on the stored owner, a table without it fails with OwnerIndexError.
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import type { OwnedSession } from '@connect-dynamodb-session/core';
import { type DynamoDBBackend, OwnerIndexError } from '@connect-dynamodb-session/dynamodb';
import { ownerIndexDefinition } from '../src/table';
import { newBackend, onMoto, rawClient, readItem } from './helpers';

const client = rawClient();
const backends: DynamoDBBackend[] = [];
afterAll(async () => {
  for (const backend of backends) {
    await client.send(new DeleteTableCommand({ TableName: backend.options.tableName })).catch(() => undefined);
    await backend.close();
  }
  client.destroy();
});

function tracked(extra: Parameters<typeof newBackend>[0] = {}) {
  const errs: Array<[string, unknown]> = [];
  const backend = newBackend({ err: (m, e) => errs.push([m, e]), ...extra });
  backends.push(backend);
  return { backend, errs };
}

const now = Date.now();
const later = now + 3_600_000;
const seconds = (ms: number) => String(Math.floor(ms / 1000));

/** Writes a session item behind the backend's back, with an owner attribute when given. */
async function putSession(backend: DynamoDBBackend, id: string, owner: string | undefined, expiresAt = later): Promise<void> {
  const o = backend.options;
  await client.send(
    new PutItemCommand({
      TableName: o.tableName,
      Item: {
        [o.keyAttribute]: { S: o.prefix + id },
        ...(o.sortKey ? { [o.sortKey.name]: { S: o.sortKey.value } } : {}),
        [o.expiresAttribute]: { N: seconds(expiresAt) },
        [o.contentAttribute]: { S: '{}' },
        rev: { N: '1' },
        ...(owner === undefined ? {} : { [o.ownerAttribute]: { S: owner } }),
      },
    }),
  );
}

async function collect(iterable: AsyncIterable<OwnedSession>): Promise<OwnedSession[]> {
  const out: OwnedSession[] = [];
  for await (const s of iterable) out.push(s);
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

describe('autoCreate with owners', () => {
  it('creates the table with a sparse KEYS_ONLY index on the owner attribute', async () => {
    const { backend } = tracked({ ownerAttribute: 'uid', ownerIndexName: 'by-uid' });
    await backend.init({ owners: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: backend.options.tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'by-uid');
    expect(index?.KeySchema).toEqual([{ AttributeName: 'uid', KeyType: 'HASH' }]);
    expect(index?.Projection?.ProjectionType).toBe('KEYS_ONLY');
    expect(Table?.AttributeDefinitions).toContainEqual({ AttributeName: 'uid', AttributeType: 'S' });
  });

  it('gives the index of a PROVISIONED table the table capacity', async () => {
    const { backend } = tracked({ billingMode: 'PROVISIONED', readCapacity: 3, writeCapacity: 2 });
    expect(ownerIndexDefinition(backend.options).ProvisionedThroughput).toEqual({ ReadCapacityUnits: 3, WriteCapacityUnits: 2 });
    await backend.init({ owners: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: backend.options.tableName }));
    const index = Table?.GlobalSecondaryIndexes?.[0];
    expect(index?.IndexName).toBe('owner-index');
    expect(index?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 3, WriteCapacityUnits: 2 });
  });

  it('creates no index for a store without owners', async () => {
    const { backend } = tracked();
    await backend.init();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: backend.options.tableName }));
    expect(Table?.GlobalSecondaryIndexes ?? []).toEqual([]);
  });
});

describe('listByOwner', () => {
  it("yields the owner's live sessions, checked against the table, and no one else's", async () => {
    const { backend } = tracked();
    await backend.init({ owners: true });
    await putSession(backend, 'a1', 'alice');
    await putSession(backend, 'a2', 'alice', later + 1000);
    await putSession(backend, 'a-expired', 'alice', now - 5000);
    await putSession(backend, 'b1', 'bob');
    await putSession(backend, 'anon', undefined);
    expect(await collect(backend.listByOwner('alice', now))).toEqual([
      { id: 'a1', expiresAt: Math.floor(later / 1000) * 1000 },
      { id: 'a2', expiresAt: Math.floor((later + 1000) / 1000) * 1000 },
    ]);
    // now = 0: expired ones too (the core ends those as well, so that no request in flight revives them).
    expect((await collect(backend.listByOwner('alice', 0))).map((s) => s.id)).toEqual(['a-expired', 'a1', 'a2']);
    expect((await collect(backend.listByOwner('bob', now))).map((s) => s.id)).toEqual(['b1']);
    expect(await collect(backend.listByOwner('carol', now))).toEqual([]);
  });

  it('skips what a tombstone or a new owner replaced', async () => {
    const { backend } = tracked();
    await backend.init({ owners: true });
    await putSession(backend, 's1', 'alice');
    await putSession(backend, 's2', 'alice');
    await putSession(backend, 's2', 'bob'); // switched user in that browser
    await backend.destroyIfOwnedBy('s1', 'alice', later);
    expect(await collect(backend.listByOwner('alice', now))).toEqual([]);
    expect((await collect(backend.listByOwner('bob', now))).map((s) => s.id)).toEqual(['s2']);
  });

  it('respects the prefix and the sort key of a shared table', async () => {
    const shared = tracked({ prefix: 'app1:', sortKey: { name: 'sk', value: 'session' } });
    await shared.backend.init({ owners: true });
    await putSession(shared.backend, 'x', 'alice');
    // Another store's item in the same table and index: another sort key value.
    await client.send(
      new PutItemCommand({
        TableName: shared.backend.options.tableName,
        Item: { id: { S: 'app1:y' }, sk: { S: 'other' }, expires: { N: seconds(later) }, content: { S: '{}' }, owner: { S: 'alice' } },
      }),
    );
    expect((await collect(shared.backend.listByOwner('alice', now))).map((s) => s.id)).toEqual(['x']);
  });

  it('reads more keys than one BatchGetItem takes (100)', async () => {
    const { backend } = tracked();
    await backend.init({ owners: true });
    const ids = Array.from({ length: 130 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    for (const id of ids) await putSession(backend, id, 'alice');
    expect((await collect(backend.listByOwner('alice', now))).map((s) => s.id)).toEqual(ids);
  });
});

describe('a lagging index (what DynamoDB may return for a moment after a write)', () => {
  it('neither lists nor ends a session the index still files under the owner but the table gives to another', async () => {
    // A client whose Query answers also carry `stale` keys, as an index that has not caught up would.
    const stale: Array<Record<string, { S: string }>> = [];
    const lagging = rawClient();
    lagging.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'QueryCommand') {
          const output = out.output as { Items?: unknown[] };
          output.Items = [...(output.Items ?? []), ...stale];
        }
        return out;
      },
      { step: 'initialize', name: 'laggingIndex' },
    );
    const { backend } = tracked({ awsClient: lagging, region: undefined, endpoint: undefined, clientConfig: undefined });
    await backend.init({ owners: true });
    await putSession(backend, 'mine', 'alice');
    await putSession(backend, 'switched', 'bob'); // was alice's a moment ago
    await putSession(backend, 'ended', undefined);
    stale.push({ id: { S: 'switched' } }, { id: { S: 'ended' } }, { id: { S: 'gone' } });
    expect((await collect(backend.listByOwner('alice', now))).map((s) => s.id)).toEqual(['mine']);
    await expect(backend.destroyIfOwnedBy('switched', 'alice', later)).resolves.toBe(false);
    expect(await readItem(client, backend.options.tableName, { id: 'switched' })).toMatchObject({ owner: { S: 'bob' } });
    await backend.close();
    lagging.destroy();
  });
});

describe('destroyIfOwnedBy', () => {
  it("writes a tombstone only over a session whose stored owner is the owner's", async () => {
    const { backend } = tracked();
    await backend.init({ owners: true });
    const table = backend.options.tableName;
    await putSession(backend, 'mine', 'alice');
    await putSession(backend, 'theirs', 'bob');
    await putSession(backend, 'anon', undefined);
    expect(await backend.destroyIfOwnedBy('mine', 'alice', later)).toBe(true);
    expect(await readItem(client, table, { id: 'mine' })).toEqual({ id: { S: 'mine' }, expires: { N: seconds(later) } });
    expect(await backend.destroyIfOwnedBy('mine', 'alice', later)).toBe(false); // a tombstone has no owner
    expect(await backend.destroyIfOwnedBy('theirs', 'alice', later)).toBe(false);
    expect(await backend.destroyIfOwnedBy('anon', 'alice', later)).toBe(false);
    expect(await backend.destroyIfOwnedBy('nothing', 'alice', later)).toBe(false);
    expect(await readItem(client, table, { id: 'theirs' })).toMatchObject({ owner: { S: 'bob' }, content: { S: '{}' } });
    expect(await readItem(client, table, { id: 'nothing' })).toBeUndefined();
  });
});

describe('a table without the owner index', () => {
  async function tableWithoutIndex() {
    const tracked_ = tracked({ autoCreate: false });
    await client.send(
      new CreateTableCommand({
        TableName: tracked_.backend.options.tableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return tracked_;
  }

  it('is reported by the table checks, and listByOwner fails with OwnerIndexError naming the index and the README section', async () => {
    const { backend, errs } = await tableWithoutIndex();
    await backend.init({ owners: true });
    await backend.checkTable(); // the checks run in the background without autoCreate; saves do not wait for them
    expect(errs).toHaveLength(1);
    expect(errs[0]?.[1]).toBeInstanceOf(OwnerIndexError);
    let error: unknown;
    try {
      await collect(backend.listByOwner('alice', now));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OwnerIndexError);
    expect(error).toMatchObject({ indexName: 'owner-index', reason: 'missing', command: 'Query', code: 'ERR_BACKEND' });
    expect((error as Error).message).toMatch(/no global secondary index "owner-index"/);
    expect((error as Error).message).toMatch(/#log-out-everywhere/);
    expect((error as Error).cause).toMatchObject({ name: onMoto ? 'ResourceNotFoundException' : 'ValidationException' });
  });

  it('is not reported for a store without owners', async () => {
    const { backend, errs } = await tableWithoutIndex();
    await backend.init();
    await backend.checkTable();
    expect(errs).toEqual([]);
  });

  it('works once the index is added with UpdateTable (as the README shows)', async () => {
    if (!onMoto) return; // dynalite cannot add an index to an existing table
    const { backend } = await tableWithoutIndex();
    await client.send(
      new UpdateTableCommand({
        TableName: backend.options.tableName,
        AttributeDefinitions: [{ AttributeName: 'owner', AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: 'owner-index',
              KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          },
        ],
      }),
    );
    await putSession(backend, 's', 'alice');
    expect((await collect(backend.listByOwner('alice', now))).map((s) => s.id)).toEqual(['s']);
  });

  it('an index of that name on another attribute: reported, sessions unaffected, listByOwner fails with OwnerIndexError', async () => {
    const { backend, errs } = tracked({ autoCreate: false });
    await client.send(
      new CreateTableCommand({
        TableName: backend.options.tableName,
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'user', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'owner-index',
            KeySchema: [{ AttributeName: 'user', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await backend.init({ owners: true });
    await backend.checkTable();
    expect(errs.map(([m]) => m)).toEqual([expect.stringMatching(/index "owner-index" .* partition key is "user", not "owner" alone/)]);
    await expect(backend.create('s', { payload: '{}', expiresAt: later, owner: 'ada' })).resolves.toBe(true);
    await expect(collect(backend.listByOwner('ada', now))).rejects.toMatchObject({ constructor: OwnerIndexError, reason: 'wrong-key' });
  });
});
