// The same store under Express 4 (installed as the `express4` alias), over HTTP.
import connectDynamoDBSession from 'connect-dynamodb-session';
import type express from 'express';
import session from 'express-session';
import request from 'supertest';
import { countingClient, dropTable, rawItem, sessionApp, tombstoneOf, uniqueTableName } from './support';

// express4 ships no types; its API here is the same as Express 5's.
const express4 = require('express4') as typeof express;
const DynamoStore = connectDynamoDBSession(session);

const { client, writes, resetWrites } = countingClient();
const tableName = uniqueTableName('express4');
const store = new DynamoStore({ tableName, awsClient: client, autoCreate: true });

beforeAll(() => store.ready());
afterAll(async () => {
  await store.close();
  await dropTable(client, tableName);
  client.destroy();
});

it('runs on Express 4', () => {
  expect(require('express4/package.json').version).toMatch(/^4\./);
});

it('keeps a session across requests, touches without writing, regenerates and destroys', async () => {
  const agent = request.agent(sessionApp(express4, store));
  const first = await agent.get('/count').expect(200);
  await agent.get('/count').expect(200, { views: 2, id: first.body.id });
  resetWrites();
  for (let i = 0; i < 5; i++) await agent.get('/read').expect(200);
  expect(writes).toEqual({ PutItem: 0, UpdateItem: 0, DeleteItem: 0 });

  const login = await agent.post('/login').expect(200);
  expect(login.body.id).not.toBe(first.body.id);
  expect(await rawItem(client, tableName, first.body.id)).toEqual(tombstoneOf(first.body.id));
  await agent
    .get('/read')
    .expect(200)
    .expect(({ body }) => expect(body.data).toEqual({ user: 'ada' }));

  await agent.post('/logout').expect(200);
  expect(await rawItem(client, tableName, login.body.id)).toEqual(tombstoneOf(login.body.id));
});
