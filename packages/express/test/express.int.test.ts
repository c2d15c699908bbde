// express-session on DynamoDB over HTTP: Express 5 + express-session + this
// store + DynamoDBBackend on the test server (dynalite), driven with supertest.
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createFakeClock } from '@connect-dynamodb-session/core/testing';
import connectDynamoDBSession from 'connect-dynamodb-session';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { countingClient, dropTable, rawItem, sessionApp, sessionIdOf, tombstoneOf, uniqueTableName } from './support';

const DynamoStore = connectDynamoDBSession(session);
type Store = InstanceType<typeof DynamoStore>;

const { client, writes, resetWrites } = countingClient();
const stores: Store[] = [];
const tables: string[] = [];

/** A store on a fresh table; resolves once the table exists and the write counts are reset. */
async function newStore(options: connectDynamoDBSession.Options = {}): Promise<{ store: Store; tableName: string }> {
  const tableName = uniqueTableName('http');
  tables.push(tableName);
  const store = new DynamoStore({ tableName, awsClient: client, autoCreate: true, ...options });
  stores.push(store);
  await store.ready();
  resetWrites();
  return { store, tableName };
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(tables.map((t) => dropTable(client, t)));
  client.destroy();
});

describe('sessions over HTTP', () => {
  it('survive across requests', async () => {
    const { store, tableName } = await newStore();
    const agent = request.agent(sessionApp(express, store));
    const first = await agent.get('/count').expect(200);
    expect(first.body.views).toBe(1);
    await agent.get('/count').expect(200, { views: 2, id: first.body.id });
    await agent.get('/count').expect(200, { views: 3, id: first.body.id });
    expect(sessionIdOf(first.headers['set-cookie'])).toBe(first.body.id);
    // Stored as 2.x items: content is JSON text, expires is epoch seconds (so DynamoDB TTL can use it).
    const item = await rawItem(client, tableName, first.body.id);
    expect(JSON.parse(item!.content!.S!)).toMatchObject({ views: 3 });
    expect(Number(item!.expires!.N)).toBeLessThan(1e11);
  });

  it('are never shared between clients, even when they arrive at once', async () => {
    const { store } = await newStore();
    const app = sessionApp(express, store);
    const agents = Array.from({ length: 8 }, () => request.agent(app));
    for (let round = 1; round <= 3; round++) {
      const responses = await Promise.all(agents.map((a) => a.get('/count').expect(200)));
      expect(responses.map((r) => r.body.views)).toEqual(agents.map(() => round));
      expect(new Set(responses.map((r) => r.body.id)).size).toBe(agents.length);
    }
  });

  it('without cookie maxAge (a browser-session cookie) expire after ttl, sliding with each request', async () => {
    const clock = createFakeClock();
    const ttl = 60_000;
    const { store, tableName } = await newStore({ ttl, now: clock.now });
    const agent = request.agent(sessionApp(express, store, { cookie: {} }));
    const first = await agent.get('/count').expect(200);
    expect(first.headers['set-cookie']![0]).not.toMatch(/Expires=/i);
    const stored = Number((await rawItem(client, tableName, first.body.id))!.expires!.N);
    expect(stored).toBe(Math.floor((clock.now() + ttl) / 1000));

    clock.advance(40_000);
    await agent.get('/count').expect(200, { views: 2, id: first.body.id }); // within ttl; the write slides it
    clock.advance(40_000);
    await agent.get('/count').expect(200, { views: 3, id: first.body.id }); // 80 s after creation: still alive
    clock.advance(ttl + 1_000);
    const after = await agent.get('/count').expect(200);
    expect(after.body).toEqual({ views: 1, id: expect.any(String) });
    expect(after.body.id).not.toBe(first.body.id);
  });

  it('expire at the cookie maxAge', async () => {
    const clock = createFakeClock();
    const { store, tableName } = await newStore({ now: clock.now });
    const agent = request.agent(sessionApp(express, store, { cookie: { maxAge: 60_000 } }));
    const first = await agent.get('/count').expect(200);
    clock.advance(30_000);
    await agent
      .get('/read')
      .expect(200)
      .expect(({ body }) => expect(body.data).toEqual({ views: 1 }));
    clock.advance(61_000); // past the cookie's expiry (express-session's clock is the real one: 1 min after the request)
    const expired = await agent.get('/read').expect(200);
    expect(expired.body.data).toEqual({});
    // Expired items are filtered on read; deleting them is DynamoDB TTL's (or the cleanup scan's) job.
    expect(await rawItem(client, tableName, first.body.id)).toBeDefined();
  });
});

