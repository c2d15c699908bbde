// What the backend writes and reads, checked by reading raw items back with a
// separate client: the stored shape, 1.x items (expiry in ms), prefix and sort
// key in a shared table, touches, cleanup (races, many Scan pages), list,
// count and clear.
import { randomBytes, randomUUID } from 'node:crypto';
import { type AttributeValue, BatchWriteItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SessionStore } from '@connect-dynamodb-session/core';
import type { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { toItem } from '../src/item';
import { credentials, dropBackend, endpoint, newBackend, rawClient, readItem } from './helpers';

const client = rawClient();
const backends: DynamoDBBackend[] = [];
afterAll(async () => {
  for (const backend of backends) await dropBackend(backend, client);
  client.destroy();
});

/** A backend on a fresh table, initialised. Give it `awsClient` to watch its requests. */
async function fresh(extra: Parameters<typeof newBackend>[0] = {}): Promise<DynamoDBBackend> {
  const backend = newBackend(extra);
  backends.push(backend);
  await backend.init();
  return backend;
}

/** A client of our own, whose requests are recorded by command name (and may be intercepted). */
function watchedClient(intercept?: (command: object) => Promise<void>) {
  const watched = rawClient();
  const sent: string[] = [];
  const send = watched.send.bind(watched) as (command: object) => Promise<unknown>;
  jest.spyOn(watched, 'send').mockImplementation((async (command: object) => {
    sent.push(command.constructor.name.replace(/Command$/, ''));
    const output = await send(command);
    await intercept?.(command);
    return output;
  }) as never);
  return { watched, sent };
}

const rawPut = (tableName: string, item: Record<string, AttributeValue>) =>
  client.send(new PutItemCommand({ TableName: tableName, Item: item }));

async function rawScan(tableName: string) {
  const items = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items;
}

const now = Date.now();
const later = now + 3_600_000;
const earlier = now - 3_600_000;
const newId = () => randomUUID();

describe('the stored item', () => {
  it('is { id S, expires N (whole epoch seconds, rounded down), content S } and nothing else', async () => {
    const backend = await fresh();
    const id = newId();
    const expiresAt = 1_900_000_000_999;
    await backend.put(id, { payload: '{"cookie":{},"n":1}', expiresAt });
    expect(await readItem(client, backend.options.tableName, { id })).toEqual({
      id: { S: id },
      expires: { N: '1900000000' },
      content: { S: '{"cookie":{},"n":1}' },
    });
    await expect(backend.get(id)).resolves.toEqual({ payload: '{"cookie":{},"n":1}', expiresAt: 1_900_000_000_000 });
  });

  it('holds bytes as B', async () => {
    const backend = await fresh();
    const id = newId();
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    await backend.put(id, { payload: bytes, expiresAt: later });
    const item = await readItem(client, backend.options.tableName, { id });
    expect(Object.keys(item ?? {}).sort()).toEqual(['content', 'expires', 'id']);
    expect(Buffer.from(item?.content?.B ?? []).equals(Buffer.from(bytes))).toBe(true);
  });

  it('uses the configured attribute names, prefix and sort key', async () => {
    const backend = await fresh({
      keyAttribute: 'pk',
      sortKey: { name: 'sk', value: 'session' },
      prefix: 'sess:',
      expiresAttribute: 'ttl',
      contentAttribute: 'data',
    });
    const id = newId();
    await backend.put(id, { payload: 'p', expiresAt: 1_900_000_000_000 });
    expect(await readItem(client, backend.options.tableName, { pk: `sess:${id}`, sk: 'session' })).toEqual({
      pk: { S: `sess:${id}` },
      sk: { S: 'session' },
      ttl: { N: '1900000000' },
      data: { S: 'p' },
    });
    await expect(backend.updateExpiry(id, 1_900_000_100_000, now)).resolves.toBe(true);
    await expect(backend.get(id)).resolves.toEqual({ payload: 'p', expiresAt: 1_900_000_100_000 });
    await backend.delete(id);
    expect(await readItem(client, backend.options.tableName, { pk: `sess:${id}`, sk: 'session' })).toBeUndefined();
  });

  it('a touch after destroy leaves no item behind', async () => {
    const backend = await fresh();
    const store = new SessionStore({ backend, touchAfter: 0, cleanupInterval: 0 });
    const id = newId();
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(later).toISOString() };
    await store.set(id, { cookie });
    await store.destroy(id);
    await expect(store.touch(id, { cookie })).resolves.toBe('missing');
    expect(await readItem(client, backend.options.tableName, { id })).toBeUndefined();
    await store.close();
  });
});

