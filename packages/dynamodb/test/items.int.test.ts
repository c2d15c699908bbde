// What the backend writes and reads, checked by reading raw items back with a
// separate client: the stored shape, every condition of the write protocol
// (create, replace, destroy's tombstone, updateExpiry), 1.x and connect-dynamodb
// items (no revision), prefix and sort key in a shared table, cleanup (races,
// many Scan pages, tombstones), list, count, clear, and the expiry unit of an
// upgrade from 1.x.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DescribeTimeToLiveCommand,
  type DescribeTimeToLiveCommandOutput,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
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

const seconds = (ms: number) => ({ N: String(Math.floor(ms / 1000)) });
const w = (payload: string, expiresAt = later) => ({ payload, expiresAt });
const raw = (backend: DynamoDBBackend, id: string) => readItem(client, backend.options.tableName, { id });

describe('the stored item', () => {
  it('is { id S, expires N (whole epoch seconds, rounded down), content S, rev N, owner S when it has one } and nothing else', async () => {
    const backend = await fresh();
    const id = newId();
    await expect(backend.create(id, { payload: '{"cookie":{},"n":1}', expiresAt: 1_900_000_000_999, owner: 'ada' })).resolves.toBe(true);
    expect(await raw(backend, id)).toEqual({
      id: { S: id },
      expires: { N: '1900000000' },
      content: { S: '{"cookie":{},"n":1}' },
      rev: { N: '1' },
      owner: { S: 'ada' },
    });
    await expect(backend.get(id)).resolves.toEqual({ payload: '{"cookie":{},"n":1}', expiresAt: 1_900_000_000_000, revision: 1 });
  });

  it('holds bytes as B', async () => {
    const backend = await fresh();
    const id = newId();
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    await backend.create(id, { payload: bytes, expiresAt: later });
    const item = await raw(backend, id);
    expect(Object.keys(item ?? {}).sort()).toEqual(['content', 'expires', 'id', 'rev']);
    expect(Buffer.from(item?.content?.B ?? []).equals(Buffer.from(bytes))).toBe(true);
  });

  it('uses the configured attribute names, prefix and sort key', async () => {
    const backend = await fresh({
      keyAttribute: 'pk',
      sortKey: { name: 'sk', value: 'session' },
      prefix: 'sess:',
      expiresAttribute: 'ttl',
      contentAttribute: 'data',
      revisionAttribute: 'version',
    });
    const id = newId();
    const key = { pk: `sess:${id}`, sk: 'session' };
    await backend.create(id, w('p', 1_900_000_000_000));
    await expect(backend.replace(id, w('q', 1_900_000_000_000), 1)).resolves.toBe(true);
    expect(await readItem(client, backend.options.tableName, key)).toEqual({
      pk: { S: `sess:${id}` },
      sk: { S: 'session' },
      ttl: { N: '1900000000' },
      data: { S: 'q' },
      version: { N: '2' },
    });
    await expect(backend.updateExpiry(id, 1_900_000_100_000, now)).resolves.toBe(true);
    await expect(backend.get(id)).resolves.toEqual({ payload: 'q', expiresAt: 1_900_000_100_000, revision: 2 });
    await backend.destroy(id, 1_900_000_200_000);
    expect(await readItem(client, backend.options.tableName, key)).toEqual({
      pk: { S: `sess:${id}` },
      sk: { S: 'session' },
      ttl: { N: '1900000200' },
    });
    await expect(backend.get(id)).resolves.toEqual({ tombstone: true, expiresAt: 1_900_000_200_000 });
  });
});

