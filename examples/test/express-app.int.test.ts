// The Express example app (plain CommonJS), driven over HTTP with supertest on
// the store this repository ships, backed by DynamoDB on the test server.
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
import type { Application } from 'express';
import session from 'express-session';
import request from 'supertest';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';

interface ExampleApp {
  createApp(options: { store: session.Store; secret: string; maxAge?: number }): Application;
  COOKIE_NAME: string;
}
// The example is plain CommonJS, as an app without a build step would be.
const { createApp, COOKIE_NAME } = require('../express-app/app') as ExampleApp;

const DynamoStore = connectDynamoDBSession(session);
const MAX_AGE = 30 * 60 * 1000;

describe('examples/express-app', () => {
  const client = testClient();
  const tableName = uniqueTableName('express-app-example');
  const store = new DynamoStore({ tableName, awsClient: client, autoCreate: true });
  const app = createApp({ store, secret: 'example test secret' });

  const sessionIdOf = (res: request.Response): string => {
    const cookie = [res.headers['set-cookie'] ?? []].flat().find((c: string) => c.startsWith(`${COOKIE_NAME}=`));
    if (!cookie) throw new Error('no session cookie');
    const value = decodeURIComponent(cookie.slice(COOKIE_NAME.length + 1).split(';')[0]!);
    return value.slice(2, value.lastIndexOf('.'));
  };
  const stored = async (id: string) =>
    (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }))).Item;

  beforeAll(() => store.ready());
  afterAll(async () => {
    await store.close();
    await dropTable(client, tableName);
    client.destroy();
  });

  it('counts visits in a session and shows its id prefix and expiry', async () => {
    const agent = request.agent(app);
    const id = sessionIdOf(await agent.post('/visit').expect(303).expect('Location', '/'));
    const first = await agent.get('/').expect(200).expect('Content-Type', /html/);
    expect(first.text).toContain('<dt>Visits in this session</dt><dd>1</dd>');
    expect(first.text).toContain(`<code>${id.slice(0, 6)}…</code>`);
    expect(first.text).not.toContain(id);
    await agent.post('/visit').expect(303);
    const info = (await agent.get('/api/session').expect(200)).body;
    expect(info).toMatchObject({ exists: true, user: null, views: 2, sessionIdPrefix: id.slice(0, 6) });
    expect(Math.abs(Date.parse(info.expiresAt) - (Date.now() + MAX_AGE))).toBeLessThan(60_000);
    expect(JSON.parse((await stored(id))!.content!.S!)).toMatchObject({ views: 2 });
  });

  it('stores nothing for a visitor who only views the page: no cookie, no item (saveUninitialized: false)', async () => {
    const count = async () => (await client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true }))).Count;
    const before = await count();
    const agent = request.agent(app);
    for (let i = 0; i < 3; i++) {
      const view = await agent.get('/').expect(200);
      expect(view.headers['set-cookie']).toBeUndefined();
      expect(view.text).toContain('No session yet');
      expect(view.text).toContain('action="/visit"');
    }
    expect(await count()).toBe(before);
    await agent.post('/visit').expect(303);
    expect(await count()).toBe((before ?? 0) + 1);
  });

  it('creates no session for a visitor who stores nothing', async () => {
    const res = await request(app)
      .get('/api/session')
      .expect(200, { exists: false, user: null, views: 0, sessionIdPrefix: null, expiresAt: null });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('regenerates the session on log-in and destroys it on log-out', async () => {
    const agent = request.agent(app);
    const before = sessionIdOf(await agent.post('/visit').expect(303));

    const login = await agent.post('/login').type('form').send({ name: 'Ada' }).expect(303).expect('Location', '/');
    const after = sessionIdOf(login);
    expect(after).not.toBe(before);
    // regenerate destroyed the old session: a tombstone (an item without content) is left.
    expect(await stored(before)).toEqual({ id: { S: before }, expires: expect.anything() });
    expect((await agent.get('/api/session').expect(200)).body).toMatchObject({ exists: true, user: 'Ada' });
    expect((await agent.get('/').expect(200)).text).toContain('Logged in as <strong>Ada</strong>');

    const logout = await agent.post('/logout').expect(303);
    expect(String(logout.headers['set-cookie'])).toMatch(new RegExp(`^${COOKIE_NAME}=;`));
    expect(await stored(after)).toEqual({ id: { S: after }, expires: expect.anything() });
    expect((await agent.get('/api/session').expect(200)).body.exists).toBe(false);
  });

  it('refuses an empty name and escapes the one it shows', async () => {
    const agent = request.agent(app);
    await agent.post('/login').type('form').send({ name: '  ' }).expect(400);
    await agent.post('/login').type('form').send({ name: '<b>x</b>' }).expect(303);
    const page = (await agent.get('/').expect(200)).text;
    expect(page).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(page).not.toContain('<b>x</b>');
  });
});