describe('items written by 1.x (expiry in epoch milliseconds, content JSON text)', () => {
  let backend: DynamoDBBackend;
  let table: string;
  const session = { cookie: { originalMaxAge: 3_600_000, expires: new Date(later).toISOString(), httpOnly: true, path: '/' }, user: 'ada' };
  const legacy = (id: string, expiresMs: number) =>
    rawPut(table, { id: { S: id }, expires: { N: String(expiresMs) }, content: { S: JSON.stringify(session) } });

  beforeAll(async () => {
    backend = await fresh();
    table = backend.options.tableName;
  });

  it('are read as they are, and keep their users logged in', async () => {
    const id = newId();
    await legacy(id, later);
    await expect(backend.get(id)).resolves.toEqual({ payload: JSON.stringify(session), expiresAt: later });
    // The store closes its backend when closed: give it an instance of its own on the same table.
    const store = new SessionStore({ backend: newBackend({ tableName: table }), cleanupInterval: 0 });
    await expect(store.get(id)).resolves.toEqual(session);
    const expired = newId();
    await legacy(expired, earlier);
    await expect(store.get(expired)).resolves.toBeNull();
    await store.close();
  });

  it('a touch extends a live one (now in seconds) and leaves an expired one alone', async () => {
    const live = newId();
    const expired = newId();
    await Promise.all([legacy(live, later), legacy(expired, earlier)]);
    await expect(backend.updateExpiry(live, later + 60_000, now)).resolves.toBe(true);
    expect(await readItem(client, table, { id: live })).toEqual({
      id: { S: live },
      expires: { N: String(Math.floor((later + 60_000) / 1000)) },
      content: { S: JSON.stringify(session) },
    });
    await expect(backend.updateExpiry(expired, later, now)).resolves.toBe(false);
    expect((await readItem(client, table, { id: expired }))?.expires).toEqual({ N: String(earlier) });
  });

  it('list and count see live ones; cleanup deletes expired ones only', async () => {
    const own = await fresh();
    table = own.options.tableName;
    const live = [newId(), newId()];
    const expired = [newId(), newId(), newId()];
    await Promise.all([...live.map((id) => legacy(id, later)), ...expired.map((id) => legacy(id, earlier))]);
    // One of ours too (seconds), expired, to mix the units.
    await own.put('seconds-expired', { payload: 'x', expiresAt: earlier });
    await expect(own.count(now)).resolves.toBe(2);
    const listed: string[] = [];
    for await (const record of own.list(now)) listed.push(record.id);
    expect(listed.sort()).toEqual([...live].sort());
    await expect(own.deleteExpired(now)).resolves.toEqual({ scanned: 6, deleted: 4 });
    expect((await rawScan(table)).map((item) => item.id?.S).sort()).toEqual([...live].sort());
  });
});

describe('a table shared with other software (prefix and sort key)', () => {
  it('cleanup, list, count and clear only ever touch this store’s items', async () => {
    const backend = await fresh({ keyAttribute: 'pk', sortKey: { name: 'sk', value: 'session' }, prefix: 'sess:' });
    const table = backend.options.tableName;
    const old = { N: String(Math.floor(earlier / 1000)) };
    const foreign: Array<Record<string, AttributeValue>> = [
      { pk: { S: 'user:1' }, sk: { S: 'session' }, expires: old, content: { S: 'not ours: other prefix' } },
      { pk: { S: 'sess:2' }, sk: { S: 'profile' }, expires: old, content: { S: 'not ours: other sort key' } },
      { pk: { S: 'order:3' }, sk: { S: 'order' }, total: { N: '12' } },
    ];
    await Promise.all(foreign.map((item) => rawPut(table, item)));
    await backend.put('live', { payload: 'ours', expiresAt: later });
    await backend.put('dead', { payload: 'ours', expiresAt: earlier });

    await expect(backend.count(now)).resolves.toBe(1);
    const listed = [];
    for await (const record of backend.list(now)) listed.push(record);
    expect(listed).toEqual([{ id: 'live', payload: 'ours', expiresAt: Math.floor(later / 1000) * 1000 }]);
    await expect(backend.deleteExpired(now)).resolves.toMatchObject({ deleted: 1 });
    await backend.clear();

    const left = await rawScan(table);
    expect(left.map((item) => `${item.pk?.S}/${item.sk?.S}`).sort()).toEqual(['order:3/order', 'sess:2/profile', 'user:1/session']);
  });
});

