// What each request read, kept per request (per express-session Session
// object), over HTTP through Express 5 + express-session on the test server:
// saves conditional on it, the cookie loaded in agreement with the stored
// expiry (issue 12.1), stored sessions without a cookie object (12.5), and
// connect-dynamodb's factory form (12.7).
import { createHmac } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CorruptPayloadError, InvalidOptionError } from '@connect-dynamodb-session/core';
import connectDynamoDBSession from 'connect-dynamodb-session';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { countingClient, dropTable, rawItem, sessionApp, sessionIdOf, uniqueTableName } from './support';

const DynamoStore = connectDynamoDBSession(session);
type Store = InstanceType<typeof DynamoStore>;
const SECRET = 'test secret';
const HOUR = 60 * 60 * 1000;

const { client, writes, resetWrites } = countingClient();
const stores: Store[] = [];
const tables: string[] = [];
const tableOfStore = new Map<Store, string>();
const tableOf = (store: Store) => tableOfStore.get(store) as string;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newStore(options: connectDynamoDBSession.Options = {}, tableName = uniqueTableName('read')): Promise<Store> {
  if (!tables.includes(tableName)) tables.push(tableName);
  const store = new DynamoStore({ tableName, awsClient: client, autoCreate: true, cleanupInterval: 0, ...options });
  stores.push(store);
  tableOfStore.set(store, tableName);
  await store.ready();
  resetWrites();
  return store;
}

/** The `Cookie` header a browser sends back after `res`. */
const cookieOf = (res: request.Response) => String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
/** express-session's signed cookie for `id`. */
function signedCookie(id: string): string {
  const signature = createHmac('sha256', SECRET).update(id).digest('base64').replace(/=+$/, '');
  return `connect.sid=${encodeURIComponent(`s:${id}.${signature}`)}`;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(tables.map((t) => dropTable(client, t)));
  client.destroy();
});

describe('the cookie express-session loads agrees with the stored expiry (issue 12.1)', () => {
  it("express-session's own test: req.session.touch() should reset session expiration", async () => {
    // Ported from express-session's test/session.js. Two changes: touchAfter 0, because MemoryStore
    // writes every touch (with the default the second touch is throttled, by design), and 1.1 s
    // between the requests instead of 100 ms, because DynamoDB keeps the expiry in whole seconds.
    const store = await newStore({ touchAfter: 0 });
    const app = express();
    app.use(session({ secret: SECRET, resave: false, store, cookie: { maxAge: 60_000 } }));
    app.use((req, res) => {
      (req.session as unknown as Record<string, unknown>).hit = true;
      req.session.touch();
      res.end();
    });
    const res = await request(app).get('/').expect(200);
    const id = sessionIdOf(res.headers['set-cookie']);
    const exp = new Date((await store.get(id))!.cookie.expires as unknown as string);
    await sleep(1100);
    await request(app).get('/').set('Cookie', cookieOf(res)).expect(200);
    const sess = await store.get(id);
    expect(new Date(sess!.cookie.expires as unknown as string).getTime()).not.toBe(exp.getTime());
  });

  it('rolling, resave: false: unchanged requests past maxAge, then req.session.save(): the session lives on', async () => {
    // maxAge 2.5 s; with the default touchAfter (10 s, capped at half the lifetime) the touches
    // extend the stored expiry while the stored cookie stays as the first save wrote it.
    const store = await newStore();
    const app = sessionApp(express, store, { cookie: { maxAge: 2500 } });
    app.post('/save-now', (req, res, next) => {
      req.session.save((error) => (error ? next(error) : res.json({ id: req.sessionID, maxAge: req.session.cookie.maxAge })));
    });
    const agent = request.agent(app);
    const first = await agent.get('/count').expect(200);
    for (let i = 0; i < 5; i++) {
      await sleep(700);
      await agent
        .get('/read')
        .expect(200)
        .expect(({ body }) => expect(body).toEqual({ id: first.body.id, data: { views: 1 }, blobLength: 0 }));
    }
    // 3.5 s after the only full save: the stored cookie, as loaded, must not have expired.
    const saved = await agent.post('/save-now').expect(200);
    await agent
      .get('/read')
      .expect(200)
      .expect(({ body }) => expect(body).toEqual({ id: first.body.id, data: { views: 1 }, blobLength: 0 }));
    expect(saved.body.id).toBe(first.body.id);
    expect(saved.body.maxAge).toBeGreaterThan(0);
    expect((await rawItem(client, tableOf(store), first.body.id))?.content).toBeDefined();
  });

  it('a browser-session cookie stays one (expires null) through touches', async () => {
    const store = await newStore({ touchAfter: 0, ttl: HOUR });
    const agent = request.agent(sessionApp(express, store, { cookie: {} }));
    const { body } = await agent.get('/count').expect(200);
    for (let i = 0; i < 3; i++) await agent.get('/read').expect(200);
    const loaded = await store.get(body.id);
    expect(loaded?.cookie.expires ?? null).toBeNull();
  });
});

