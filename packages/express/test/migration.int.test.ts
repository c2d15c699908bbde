// Moving to 2.x without logging anyone out, shown with the real packages over
// HTTP: sessions written by connect-dynamodb-session 1.1.0 (aws-sdk v2, expiry
// in milliseconds) and by connect-dynamodb 3.0.5 (`sess:` prefix, `sess`
// attribute) are read by 2.x from the same table as revision 0 and gain a
// revision on their next save; connect-dynamodb can read what 2.x writes back,
// so a rollback keeps sessions too. A 1.1.0 instance that reads a tombstone
// serves "no session", never a 500. And the rolling upgrade (upgradeFrom1x):
// 1.1.0 and 2.x serving one browser alternately, then the switch back to the
// normal mode, nobody logged out.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
import type { Application } from 'express';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { countingClient, dropTable, rawItem, sessionApp, uniqueTableName } from './support';

const DynamoStore = connectDynamoDBSession(session);
const { client } = countingClient();
const tables: string[] = [];
const closers: (() => unknown)[] = [];
const savedEnv = { ...process.env };

/** The `Cookie` header that replays an agent's session cookie in another app. */
function cookieOf(agent: ReturnType<typeof request.agent>): string {
  const cookie = agent.jar.getCookie('connect.sid', { domain: '127.0.0.1', path: '/', secure: false, script: false });
  if (!cookie) throw new Error('no session cookie');
  return `${cookie.name}=${cookie.value}`;
}

async function createTable(): Promise<string> {
  const tableName = uniqueTableName('migration');
  tables.push(tableName);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}

beforeAll(() => {
  // aws-sdk v2 (used by 1.x) takes credentials from the environment.
  process.env.AWS_ACCESS_KEY_ID = 'x';
  process.env.AWS_SECRET_ACCESS_KEY = 'x';
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
});
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await Promise.all(tables.map((t) => dropTable(client, t)));
  client.destroy();
  process.env = savedEnv;
});

it('from connect-dynamodb-session 1.1.0: the same table and options, users stay logged in', async () => {
  const tableName = await createTable();
  const LegacyStore = require('connect-dynamodb-session-v1')(session);
  const legacy = new LegacyStore({ tableName, region: 'us-east-1', endpoint: process.env.DYNAMODB_ENDPOINT, cleanupInterval: 0 });
  const before = request.agent(sessionApp(express, legacy));
  const { body } = await before.get('/count').expect(200);
  await before.get('/count').expect(200, { views: 2, id: body.id });
  const written = await rawItem(client, tableName, body.id);
  expect(Number(written!.expires!.N)).toBeGreaterThan(1e12); // 1.x wrote milliseconds

  expect(written!.rev).toBeUndefined(); // and no revision: 2.x reads it as revision 0

  const store = new DynamoStore({ tableName, region: 'us-east-1', awsClient: client });
  closers.push(() => store.close());
  await request(sessionApp(express, store)).get('/count').set('Cookie', cookieOf(before)).expect(200, { views: 3, id: body.id });
  const rewritten = await rawItem(client, tableName, body.id);
  expect(Number(rewritten!.expires!.N)).toBeLessThan(1e11); // 2.x writes seconds, so DynamoDB TTL can use it
  expect(rewritten!.rev).toEqual({ N: '1' }); // its first save on revision 0 gave it revision 1
  await request(sessionApp(express, store)).get('/count').set('Cookie', cookieOf(before)).expect(200, { views: 4, id: body.id });
  expect((await rawItem(client, tableName, body.id))!.rev).toEqual({ N: '2' });
});