describe('touchAfter, counted in DynamoDB write requests', () => {
  it('20 unchanged requests within touchAfter write nothing', async () => {
    const { store } = await newStore({ touchAfter: 10_000 });
    const agent = request.agent(sessionApp(express, store));
    await agent.get('/count').expect(200);
    expect(writes).toEqual({ PutItem: 1, UpdateItem: 0, DeleteItem: 0 });
    resetWrites();
    for (let i = 0; i < 20; i++) await agent.get('/read').expect(200);
    expect(writes).toEqual({ PutItem: 0, UpdateItem: 0, DeleteItem: 0 });
  });

  it('touchAfter 0 writes one UpdateItem (never a PutItem) per unchanged request', async () => {
    const { store } = await newStore({ touchAfter: 0 });
    const agent = request.agent(sessionApp(express, store));
    await agent.get('/count').expect(200);
    resetWrites();
    for (let i = 0; i < 20; i++) await agent.get('/read').expect(200);
    expect(writes).toEqual({ PutItem: 0, UpdateItem: 20, DeleteItem: 0 });
  });

  it('writes again once the stored expiry lags by touchAfter', async () => {
    const clock = createFakeClock();
    // A browser-session cookie, so that the new expiry is now + ttl on the store's (fake) clock.
    const { store } = await newStore({ touchAfter: 10_000, ttl: 60 * 60 * 1000, now: clock.now });
    const agent = request.agent(sessionApp(express, store, { cookie: {} }));
    await agent.get('/count').expect(200);
    resetWrites();
    for (let i = 0; i < 5; i++) {
      clock.advance(11_000);
      await agent.get('/read').expect(200);
    }
    expect(writes.UpdateItem).toBe(5);
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await agent.get('/read').expect(200);
    }
    expect(writes).toEqual({ PutItem: 0, UpdateItem: 5, DeleteItem: 0 });
  });
});