describe('create: only where nothing at all is stored', () => {
  let backend: DynamoDBBackend;
  beforeAll(async () => {
    backend = await fresh();
  });

  it.each<[string, (id: string) => Promise<unknown>]>([
    ['a live session', (id) => backend.create(id, w('old'))],
    ['an expired session', (id) => backend.create(id, w('old', earlier))],
    ['a live tombstone', (id) => backend.destroy(id, later)],
    ['an expired tombstone', (id) => backend.destroy(id, earlier)],
    ['a 1.x item', (id) => rawPut(backend.options.tableName, { id: { S: id }, expires: { N: String(later) }, content: { S: '{}' } })],
  ])('refused over %s, which is left as it was', async (_name, setUp) => {
    const id = newId();
    await setUp(id);
    const before = await raw(backend, id);
    await expect(backend.create(id, w('new'))).resolves.toBe(false);
    expect(await raw(backend, id)).toEqual(before);
  });

  it.each<[string, Record<string, AttributeValue>]>([
    ['no expiry', { other: { S: 'x' } }],
    ['an expiry of type S', { expires: { S: '9999999999' }, content: { S: '{}' } }],
    ['a payload of type N', { expires: seconds(later), content: { N: '42' } }],
    ['a payload of type M', { expires: seconds(later), content: { M: { a: { S: 'x' } } } }],
  ])('writes over an item get reads as nothing (%s): get and create agree', async (_name, rest) => {
    const id = newId();
    await rawPut(backend.options.tableName, { id: { S: id }, ...rest });
    await expect(backend.get(id)).resolves.toBeNull();
    await expect(backend.create(id, w('new'))).resolves.toBe(true);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later), content: { S: 'new' }, rev: { N: '1' } });
  });

  it('one winner when many race on one id', async () => {
    const id = newId();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => backend.create(id, w(`racer ${i}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    await expect(backend.get(id)).resolves.toEqual({ payload: `racer ${winner}`, expiresAt: Math.floor(later / 1000) * 1000, revision: 1 });
  });
});

describe('replace: only a session at the revision read', () => {
  let backend: DynamoDBBackend;
  beforeAll(async () => {
    backend = await fresh();
  });

  it('raises the revision by one on each save, and replaces the whole item', async () => {
    const id = newId();
    await backend.create(id, w('r1'));
    await expect(backend.replace(id, w('r2', later + 5000), 1)).resolves.toBe(true);
    await expect(backend.replace(id, w('r3', later + 9000), 2)).resolves.toBe(true);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later + 9000), content: { S: 'r3' }, rev: { N: '3' } });
  });

  it.each([0, 1, 3, 7])('refused at a stale or future revision (%i over 2), item unchanged', async (expected) => {
    const id = newId();
    await backend.create(id, w('r1'));
    await backend.replace(id, w('r2'), 1);
    const before = await raw(backend, id);
    await expect(backend.replace(id, w('stale'), expected)).resolves.toBe(false);
    expect(await raw(backend, id)).toEqual(before);
  });

  it('one winner when many race on one revision', async () => {
    const id = newId();
    await backend.create(id, w('r1'));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => backend.replace(id, w(`racer ${i}`), 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(backend.get(id)).resolves.toMatchObject({ payload: `racer ${results.indexOf(true)}`, revision: 2 });
  });

  it.each([0, 1])('never writes over a tombstone (expected %i), live or expired', async (expected) => {
    for (const tombstoneExpiry of [later, earlier]) {
      const id = newId();
      await backend.create(id, w('r1'));
      await backend.destroy(id, tombstoneExpiry);
      await expect(backend.replace(id, w('after logout'), expected)).resolves.toBe(false);
      expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(tombstoneExpiry) });
    }
  });

  it.each([0, 1])('never creates (expected %i)', async (expected) => {
    const id = newId();
    await expect(backend.replace(id, w('x'), expected)).resolves.toBe(false);
    expect(await raw(backend, id)).toBeUndefined();
  });

  it('replaces an expired session at its revision (the core decides about expiry, not the condition)', async () => {
    const id = newId();
    await backend.create(id, w('r1', earlier));
    await expect(backend.replace(id, w('r2'), 1)).resolves.toBe(true);
    await expect(backend.get(id)).resolves.toMatchObject({ payload: 'r2', revision: 2 });
  });

  it('refuses a revision that is not a non-negative integer, sending nothing', async () => {
    for (const bad of [-1, 1.5, Number.NaN]) await expect(backend.replace(newId(), w('x'), bad)).rejects.toThrow(RangeError);
  });
});

describe('items written without a revision (1.x, 2.0, connect-dynamodb)', () => {
  let backend: DynamoDBBackend;
  let table: string;
  const session = { cookie: { originalMaxAge: 3_600_000, expires: new Date(later).toISOString(), httpOnly: true, path: '/' }, user: 'ada' };
  const legacy = (id: string, expiresMs: number) =>
    rawPut(table, { id: { S: id }, expires: { N: String(expiresMs) }, content: { S: JSON.stringify(session) } });

  beforeAll(async () => {
    backend = await fresh();
    table = backend.options.tableName;
  });

  it('are read as revision 0 (1.x: expiry in milliseconds; 2.0: in seconds)', async () => {
    const v1 = newId();
    const v20 = newId();
    await legacy(v1, later);
    await legacy(v20, Math.floor(later / 1000));
    await expect(backend.get(v1)).resolves.toEqual({ payload: JSON.stringify(session), expiresAt: later, revision: 0 });
    await expect(backend.get(v20)).resolves.toEqual({
      payload: JSON.stringify(session),
      expiresAt: Math.floor(later / 1000) * 1000,
      revision: 0,
    });
  });

  it('gain revision 1 (and an expiry in seconds) on their next save, which expects revision 0', async () => {
    const id = newId();
    await legacy(id, later);
    await expect(backend.replace(id, w('saved by 2.x', later + 60_000), 1)).resolves.toBe(false);
    await expect(backend.replace(id, w('saved by 2.x', later + 60_000), 0)).resolves.toBe(true);
    expect(await raw(backend, id)).toEqual({
      id: { S: id },
      expires: seconds(later + 60_000),
      content: { S: 'saved by 2.x' },
      rev: { N: '1' },
    });
    // Revision 0 now means "no revision attribute": it no longer matches.
    await expect(backend.replace(id, w('stale'), 0)).resolves.toBe(false);
  });

  it('a 1.x save over a 2.x item drops its revision: the 2.x save that read the old revision fails, and one on 0 succeeds', async () => {
    const id = newId();
    await backend.create(id, w('2.x'));
    await legacy(id, later); // 1.x writes the whole item unconditionally
    await expect(backend.replace(id, w('2.x again'), 1)).resolves.toBe(false);
    await expect(backend.get(id)).resolves.toMatchObject({ revision: 0 });
    await expect(backend.replace(id, w('2.x again'), 0)).resolves.toBe(true);
  });

  it('a connect-dynamodb item (prefix, "sess" attribute, extra "type") is read as revision 0, and its save drops "type"', async () => {
    const theirs = await fresh({ prefix: 'sess:', contentAttribute: 'sess' });
    const id = newId();
    await rawPut(theirs.options.tableName, {
      id: { S: `sess:${id}` },
      expires: seconds(later),
      type: { S: 'connect-session' },
      sess: { S: '{"n":1}' },
    });
    await expect(theirs.get(id)).resolves.toMatchObject({ payload: '{"n":1}', revision: 0 });
    await expect(theirs.replace(id, w('{"n":2}'), 0)).resolves.toBe(true);
    expect(await readItem(client, theirs.options.tableName, { id: `sess:${id}` })).toEqual({
      id: { S: `sess:${id}` },
      expires: seconds(later),
      sess: { S: '{"n":2}' },
      rev: { N: '1' },
    });
  });

  it('a touch extends a live one (now in seconds) and leaves an expired one alone', async () => {
    const live = newId();
    const expired = newId();
    await Promise.all([legacy(live, later), legacy(expired, earlier)]);
    await expect(backend.updateExpiry(live, later + 60_000, now)).resolves.toBe(true);
    expect(await raw(backend, live)).toEqual({
      id: { S: live },
      expires: seconds(later + 60_000),
      content: { S: JSON.stringify(session) },
    });
    await expect(backend.updateExpiry(expired, later, now)).resolves.toBe(false);
    expect((await raw(backend, expired))?.expires).toEqual({ N: String(earlier) });
  });

  it('list and count see live ones; cleanup deletes expired ones only', async () => {
    const own = await fresh();
    table = own.options.tableName;
    const live = [newId(), newId()];
    const expired = [newId(), newId(), newId()];
    await Promise.all([...live.map((id) => legacy(id, later)), ...expired.map((id) => legacy(id, earlier))]);
    // One of ours too (seconds), expired, to mix the units.
    await own.create('seconds-expired', w('x', earlier));
    await expect(own.count(now)).resolves.toBe(2);
    const listed: Array<[string, number]> = [];
    for await (const record of own.list(now)) listed.push([record.id, record.revision]);
    expect(listed.sort()).toEqual(live.map((id) => [id, 0]).sort());
    await expect(own.deleteExpired(now)).resolves.toEqual({ scanned: 6, deleted: 4 });
    expect((await rawScan(table)).map((item) => item.id?.S).sort()).toEqual([...live].sort());
  });
});

describe('destroy: a tombstone, whatever was stored', () => {
  let backend: DynamoDBBackend;
  beforeAll(async () => {
    backend = await fresh();
  });

  it('replaces a session with { id, expires }: payload, revision and any other attribute (an indexed owner) leave the item', async () => {
    const id = newId();
    await rawPut(backend.options.tableName, {
      id: { S: id },
      expires: seconds(later),
      content: { S: 'x' },
      rev: { N: '4' },
      owner: { S: 'ada' },
    });
    await backend.destroy(id, later + 86_400_000);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later + 86_400_000) });
    await expect(backend.get(id)).resolves.toEqual({ tombstone: true, expiresAt: Math.floor((later + 86_400_000) / 1000) * 1000 });
  });

  it('leaves a tombstone where nothing was stored, and renews one that was', async () => {
    const id = newId();
    await backend.destroy(id, later);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later) });
    await backend.destroy(id, later + 5000);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later + 5000) });
  });

  it('after it, no write of any kind succeeds, from this backend or a fresh one on the same table', async () => {
    const id = newId();
    await backend.create(id, w('r1'));
    await backend.destroy(id, later);
    const freshInstance = newBackend({ tableName: backend.options.tableName });
    backends.push(freshInstance);
    for (const b of [backend, freshInstance]) {
      await expect(b.create(id, w('again'))).resolves.toBe(false);
      for (const r of [0, 1, 2]) await expect(b.replace(id, w('again'), r)).resolves.toBe(false);
      await expect(b.updateExpiry(id, later + 60_000, now)).resolves.toBe(false);
    }
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later) });
  });
});

describe('updateExpiry: a live session only', () => {
  let backend: DynamoDBBackend;
  beforeAll(async () => {
    backend = await fresh();
  });

  it('sets the expiry and leaves payload and revision alone', async () => {
    const id = newId();
    await backend.create(id, w('r1'));
    await backend.replace(id, w('r2'), 1);
    await expect(backend.updateExpiry(id, later + 60_000, now)).resolves.toBe(true);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later + 60_000), content: { S: 'r2' }, rev: { N: '2' } });
  });

  it('never matches a tombstone, even a live one', async () => {
    const id = newId();
    await backend.destroy(id, later);
    await expect(backend.updateExpiry(id, later + 60_000, now)).resolves.toBe(false);
    expect(await raw(backend, id)).toEqual({ id: { S: id }, expires: seconds(later) });
  });

  it('never revives an expired session, never creates', async () => {
    const expired = newId();
    await backend.create(expired, w('old', earlier));
    await expect(backend.updateExpiry(expired, later, now)).resolves.toBe(false);
    expect((await raw(backend, expired))?.expires).toEqual(seconds(earlier));
    const missing = newId();
    await expect(backend.updateExpiry(missing, later, now)).resolves.toBe(false);
    expect(await raw(backend, missing)).toBeUndefined();
  });
});

describe('a table shared with other software (prefix and sort key)', () => {
  it('cleanup, list, count and clear only ever touch this store’s items', async () => {
    const backend = await fresh({ keyAttribute: 'pk', sortKey: { name: 'sk', value: 'session' }, prefix: 'sess:' });
    const table = backend.options.tableName;
    const old = seconds(earlier);
    const foreign: Array<Record<string, AttributeValue>> = [
      { pk: { S: 'user:1' }, sk: { S: 'session' }, expires: old, content: { S: 'not ours: other prefix' } },
      { pk: { S: 'sess:2' }, sk: { S: 'profile' }, expires: old, content: { S: 'not ours: other sort key' } },
      { pk: { S: 'user:3' }, sk: { S: 'session' }, expires: seconds(later), content: { S: 'not ours, live' } },
      { pk: { S: 'order:3' }, sk: { S: 'order' }, total: { N: '12' } },
    ];
    await Promise.all(foreign.map((item) => rawPut(table, item)));
    await backend.create('live', w('ours'));
    await backend.create('dead', w('ours', earlier));

    await expect(backend.count(now)).resolves.toBe(1);
    const listed = [];
    for await (const record of backend.list(now)) listed.push(record);
    expect(listed).toEqual([{ id: 'live', payload: 'ours', expiresAt: Math.floor(later / 1000) * 1000, revision: 1 }]);
    await expect(backend.deleteExpired(now)).resolves.toMatchObject({ deleted: 1 });
    await backend.clear(later + 86_400_000);

    const left = await rawScan(table);
    expect(left.map((item) => `${item.pk?.S}/${item.sk?.S}`).sort()).toEqual([
      'order:3/order',
      'sess:2/profile',
      'sess:live/session',
      'user:1/session',
      'user:3/session',
    ]);
    expect(left.find((item) => item.pk?.S === 'sess:live')).toEqual({
      pk: { S: 'sess:live' },
      sk: { S: 'session' },
      expires: seconds(later + 86_400_000),
    });
    expect(left.find((item) => item.pk?.S === 'user:3')).toEqual(foreign[2]);
  });
});

describe('cleanup (deleteExpired)', () => {
  it('deletes expired tombstones as well as expired sessions, and keeps live ones of both', async () => {
    const backend = await fresh();
    await backend.create('live session', w('x'));
    await backend.create('expired session', w('x', earlier));
    await backend.destroy('live tombstone', later);
    await backend.destroy('expired tombstone', earlier);
    await expect(backend.deleteExpired(now)).resolves.toEqual({ scanned: 4, deleted: 2 });
    expect((await rawScan(backend.options.tableName)).map((item) => item.id?.S).sort()).toEqual(['live session', 'live tombstone']);
  });

  it('spares an item re-saved between the Scan that found it and its delete', async () => {
    const expired = Array.from({ length: 30 }, newId);
    const refreshed = expired.filter((_, i) => i % 3 === 0);
    let table = '';
    let raced = false;
    // Once the Scan page is in hand, and before any delete, re-save a third of the expired sessions.
    const { watched } = watchedClient(async (command) => {
      if (!raced && command instanceof ScanCommand) {
        raced = true;
        await Promise.all(refreshed.map((id) => rawPut(table, { id: { S: id }, expires: seconds(later), content: { S: 'fresh' } })));
      }
    });
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    table = backend.options.tableName;
    await Promise.all(expired.map((id) => backend.create(id, w('old', earlier))));

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
    // Written in batches of 25 (setup speed); the items are exactly what create writes.
    const items = ids.map((id, i) => toItem(id, { payload, expiresAt: isExpired(i) ? earlier : later }, 1, backend.options));
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
  it('count and list see live sessions only, never tombstones', async () => {
    const backend = await fresh();
    await backend.create('a', w('x'));
    await backend.create('b', w('y'));
    await backend.replace('b', w('y2'), 1);
    await backend.destroy('c', later);
    await backend.create('d', w('z'));
    await backend.destroy('d', later);
    await expect(backend.count(now)).resolves.toBe(2);
    const listed = [];
    for await (const record of backend.list(now)) listed.push(record);
    expect(listed.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: 'a', payload: 'x', expiresAt: Math.floor(later / 1000) * 1000, revision: 1 },
      { id: 'b', payload: 'y2', expiresAt: Math.floor(later / 1000) * 1000, revision: 2 },
    ]);
  });

  it('clear turns corrupt items under our keys into tombstones too', async () => {
    const backend = await fresh();
    await rawPut(backend.options.tableName, { id: { S: 'corrupt' }, expires: { S: 'never' }, content: { N: '1' } });
    await backend.clear(later);
    expect(await raw(backend, 'corrupt')).toEqual({ id: { S: 'corrupt' }, expires: seconds(later) });
  });

  it('clear turns > 25 sessions into tombstones in BatchWriteItem calls of 25, and leaves tombstones as they are', async () => {
    const { watched, sent } = watchedClient();
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    const live = Array.from({ length: 52 }, newId);
    const dead = Array.from({ length: 9 }, newId);
    const tombstones = Array.from({ length: 4 }, newId);
    await Promise.all([
      ...live.map((id) => backend.create(id, w(`live ${id}`))),
      ...dead.map((id) => backend.create(id, w('dead', earlier))),
      ...tombstones.map((id) => backend.destroy(id, later + 1000)),
    ]);
    await expect(backend.count(now)).resolves.toBe(52);

    sent.length = 0;
    const tombstoneExpiresAt = later + 86_400_000;
    await backend.clear(tombstoneExpiresAt);
    expect(sent.filter((name) => name === 'BatchWriteItem')).toHaveLength(3); // 61 sessions = 25 + 25 + 11
    await expect(backend.count(0)).resolves.toBe(0);
    const items = await rawScan(backend.options.tableName);
    expect(items).toHaveLength(65);
    for (const item of items) {
      const id = item.id?.S as string;
      expect(item).toEqual({ id: { S: id }, expires: seconds((tombstones as string[]).includes(id) ? later + 1000 : tombstoneExpiresAt) });
    }
    // A cleared id refuses every write, like a destroyed one.
    const cleared = live[0] as string;
    await expect(backend.create(cleared, w('again'))).resolves.toBe(false);
    await expect(backend.replace(cleared, w('again'), 1)).resolves.toBe(false);
    await expect(backend.updateExpiry(cleared, later, now)).resolves.toBe(false);
    watched.destroy();
  });
});

describe('the rolling upgrade from 1.x (upgradeFrom1x)', () => {
  it("'mixed-fleet' writes every expiry in epoch milliseconds (what 1.x reads), and reads both units", async () => {
    const backend = await fresh({ upgradeFrom1x: 'mixed-fleet' });
    const expiresAt = 1_900_000_000_123;
    await backend.create('a', w('x', expiresAt));
    expect(await raw(backend, 'a')).toEqual({ id: { S: 'a' }, expires: { N: '1900000000123' }, content: { S: 'x' }, rev: { N: '1' } });
    await backend.replace('a', w('y', expiresAt + 1), 1);
    expect((await raw(backend, 'a'))?.expires).toEqual({ N: '1900000000124' });
    await backend.updateExpiry('a', expiresAt + 2, now);
    expect((await raw(backend, 'a'))?.expires).toEqual({ N: '1900000000125' });
    await expect(backend.get('a')).resolves.toEqual({ payload: 'y', expiresAt: expiresAt + 2, revision: 2 });
    await backend.destroy('a', expiresAt + 3);
    expect(await raw(backend, 'a')).toEqual({ id: { S: 'a' }, expires: { N: '1900000000126' } });
    await backend.create('b', w('x'));
    await backend.clear(expiresAt + 4);
    expect(await raw(backend, 'b')).toEqual({ id: { S: 'b' }, expires: { N: '1900000000127' } });
    // An item in seconds (from a 2.x instance in the normal mode) is still live.
    await rawPut(backend.options.tableName, { id: { S: 'c' }, expires: seconds(later), content: { S: 'z' } });
    await expect(backend.updateExpiry('c', later, now)).resolves.toBe(true);
    await expect(backend.count(now)).resolves.toBe(1);
    // Cleanup deletes expired items of both units.
    await backend.create('d', w('x', earlier));
    await rawPut(backend.options.tableName, { id: { S: 'e' }, expires: seconds(earlier), content: { S: 'z' } });
    await expect(backend.deleteExpired(now)).resolves.toMatchObject({ deleted: 2 });
  });

  it("'cleanup' writes seconds again", async () => {
    const backend = await fresh({ upgradeFrom1x: 'cleanup' });
    await backend.create('a', w('x', 1_900_000_000_123));
    expect((await raw(backend, 'a'))?.expires).toEqual({ N: '1900000000' });
  });

  it.each([['mixed-fleet'], ['cleanup'], [undefined]] as const)(
    'with TTL enabled on the table, %s reports that cleanup scans must run (TTL never deletes a millisecond expiry)',
    async (upgradeFrom1x) => {
      // dynalite has no TTL: the one DescribeTimeToLive answer is the one AWS gives for a table with TTL on "expires".
      const watched = rawClient();
      const send = watched.send.bind(watched) as (command: object) => Promise<unknown>;
      jest.spyOn(watched, 'send').mockImplementation((async (command: object) => {
        if (command instanceof DescribeTimeToLiveCommand) {
          return {
            TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires' },
          } satisfies Partial<DescribeTimeToLiveCommandOutput>;
        }
        return send(command);
      }) as never);
      const log = jest.fn();
      const backend = newBackend({
        awsClient: watched,
        endpoint: undefined,
        region: undefined,
        clientConfig: undefined,
        upgradeFrom1x,
        log,
      });
      backends.push(backend);
      await expect(backend.init()).resolves.toEqual({ expiresItemsNatively: upgradeFrom1x === undefined });
      if (upgradeFrom1x) expect(log).toHaveBeenCalledWith(expect.stringContaining(`upgradeFrom1x "${upgradeFrom1x}"`));
      watched.destroy();
    },
  );
});

describe('requests', () => {
  it('get, create, replace, updateExpiry and destroy make one request each, and never DescribeTable', async () => {
    const { watched, sent } = watchedClient();
    const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined });
    expect(sent).toEqual(expect.arrayContaining(['DescribeTable']));
    sent.length = 0;
    const id = newId();
    await backend.create(id, w('x'));
    await backend.get(id);
    await backend.replace(id, w('y'), 1);
    await backend.replace(id, w('z'), 1); // a failed condition is one request too, and no error
    await backend.updateExpiry(id, later + 1000, now);
    await backend.destroy(id, later);
    await backend.get(id);
    expect(sent).toEqual(['PutItem', 'GetItem', 'PutItem', 'PutItem', 'UpdateItem', 'PutItem', 'GetItem']);
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

  it.each([false, 'eventual-then-strong'] as const)(
    'consistentRead %s: get(id, { latest: true }) is strong; a plain get reads as configured, even after a failed write',
    async (consistentRead) => {
      const watched = rawClient();
      const spy = jest.spyOn(watched, 'send');
      const backend = await fresh({ awsClient: watched, endpoint: undefined, region: undefined, clientConfig: undefined, consistentRead });
      const id = newId();
      await backend.create(id, w('x'));
      await backend.replace(id, w('y'), 1);
      const reads = () =>
        spy.mock.calls.map(([command]) => command.input as { ConsistentRead?: boolean }).filter((input) => 'ConsistentRead' in input);
      await expect(backend.replace(id, w('z'), 1)).resolves.toBe(false); // revision 2 is stored
      await expect(backend.get(id, { latest: true })).resolves.toMatchObject({ payload: 'y', revision: 2 });
      expect(reads().map((input) => input.ConsistentRead)).toEqual([true]);
      await backend.get(id);
      expect(reads().map((input) => input.ConsistentRead)).toEqual([true, false]);
      watched.destroy();
    },
  );

  it("consistentRead 'eventual-then-strong': one eventual read of a live session; a miss is read again strongly", async () => {
    const watched = rawClient();
    const spy = jest.spyOn(watched, 'send');
    const backend = await fresh({
      awsClient: watched,
      endpoint: undefined,
      region: undefined,
      clientConfig: undefined,
      consistentRead: 'eventual-then-strong',
    });
    const live = newId();
    const expired = newId();
    await backend.create(live, w('x'));
    await backend.create(expired, { payload: 'old', expiresAt: now - 60_000 });
    const reads = () =>
      spy.mock.calls.map(([command]) => command.input as { ConsistentRead?: boolean }).filter((input) => 'ConsistentRead' in input);
    await expect(backend.get(live)).resolves.toMatchObject({ payload: 'x' });
    expect(reads().map((input) => input.ConsistentRead)).toEqual([false]);
    await expect(backend.get(newId())).resolves.toBeNull();
    expect(reads().map((input) => input.ConsistentRead)).toEqual([false, false, true]);
    await expect(backend.get(expired)).resolves.toMatchObject({ payload: 'old' });
    expect(reads().map((input) => input.ConsistentRead)).toEqual([false, false, true, false, true]);
    watched.destroy();
  });

  it('builds its own client from region, endpoint and clientConfig', async () => {
    const backend = await fresh({ endpoint: endpoint(), clientConfig: { credentials } });
    await backend.create('a', w('x'));
    await expect(backend.get('a')).resolves.toMatchObject({ payload: 'x' });
  });
});