it('from connect-dynamodb 3.0.5: prefix "sess:" and contentAttribute "sess", and back', async () => {
  const tableName = await createTable();
  const ConnectDynamoDB = require('connect-dynamodb')(session);
  const theirs = new ConnectDynamoDB({ table: tableName, client, initialized: true });
  const ours = new DynamoStore({ tableName, awsClient: client, prefix: 'sess:', contentAttribute: 'sess', ttl: 24 * 60 * 60 * 1000 });
  closers.push(() => ours.close());
  const before = request.agent(sessionApp(express, theirs));
  const { body } = await before.get('/count').expect(200);
  const item = await rawItem(client, tableName, `sess:${body.id}`);
  expect(item).toMatchObject({ type: { S: 'connect-session' }, sess: { S: expect.any(String) } });

  expect(item!.rev).toBeUndefined();
  const cookie = cookieOf(before);
  await request(sessionApp(express, ours)).get('/count').set('Cookie', cookie).expect(200, { views: 2, id: body.id });
  expect((await rawItem(client, tableName, `sess:${body.id}`))!.rev).toEqual({ N: '1' });
  // Rolling back: connect-dynamodb reads what 2.x wrote.
  await request(sessionApp(express, theirs)).get('/count').set('Cookie', cookie).expect(200, { views: 3, id: body.id });
});

/** One browser whose cookie follows it from app to app, as behind a load balancer. */
function browser() {
  let cookie = '';
  /** A request with the browser's cookie, checked for `status` (and `body` when given); keeps the cookie it sets. */
  const visit = async (app: Application, path: string, status: number, body?: unknown) => {
    const [method, url] = path.startsWith('POST ') ? (['post', path.slice(5)] as const) : (['get', path] as const);
    const response = await request(app)[method](url).set('Cookie', cookie);
    expect(response.status).toBe(status);
    if (body !== undefined) expect(response.body).toEqual(body);
    const setCookie = [response.headers['set-cookie'] ?? []].flat().find((c: string) => c.startsWith('connect.sid='));
    if (setCookie) cookie = setCookie.split(';')[0]!;
    return response;
  };
  return { visit };
}

function legacyStore(tableName: string) {
  const LegacyStore = require('connect-dynamodb-session-v1')(session);
  return new LegacyStore({ tableName, region: 'us-east-1', endpoint: process.env.DYNAMODB_ENDPOINT, cleanupInterval: 0 });
}

function newStore(options: Record<string, unknown>) {
  const store = new DynamoStore({ region: 'us-east-1', awsClient: client, cleanupInterval: 0, ...options } as never);
  closers.push(() => store.close());
  return store;
}

it('a 1.1.0 instance that reads a tombstone serves "no session" (200, a new session), never a 500', async () => {
  const tableName = await createTable();
  const v1 = sessionApp(express, legacyStore(tableName));
  const v2 = sessionApp(express, newStore({ tableName }));
  const { visit } = browser();
  const { body } = await visit(v2, '/count', 200);
  await visit(v2, '/count', 200, { views: 2, id: body.id });
  // The cookie of a second tab, or a stolen one, kept after the logout.
  const stale = signedCookie(body.id);
  await visit(v2, 'POST /logout', 200, { loggedOut: true });
  const tombstone = { id: { S: body.id }, expires: { N: expect.any(String) } };
  expect(await rawItem(client, tableName, body.id)).toEqual(tombstone);

  for (const path of ['/read', '/count']) {
    const response = await request(v1).get(path).set('Cookie', stale);
    expect(response.status).toBe(200);
    expect(response.body.id).not.toBe(body.id);
  }
  expect(await rawItem(client, tableName, body.id)).toEqual(tombstone);
});

/** express-session's signed cookie for `id` (the same secret as sessionApp). */
function signedCookie(id: string): string {
  const signature = require('cookie-signature').sign(id, 'test secret');
  return `connect.sid=${encodeURIComponent(`s:${signature}`)}`;
}