describe('a touch the throttle skips answers at once', () => {
  /** sessionApp behind a middleware that counts res.write calls: express-session's split of a response is one. */
  function countingApp(store: Store): { app: ReturnType<typeof sessionApp>; splitWrites: () => number } {
    let count = 0;
    const app = sessionApp(() => {
      const inner = express();
      inner.use((_req, res, next) => {
        const write = res.write;
        res.write = function countedWrite(this: typeof res, ...args: Parameters<typeof write>) {
          count += 1;
          return write.apply(this, args);
        } as typeof write;
        next();
      });
      return inner;
    }, store);
    return { app, splitWrites: () => count };
  }

  it('so express-session ends the response in one write; a touch that writes still splits it around the UpdateItem', async () => {
    const { store: throttled } = await newStore({ touchAfter: 10_000 });
    const skipping = countingApp(throttled);
    const agent = request.agent(skipping.app);
    const { body } = await agent.get('/count').expect(200);
    const before = skipping.splitWrites(); // the save of /count splits its response, as with every store
    resetWrites();
    for (let i = 0; i < 5; i++) await agent.get('/read').expect(200, { id: body.id, data: { views: 1 }, blobLength: 0 });
    expect(writes).toEqual({ PutItem: 0, UpdateItem: 0, DeleteItem: 0 });
    expect(skipping.splitWrites() - before).toBe(0);

    const { store: eager } = await newStore({ touchAfter: 0 });
    const writing = countingApp(eager);
    const other = request.agent(writing.app);
    await other.get('/count').expect(200);
    const start = writing.splitWrites();
    resetWrites();
    for (let i = 0; i < 5; i++) await other.get('/read').expect(200);
    expect(writes).toEqual({ PutItem: 0, UpdateItem: 5, DeleteItem: 0 });
    expect(writing.splitWrites() - start).toBe(5);
  });

  it('calls back on the same tick, once; a touch that writes, and an error, call back later', async () => {
    const { store } = await newStore({ touchAfter: 10_000 });
    const id = 'sync-touch';
    await store.set(id, { cookie: { maxAge: 60 * 60 * 1000, expires: new Date(Date.now() + 60 * 60 * 1000) } } as never);
    const read = await store.get(id);
    const calls: unknown[][] = [];
    let synchronous = true;
    store.touch(id, store.createSession({ sessionID: id, sessionStore: store } as never, read!), (...args) =>
      calls.push([...args, synchronous]),
    );
    synchronous = false;
    expect(calls).toEqual([[null, undefined, true]]);

    const later: unknown[][] = [];
    let done: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (done = resolve));
    synchronous = true;
    // No read state: the touch writes.
    store.touch(id, read!, (...args) => {
      later.push([...args, synchronous]);
      done();
    });
    synchronous = false;
    await settled;
    expect(later).toEqual([[null, undefined, false]]);

    const failed = await new Promise<unknown[]>((resolve) => {
      let sync = true;
      store.touch('', read!, (...args) => resolve([...args, sync]));
      sync = false;
    });
    expect(failed).toEqual([expect.objectContaining({ code: 'ERR_INVALID_SESSION_ID' }), false]);
  });
});

describe('regenerate, destroy, races and size', () => {
  it('regenerate on login replaces the session; destroy on logout deletes it', async () => {
    const { store, tableName } = await newStore();
    const app = sessionApp(express, store);
    const agent = request.agent(app);
    const before = await agent.get('/count').expect(200);
    const oldCookie = before.headers['set-cookie']![0]!.split(';')[0]!;

    const login = await agent.post('/login').expect(200);
    expect(login.body.id).not.toBe(before.body.id);
    expect(await rawItem(client, tableName, before.body.id)).toEqual(tombstoneOf(before.body.id));
    expect(JSON.parse((await rawItem(client, tableName, login.body.id))!.content!.S!)).toMatchObject({ user: 'ada' });
    await agent
      .get('/read')
      .expect(200)
      .expect(({ body }) => expect(body.data).toEqual({ user: 'ada' }));
    // The pre-login cookie now leads nowhere.
    const stale = await request(app).get('/read').set('Cookie', oldCookie).expect(200);
    expect(stale.body.data).toEqual({});

    await agent.post('/logout').expect(200);
    expect(await rawItem(client, tableName, login.body.id)).toEqual(tombstoneOf(login.body.id));
    const afterLogout = await agent.get('/read').expect(200);
    expect(afterLogout.body.data).toEqual({});
  });

  it('20 concurrent requests of one session, each adding a key: all succeed and all 20 keys survive', async () => {
    const { store } = await newStore();
    const agent = request.agent(sessionApp(express, store));
    const { body } = await agent.get('/count').expect(200);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => agent.post(`/put?key=k${i}`)));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    const after = await agent.get('/read').expect(200);
    expect(after.body.id).toBe(body.id);
    // Each save is conditional on the revision its request read; a conflict is merged, not overwritten.
    const keys = Object.keys(after.body.data).filter((k) => k.startsWith('k'));
    expect(keys.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
    expect(after.body.data.views).toBe(1);
  });

  it('a 300 KB session round-trips', async () => {
    const { store, tableName } = await newStore();
    const agent = request.agent(sessionApp(express, store));
    const size = 300 * 1024;
    const { body } = await agent.post(`/put?size=${size}`).expect(200);
    await agent
      .get('/read')
      .expect(200)
      .expect(({ body: read }) => expect(read.blobLength).toBe(size));
    expect((await rawItem(client, tableName, body.id))!.content!.S!.length).toBeGreaterThan(size);
  });
});

