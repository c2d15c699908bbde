// The Koa adapter through real Koa and koa-session, over HTTP, against the
// DynamoDB-compatible server jest's global setup started (dynalite).
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createFakeClock, type FakeClock } from '@connect-dynamodb-session/core/testing';
import request from 'supertest';
import { dropTable, uniqueTableName } from '../../../test-support/dynamodb';
import { createKoaStore, type KoaStore, type KoaStoreOptions } from '../src';
import { countingClient, koaApp, sessionKeyOf } from './support';

const HOUR = 60 * 60 * 1000;
/** koa-session keeps the store's copy this much longer than the cookie. */
const STORE_GRACE = 10_000;

describe('@connect-dynamodb-session/koa on DynamoDB, over HTTP', () => {
  const { client, requests, reset } = countingClient();
  const tables: string[] = [];
  const stores: KoaStore[] = [];
  let clock: FakeClock;

  /** A store on a fresh table, on the fake clock, with the counting client. */
  function newStore(options: Partial<KoaStoreOptions> = {}): { store: KoaStore; tableName: string } {
    const tableName = uniqueTableName('koa');
    tables.push(tableName);
    const store = createKoaStore({ tableName, awsClient: client, autoCreate: true, now: clock.now, cleanupInterval: 0, ...options });
    stores.push(store);
    return { store, tableName };
  }

  async function rawItem(tableName: string, key: string) {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }));
    return Item;
  }

  beforeEach(() => {
    clock = createFakeClock(Date.now());
  });

  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const tableName of tables) await dropTable(client, tableName);
    client.destroy();
  });

  it('keeps a session across requests, in one item expiring with the cookie (plus koa-session’s 10 s)', async () => {
    const { store, tableName } = newStore();
    const agent = request.agent(koaApp(store).callback());
    const first = await agent.get('/views').expect(200, { views: 1 });
    await agent.get('/views').expect(200, { views: 2 });
    await agent.get('/read').expect(200, { views: 2, user: null });

    const key = sessionKeyOf(first.headers['set-cookie']) as string;
    const item = await rawItem(tableName, key);
    expect(Number(item?.expires?.N)).toBe(Math.floor((clock.now() + HOUR + STORE_GRACE) / 1000));
    expect(JSON.parse(item?.content?.S as string)).toMatchObject({ data: { views: 2, _maxAge: HOUR } });
  });

  it('forgets a session once the store’s clock passes its expiry, even when the cookie is replayed', async () => {
    const { store } = newStore();
    const agent = request.agent(koaApp(store, { maxAge: 60_000 }).callback());
    await agent.get('/views').expect(200, { views: 1 });
    // DynamoDB keeps expiry in whole seconds (rounded down), hence a second's margin.
    clock.advance(60_000 + STORE_GRACE - 1000);
    await agent.get('/views').expect(200, { views: 2 });
    clock.advance(60_000 + STORE_GRACE);
    await agent.get('/views').expect(200, { views: 1 });
  });

  it("keeps a maxAge: 'session' session for ttl after its last save", async () => {
    const { store, tableName } = newStore({ ttl: 30_000 });
    const agent = request.agent(koaApp(store, { maxAge: 'session' }).callback());
    const first = await agent.get('/views').expect(200, { views: 1 });
    const item = await rawItem(tableName, sessionKeyOf(first.headers['set-cookie']) as string);
    expect(Number(item?.expires?.N)).toBe(Math.floor((clock.now() + 30_000) / 1000));
    clock.advance(29_000);
    await agent.get('/views').expect(200, { views: 2 });
    clock.advance(30_000);
    await agent.get('/views').expect(200, { views: 1 });
  });

  it('deletes the item when the session is set to null, and a replayed cookie finds nothing', async () => {
    const { store, tableName } = newStore();
    const app = koaApp(store).callback();
    const first = await request(app).get('/views').expect(200, { views: 1 });
    const cookies = first.headers['set-cookie'] as unknown as string[];
    const key = sessionKeyOf(cookies) as string;
    expect(await rawItem(tableName, key)).toBeDefined();

    await request(app).post('/logout').set('Cookie', cookies).expect(200);
    expect(await rawItem(tableName, key)).toEqual({ id: { S: key }, expires: { N: expect.any(String) } }); // the tombstone
    await request(app).get('/read').set('Cookie', cookies).expect(200, { views: null, user: null });
  });

  it('with rolling, touchAfter holds the writes of an unchanged session to one per interval', async () => {
    const { store } = newStore({ touchAfter: 10_000 });
    const agent = request.agent(koaApp(store, { rolling: true }).callback());
    await agent.get('/views').expect(200, { views: 1 });
    reset();
    // 60 requests, one a second: koa-session saves each one (rolling); the store writes every tenth.
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      const response = await agent.get('/read').expect(200, { views: 1, user: null });
      expect(sessionKeyOf(response.headers['set-cookie'])).toBeDefined();
    }
    expect(requests.GetItem).toBe(60);
    expect(requests.PutItem).toBeUndefined();
    expect(requests.UpdateItem).toBe(6);
  });

  it('with rolling and touchAfter: 0, writes the expiry on every request, never the data', async () => {
    const { store } = newStore({ touchAfter: 0 });
    const agent = request.agent(koaApp(store, { rolling: true }).callback());
    await agent.get('/views').expect(200, { views: 1 });
    reset();
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await agent.get('/read').expect(200, { views: 1, user: null });
    }
    expect(requests.UpdateItem).toBe(5);
    expect(requests.PutItem).toBeUndefined();
  });

  it('without rolling, an unchanged session costs no write at all', async () => {
    const { store } = newStore();
    const agent = request.agent(koaApp(store).callback());
    await agent.get('/views').expect(200, { views: 1 });
    reset();
    for (let i = 0; i < 5; i++) await agent.get('/read').expect(200, { views: 1, user: null });
    expect(requests.PutItem).toBeUndefined();
    expect(requests.UpdateItem).toBeUndefined();
  });

  it('with rolling, writes the data of a forced save (a new ctx.session.maxAge), which koa-session reports as unchanged', async () => {
    const { store, tableName } = newStore({ touchAfter: HOUR });
    const agent = request.agent(koaApp(store, { rolling: true }).callback());
    const first = await agent.get('/views').expect(200, { views: 1 });
    await agent.post('/remember').expect(200, { user: 'ada' });
    await agent.get('/read').expect(200, { views: 1, user: 'ada' });
    const item = await rawItem(tableName, sessionKeyOf(first.headers['set-cookie']) as string);
    expect(Number(item?.expires?.N)).toBe(Math.floor((clock.now() + 30 * 24 * HOUR + STORE_GRACE) / 1000));
  });

  it('with rolling, regenerate stores the session under its new key and deletes the old one', async () => {
    const { store, tableName } = newStore();
    const agent = request.agent(koaApp(store, { rolling: true }).callback());
    const first = await agent.get('/views').expect(200, { views: 1 });
    const regenerated = await agent.post('/regenerate').expect(200, { views: 1 });
    const oldKey = sessionKeyOf(first.headers['set-cookie']) as string;
    const newKey = sessionKeyOf(regenerated.headers['set-cookie']) as string;
    expect(newKey).not.toBe(oldKey);
    expect(await rawItem(tableName, oldKey)).toEqual({ id: { S: oldKey }, expires: { N: expect.any(String) } }); // the tombstone
    expect(JSON.parse((await rawItem(tableName, newKey))?.content?.S as string)).toMatchObject({ data: { views: 1 } });
    await agent.get('/views').expect(200, { views: 2 });
  });

  it('reaches DynamoDB with the built-in backend when given only DynamoDB options (no awsClient)', async () => {
    const tableName = uniqueTableName('koa-own-client');
    tables.push(tableName);
    const store = createKoaStore({
      tableName,
      region: 'us-east-1',
      endpoint: process.env.DYNAMODB_ENDPOINT,
      clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
      autoCreate: true,
      cleanupInterval: 0,
    });
    const agent = request.agent(koaApp(store).callback());
    const first = await agent.get('/views').expect(200, { views: 1 });
    await agent.get('/views').expect(200, { views: 2 });
    await store.close();
    expect(await rawItem(tableName, sessionKeyOf(first.headers['set-cookie']) as string)).toBeDefined();
  });
});