describe('a rolling upgrade from 1.1.0 (upgradeFrom1x), one browser served alternately', () => {
  const ROUNDS = 12;

  /** Requests alternate between the apps; every one must see the session of the one before. */
  async function alternate(apps: Application[], visit: ReturnType<typeof browser>['visit'], id: string, views: number) {
    for (let i = 0; i < ROUNDS; i++) {
      const app = apps[i % apps.length]!;
      // A read (touch) every third request, a change otherwise.
      if (i % 3 === 2) {
        await visit(app, '/read', 200, { id, data: expect.objectContaining({ views }), blobLength: 0 });
      } else {
        views++;
        await visit(app, '/count', 200, { views, id });
      }
    }
    return views;
  }

  it('without it, a 1.x instance logs out a user whose session 2.x saved (what the mode is for)', async () => {
    const tableName = await createTable();
    const v1 = sessionApp(express, legacyStore(tableName));
    const v2 = sessionApp(express, newStore({ tableName }));
    const { visit } = browser();
    const { body } = await visit(v1, '/count', 200, { views: 1, id: expect.any(String) });
    await visit(v2, '/count', 200, { views: 2, id: body.id });
    const { body: after } = await visit(v1, '/count', 200);
    expect(after).toEqual({ views: 1, id: expect.not.stringMatching(body.id) });
  });

  it("'mixed-fleet' next to 1.1.0, then 'cleanup', then the normal mode: nobody logged out", async () => {
    const tableName = await createTable();
    const v1 = sessionApp(express, legacyStore(tableName));
    const mixed = sessionApp(express, newStore({ tableName, upgradeFrom1x: 'mixed-fleet' }));
    const { visit } = browser();
    const { body } = await visit(v1, '/count', 200, { views: 1, id: expect.any(String) });
    const { id } = body;

    // Step 1: 1.x and 2.x in the mixed-fleet mode; everything 2.x writes carries an expiry in milliseconds.
    let views = await alternate([mixed, v1], visit, id, 1);
    await visit(mixed, '/count', 200, { views: ++views, id });
    const mixedItem = await rawItem(client, tableName, id);
    expect(Number(mixedItem!.expires!.N)).toBeGreaterThan(1e12);
    expect(mixedItem!.rev).toBeDefined();
    await visit(v1, '/count', 200, { views: ++views, id });

    // Step 2: 1.x is gone; mixed-fleet and cleanup instances side by side. Cleanup writes seconds.
    const cleanup = sessionApp(express, newStore({ tableName, upgradeFrom1x: 'cleanup' }));
    views = await alternate([cleanup, mixed], visit, id, views);
    await visit(cleanup, '/count', 200, { views: ++views, id });
    expect(Number((await rawItem(client, tableName, id))!.expires!.N)).toBeLessThan(1e11);

    // Step 4: the normal mode, next to cleanup instances.
    const normal = sessionApp(express, newStore({ tableName }));
    views = await alternate([normal, cleanup], visit, id, views);
    await visit(normal, '/count', 200, { views: ++views, id });
    expect(views).toBe(1 + 8 + 2 + 8 + 1 + 8 + 1);
  });

  it('a logout on 2.x during the mixed fleet: 1.1.0 and 2.x both serve "no session" afterwards', async () => {
    const tableName = await createTable();
    const v1 = sessionApp(express, legacyStore(tableName));
    const mixed = sessionApp(express, newStore({ tableName, upgradeFrom1x: 'mixed-fleet' }));
    const { visit } = browser();
    const { body } = await visit(v1, '/count', 200);
    await visit(mixed, '/count', 200, { views: 2, id: body.id });
    const stale = signedCookie(body.id);
    await visit(mixed, 'POST /logout', 200);
    const tombstone = await rawItem(client, tableName, body.id);
    expect(Object.keys(tombstone!).sort()).toEqual(['expires', 'id']);
    expect(Number(tombstone!.expires!.N)).toBeGreaterThan(1e12); // milliseconds: 1.x's cleanup and reads agree with it
    for (const app of [v1, mixed]) {
      const response = await request(app).get('/count').set('Cookie', stale);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ views: 1, id: expect.not.stringMatching(body.id) });
    }
  });
});
