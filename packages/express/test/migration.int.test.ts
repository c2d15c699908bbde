// Moving to 2.x without logging anyone out, shown with the real packages over
// HTTP: sessions written by connect-dynamodb-session 1.1.0 (aws-sdk v2, expiry
// in milliseconds) and by connect-dynamodb 3.0.5 (`sess:` prefix, `sess`
// attribute) are read by 2.x from the same table; connect-dynamodb can read
// what 2.x writes back, so a rollback keeps sessions too.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
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

  const store = new DynamoStore({ tableName, region: 'us-east-1', awsClient: client });
  closers.push(() => store.close());
  await request(sessionApp(express, store)).get('/count').set('Cookie', cookieOf(before)).expect(200, { views: 3, id: body.id });
  const rewritten = await rawItem(client, tableName, body.id);
  expect(Number(rewritten!.expires!.N)).toBeLessThan(1e11); // 2.x writes seconds, so DynamoDB TTL can use it
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

  const cookie = cookieOf(before);
  await request(sessionApp(express, ours)).get('/count').set('Cookie', cookie).expect(200, { views: 2, id: body.id });
  // Rolling back: connect-dynamodb reads what 2.x wrote.
  await request(sessionApp(express, theirs)).get('/count').set('Cookie', cookie).expect(200, { views: 3, id: body.id });
});