describe('saves conditional on what the request read', () => {
  it('a second save in the same request replaces the first (one PutItem each, no conflict)', async () => {
    const store = await newStore();
    const app = sessionApp(express, store);
    app.post('/twice', (req, res, next) => {
      const s = req.session as unknown as Record<string, unknown>;
      s.step = 1;
      req.session.save((error) => {
        if (error) return next(error);
        s.step = 2;
        req.session.save((again) => (again ? next(again) : res.json({ id: req.sessionID })));
      });
    });
    const agent = request.agent(app);
    await agent.get('/count').expect(200);
    resetWrites();
    await agent.post('/twice').expect(200);
    // Two saves, each a conditional PutItem on the revision the previous one left; no retry.
    expect(writes.PutItem).toBe(2);
    await agent
      .get('/read')
      .expect(200)
      .expect(({ body }) => expect(body.data).toEqual({ views: 1, step: 2 }));
  });

  it('touchAfter throttles per request, with no per-process memory: a fresh store instance writes nothing either', async () => {
    const tableName = uniqueTableName('read');
    const first = await newStore({ touchAfter: 10_000 }, tableName);
    const agent = request.agent(sessionApp(express, first));
    const { headers } = await agent.get('/count').expect(200);
    // Another instance (a fresh process as far as the store knows) serves the next requests.
    const second = await newStore({ touchAfter: 10_000 }, tableName);
    const app = sessionApp(express, second);
    for (let i = 0; i < 5; i++)
      await request(app)
        .get('/read')
        .set('Cookie', cookieOf({ headers } as request.Response))
        .expect(200);
    expect(writes).toEqual({ PutItem: 0, UpdateItem: 0, DeleteItem: 0 });
  });

  it('regenerate starts a new session with no read state: a create, and the old id stays destroyed', async () => {
    const store = await newStore();
    const app = sessionApp(express, store);
    const agent = request.agent(app);
    const before = await agent.get('/count').expect(200);
    const login = await agent.post('/login').expect(200);
    expect(login.body.id).not.toBe(before.body.id);
    // Replaying the pre-login cookie finds nothing, and its save cannot bring the old id back.
    await request(app).post('/put?key=late').set('Cookie', cookieOf(before)).expect(200);
    expect(await store.get(before.body.id)).toBeNull();
    await agent
      .get('/read')
      .expect(200)
      .expect(({ body }) => expect(body.data).toEqual({ user: 'ada' }));
  });
});

describe('a stored session without a usable cookie object (issue 12.5): reported, read as no session', () => {
  const payloads: [string, unknown][] = [
    ['no cookie', { user: 'ada' }],
    ['cookie: null', { user: 'ada', cookie: null }],
    ['cookie: "x"', { user: 'ada', cookie: 'x' }],
    ['cookie: []', { user: 'ada', cookie: [] }],
  ];

  it.each(payloads)('%s: 200 with a new session, a CorruptPayloadError to err', async (_label, payload) => {
    const errors: unknown[] = [];
    const tableName = uniqueTableName('read');
    const store = await newStore({ err: (_message, error) => errors.push(error) }, tableName);
    const id = `foreign-${Math.random().toString(36).slice(2)}`;
    const expires = String(Math.floor((Date.now() + HOUR) / 1000));
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { id: { S: id }, expires: { N: expires }, content: { S: JSON.stringify(payload) } },
      }),
    );
    const app = sessionApp(express, store);
    const res = await request(app).get('/read').set('Cookie', signedCookie(id)).expect(200);
    expect(res.body.data).toEqual({});
    expect(res.body.id).not.toBe(id);
    expect(errors).toEqual([expect.any(CorruptPayloadError)]);
    // A new session works from there on.
    const fresh = await request(app).get('/count').set('Cookie', signedCookie(id)).expect(200);
    await request(app).get('/count').set('Cookie', cookieOf(fresh)).expect(200, { views: 2, id: fresh.body.id });
  });

  it("onCorruptPayload: 'throw' turns it into the request's error instead", async () => {
    const tableName = uniqueTableName('read');
    const store = await newStore({ onCorruptPayload: 'throw' }, tableName);
    const id = 'foreign-throw';
    const expires = String(Math.floor((Date.now() + HOUR) / 1000));
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { id: { S: id }, expires: { N: expires }, content: { S: '{"user":"ada"}' } } }),
    );
    await expect(store.get(id)).rejects.toBeInstanceOf(CorruptPayloadError);
  });

  it('set refuses a session without a cookie object, so that nothing it writes reads back as unusable', async () => {
    const store = await newStore();
    await expect(store.set('no-cookie', { user: 'ada' } as never)).rejects.toMatchObject({ code: 'ERR_SERIALIZE' });
    await expect(store.set('null-cookie', { user: 'ada', cookie: null } as never)).rejects.toMatchObject({ code: 'ERR_SERIALIZE' });
    expect(writes.PutItem).toBe(0);
  });
});

describe("connect-dynamodb's factory form, factory({ session }) (issue 12.7)", () => {
  it('builds the class on express-session, and a second request with the cookie works', async () => {
    const Store = connectDynamoDBSession({ session });
    const store = new Store({ tableName: uniqueTableName('read'), awsClient: client, autoCreate: true, cleanupInterval: 0 });
    stores.push(store);
    expect(store).toBeInstanceOf(session.Store);
    const agent = request.agent(sessionApp(express, store));
    const { body } = await agent.get('/count').expect(200);
    await agent.get('/count').expect(200, { views: 2, id: body.id });
  });

  it('refuses an object with neither Store nor session.Store, naming the option', () => {
    expect(() => connectDynamoDBSession({} as never)).toThrow(InvalidOptionError);
    expect(() => connectDynamoDBSession({ session: {} } as never)).toThrow(/neither Store nor session\.Store/);
  });
});