describe('cleanup (deleteExpired)', () => {
  it('spares an item re-saved between the Scan that found it and its delete', async () => {
    const expired = Array.from({ length: 30 }, newId);
    const refreshed = expired.filter((_, i) => i % 3 === 0);
    let table = '';
    let raced = false;
    // Once the Scan page is in hand, and before any delete, re-save a third of the expired sessions.
    const { watched } = watchedClient(async (command) => {
      if (!raced && command instanceof ScanCommand) {
        raced = true;
        await Promise.all(
          refreshed.map((id) =>
            rawPut(table, { id: { S: id }, expires: { N: String(Math.floor(later / 1000)) }, content: { S: 'fresh' } }),
          ),
        );
      }
    });
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    table = backend.options.tableName;
    await Promise.all(expired.map((id) => backend.put(id, { payload: 'old', expiresAt: earlier })));

    const result = await backend.deleteExpired(now);
    expect(raced).toBe(true);
    expect(result).toEqual({ scanned: 30, deleted: 30 - refreshed.length });
    for (const id of refreshed) await expect(backend.get(id)).resolves.toMatchObject({ payload: 'fresh' });
    expect((await rawScan(table)).map((item) => item.id?.S).sort()).toEqual([...refreshed].sort());
    watched.destroy();
  });

  it('follows every Scan page: > 1 MB of items, all expired ones deleted, all live ones kept', async () => {
    const { watched, sent } = watchedClient();
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    const ids = Array.from({ length: 300 }, newId);
    const isExpired = (i: number) => i % 5 === 0; // 60 expired, 240 live
    const payload = randomBytes(2500).toString('hex'); // 5000 bytes: 300 items are about 1.5 MB
    // Written in batches of 25 (setup speed); the items are exactly what put writes.
    const items = ids.map((id, i) => toItem(id, { payload, expiresAt: isExpired(i) ? earlier : later }, backend.options));
    for (let i = 0; i < items.length; i += 25) {
      const requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      const { UnprocessedItems } = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [backend.options.tableName]: requests } }),
      );
      expect(UnprocessedItems ?? {}).toEqual({});
    }
    sent.length = 0;

    const result = await backend.deleteExpired(now);
    expect(result).toEqual({ scanned: 300, deleted: 60 });
    const scans = sent.filter((name) => name === 'Scan').length;
    // DynamoDB (and dynalite and moto) stop a Scan page after 1 MB read.
    expect(scans).toBeGreaterThan(1);
    expect(sent.filter((name) => name === 'DeleteItem')).toHaveLength(60);
    const left = new Set((await rawScan(backend.options.tableName)).map((item) => item.id?.S));
    expect(left.size).toBe(240);
    ids.forEach((id, i) => {
      expect(left.has(id)).toBe(!isExpired(i));
    });
    watched.destroy();
  });
});

describe('list, count and clear', () => {
  it('count and list see live sessions only; clear deletes > 25 items in batches of 25', async () => {
    const { watched, sent } = watchedClient();
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    const live = Array.from({ length: 52 }, newId);
    const dead = Array.from({ length: 9 }, newId);
    await Promise.all([
      ...live.map((id) => backend.put(id, { payload: `live ${id}`, expiresAt: later })),
      ...dead.map((id) => backend.put(id, { payload: 'dead', expiresAt: earlier })),
    ]);
    await expect(backend.count(now)).resolves.toBe(52);
    const listed = new Map<string, unknown>();
    for await (const record of backend.list(now)) listed.set(record.id, record.payload);
    expect([...listed.keys()].sort()).toEqual([...live].sort());
    expect(listed.get(live[0] as string)).toBe(`live ${live[0]}`);

    sent.length = 0;
    await backend.clear();
    expect(sent.filter((name) => name === 'BatchWriteItem')).toHaveLength(3); // 61 = 25 + 25 + 11
    await expect(backend.count(0)).resolves.toBe(0);
    expect(await rawScan(backend.options.tableName)).toEqual([]);
    watched.destroy();
  });
});

describe('requests', () => {
  it('get, put, updateExpiry and delete make one request each, and never DescribeTable', async () => {
    const { watched, sent } = watchedClient();
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    expect(sent).toEqual(expect.arrayContaining(['DescribeTable']));
    sent.length = 0;
    const id = newId();
    await backend.put(id, { payload: 'x', expiresAt: later });
    await backend.get(id);
    await backend.updateExpiry(id, later + 1000, now);
    await backend.delete(id);
    await backend.get(id);
    expect(sent).toEqual(['PutItem', 'GetItem', 'UpdateItem', 'DeleteItem', 'GetItem']);
    watched.destroy();
  });

  it.each([true, false])('reads with ConsistentRead %s as configured', async (consistentRead) => {
    const watched = rawClient();
    const spy = jest.spyOn(watched, 'send');
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined, consistentRead });
    await backend.get(newId());
    const getInput = spy.mock.calls.map(([command]) => command.input as { ConsistentRead?: boolean }).at(-1);
    expect(getInput?.ConsistentRead).toBe(consistentRead);
    watched.destroy();
  });

  it('builds its own client from region, endpoint and clientConfig', async () => {
    const backend = await fresh({ endpoint: endpoint(), clientConfig: { credentials } });
    await backend.put('a', { payload: 'x', expiresAt: later });
    await expect(backend.get('a')).resolves.toMatchObject({ payload: 'x' });
  });
});