describe('the 1.x README, verbatim', () => {
  const tableName = 'mySessionTable';
  const saved = { ...process.env };
  let admin: DynamoDBClient;

  beforeAll(async () => {
    // The README creates the table with the AWS CLI; this is the same CreateTable.
    admin = countingClient().client;
    await dropTable(admin, tableName);
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      }),
    );
    // The snippet relies on the default credential chain.
    process.env.AWS_ACCESS_KEY_ID = 'x';
    process.env.AWS_SECRET_ACCESS_KEY = 'x';
    // It leaves resave and saveUninitialized unset, as the 1.x README did: express-session
    // prints a deprecation notice for each, which is expected in this test's output.
  });

  afterAll(async () => {
    process.env = saved;
    await dropTable(admin, tableName);
    admin.destroy();
  });

  it('works with only the endpoint added', async () => {
    const app = express();
    // --- from the 1.x README (plus `endpoint`, to reach the test server) ---
    const session = require('express-session');
    const DynamoStore = require('connect-dynamodb-session')(session);

    // biome-ignore format: verbatim
    app.use(session({
      secret: 'foo',
      store: new DynamoStore({
        region: 'us-west-2',
        tableName: 'mySessionTable',
        cleanupInterval: 100000,
        touchAfter: 0,
        endpoint: process.env.DYNAMODB_ENDPOINT,
      })
    }));
    // --- end of the snippet ---
    let storeOfSnippet: Store | undefined;
    app.get('/', (req, res) => {
      storeOfSnippet = req.sessionStore as unknown as Store;
      const s = req.session as unknown as { views?: number };
      s.views = (s.views ?? 0) + 1;
      res.json({ views: s.views, id: req.sessionID });
    });

    const agent = request.agent(app);
    const first = await agent.get('/').expect(200);
    await agent.get('/').expect(200, { views: 2, id: first.body.id });
    expect(JSON.parse((await rawItem(admin, tableName, first.body.id))!.content!.S!)).toMatchObject({ views: 2 });
    await storeOfSnippet?.close();
  });
});

describe('the promise API on DynamoDB', () => {
  it('set, get, touch, all, ids, length, destroy and clear', async () => {
    const { store, tableName } = await newStore({ touchAfter: 0 });
    const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString() });
    const data = (n: number, ms = 60_000) => ({ cookie: cookie(ms), n }) as unknown as session.SessionData;

    await Promise.all([store.set('promise-one', data(1)), store.set('promise-two', data(2)), store.set('promise-old', data(3, -1))]);
    await expect(store.get('promise-one')).resolves.toMatchObject({ n: 1 });
    await expect(store.get('promise-old')).resolves.toBeNull(); // set with a past expiry deletes
    expect(await rawItem(client, tableName, 'promise-old')).toEqual(tombstoneOf('promise-old'));

    const before = Number((await rawItem(client, tableName, 'promise-two'))!.expires!.N);
    await expect(store.touch('promise-two', data(2, 10 * 60_000))).resolves.toBeUndefined();
    expect(Number((await rawItem(client, tableName, 'promise-two'))!.expires!.N)).toBeGreaterThan(before);
    await expect(store.touch('promise-never', data(9))).resolves.toBeUndefined();
    expect(await rawItem(client, tableName, 'promise-never')).toBeUndefined(); // touch creates nothing

    const all = await store.all();
    expect(Object.keys(all).sort()).toEqual(['promise-one', 'promise-two']);
    expect(all['promise-two']).toMatchObject({ n: 2 });
    await expect(store.ids()).resolves.toEqual(expect.arrayContaining(['promise-one', 'promise-two']));
    await expect(store.length()).resolves.toBe(2);

    await store.destroy('promise-one');
    await expect(store.length()).resolves.toBe(1);
    await store.clear();
    await expect(store.length()).resolves.toBe(0);
  });
});
