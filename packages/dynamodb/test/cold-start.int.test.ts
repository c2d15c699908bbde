// Cold start: initialisation begins when the store is constructed, in the
// background; without autoCreate no request waits for the control plane; and a
// process with nothing else to do exits by itself.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SessionStore, StoreClosedError } from '@connect-dynamodb-session/core';
import { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { type FaultProxy, startFaultProxy } from '../../../test-support/fault-proxy';
import { credentials, endpoint, rawClient, uniqueTableName } from './helpers';

const client = rawClient();
const tables: string[] = [];
const closing: Array<{ close(): Promise<void> }> = [];
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy(endpoint());
});
afterAll(async () => {
  for (const store of closing) await store.close();
  await proxy.close();
  for (const TableName of tables) {
    await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  }
  client.destroy();
});

async function existingTable(): Promise<string> {
  const tableName = uniqueTableName('cold');
  const setup = new DynamoDBBackend({
    tableName,
    endpoint: endpoint(),
    region: 'us-east-1',
    clientConfig: { credentials },
    autoCreate: true,
    billingMode: 'PAY_PER_REQUEST',
  });
  await setup.init();
  await setup.close();
  tables.push(tableName);
  return tableName;
}

describe('without autoCreate', () => {
  it('the first request makes its data call at once, while DescribeTable and DescribeTimeToLive are still unanswered', async () => {
    const tableName = await existingTable();
    await proxy.inject('hang', { operations: ['DescribeTable', 'DescribeTimeToLive'] });
    const errs: string[] = [];
    const backend = new DynamoDBBackend({
      tableName,
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      clientConfig: { credentials },
      maxAttempts: 1,
      err: (m) => errs.push(m),
    });
    const store = new SessionStore({ backend, cleanupInterval: 0 });
    closing.push(store);
    const session = { cookie: { expires: new Date(Date.now() + 60_000).toISOString() }, user: 'ada' };
    await expect(store.set('sid-1', session)).resolves.not.toThrow();
    await expect(store.get('sid-1')).resolves.toMatchObject({ user: 'ada' });
    // The checks started at construction, before the first request, and are still held by the proxy.
    expect(proxy.order.indexOf('DescribeTable')).toBeGreaterThanOrEqual(0);
    expect(proxy.order.indexOf('DescribeTable')).toBeLessThan(proxy.order.findIndex((op) => op !== 'DescribeTable'));
    expect(errs).toEqual([]);

    // Checks that fail (the proxy drops them) go to err, and run again on the next request.
    const describesBefore = proxy.seen.DescribeTable ?? 0;
    await proxy.clear();
    await expect(backend.checkTable()).rejects.toThrow();
    expect(errs.join('\n')).toContain('the table checks failed; retried on the next request');
    await store.get('sid-1');
    // moto implements TTL (autoCreate turned it on); dynalite does not.
    await expect(backend.checkTable()).resolves.toEqual({ expiresItemsNatively: process.env.DYNAMODB_SERVER === 'moto' });
    expect(proxy.seen.DescribeTable).toBeGreaterThan(describesBefore);
  });
});

/** Resolves once `condition` holds; fails the test when it does not within `ms`. */
async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('close() during the table checks', () => {
  it('ends the checks in flight, on a client the user passed too, and reports nothing once their call settles', async () => {
    const tableName = await existingTable();
    await proxy.inject('hang', { operations: ['DescribeTable'] });
    const awsClient = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    // Counts the user's client's calls that have settled (the SDK's own middleware stack, nothing mocked).
    let settled = 0;
    awsClient.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } finally {
          settled += 1;
        }
      },
      { step: 'initialize' },
    );
    const errs: string[] = [];
    const backend = new DynamoDBBackend({ tableName, awsClient, err: (m) => errs.push(m) });
    const ttlChecksBefore = proxy.seen.DescribeTimeToLive ?? 0;
    const checked = backend.checkTable();
    await eventually(() => proxy.held === 1, 5_000, 'the proxy holds the DescribeTable');
    await backend.close();
    // Ended at once, though the DescribeTable is still unanswered.
    await expect(checked).rejects.toBeInstanceOf(StoreClosedError);
    expect(proxy.held).toBe(1);
    // The proxy drops it: the call fails on the user's client, after close, and nothing reports it.
    await proxy.clear();
    await eventually(() => settled === 1, 5_000, "the dropped DescribeTable settles on the user's client");
    await new Promise((resolve) => setImmediate(resolve));
    expect(errs).toEqual([]);
    expect(proxy.seen.DescribeTimeToLive ?? 0).toBe(ttlChecksBefore);
    // The user's client is theirs, and still works.
    await expect(awsClient.send(new DescribeTableCommand({ TableName: tableName }))).resolves.toMatchObject({
      Table: { TableName: tableName },
    });
    awsClient.destroy();
  });

  it('with autoCreate, init() rejects with StoreClosedError instead of waiting for the control plane', async () => {
    const tableName = uniqueTableName('closed');
    tables.push(tableName);
    await proxy.inject('hang', { operations: ['DescribeTable'] });
    const backend = new DynamoDBBackend({
      tableName,
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      clientConfig: { credentials },
      autoCreate: true,
      billingMode: 'PAY_PER_REQUEST',
    });
    const createsBefore = proxy.seen.CreateTable ?? 0;
    const init = backend.init();
    await eventually(() => proxy.held === 1, 5_000, 'the proxy holds the DescribeTable');
    await backend.close();
    await expect(init).rejects.toBeInstanceOf(StoreClosedError);
    await proxy.clear();
    expect(proxy.seen.CreateTable ?? 0).toBe(createsBefore);
  });
});

describe('with autoCreate', () => {
  it('constructing the store creates the table, without any request', async () => {
    const tableName = uniqueTableName('startup');
    tables.push(tableName);
    let created: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      created = resolve;
    });
    const backend = new DynamoDBBackend({
      tableName,
      endpoint: endpoint(),
      region: 'us-east-1',
      clientConfig: { credentials },
      autoCreate: true,
      billingMode: 'PAY_PER_REQUEST',
      log: (m) => {
        if (m.includes('created')) created();
      },
    });
    closing.push(new SessionStore({ backend, cleanupInterval: 0 }));
    await done;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableName).toBe(tableName);
  });
});

describe('a process that only constructs a store', () => {
  const script = (options: string) => `
    const { SessionStore } = require('@connect-dynamodb-session/core');
    const { DynamoDBBackend } = require('@connect-dynamodb-session/dynamodb');
    const errs = [];
    const err = (m) => errs.push(m);
    new SessionStore({ backend: new DynamoDBBackend({ ...${options}, err }), err });
    process.on('exit', () => console.log(JSON.stringify(errs)));
  `;
  const run = (options: string) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['-e', script(options)],
        { cwd: path.join(__dirname, '..'), timeout: 25_000 },
        (error, stdout) => resolve({ code: error ? (child.exitCode ?? -1) : 0, stdout }),
      );
    });
  const base = (table: string, at: string) =>
    `{ tableName: ${JSON.stringify(table)}, endpoint: ${JSON.stringify(at)}, region: 'us-east-1', clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }`;

  it('exits by itself, without autoCreate and with it', async () => {
    const existing = await existingTable();
    const fresh = uniqueTableName('exit');
    tables.push(fresh);
    const results = await Promise.all([run(`${base(existing, endpoint())} }`), run(`${base(fresh, endpoint())}, autoCreate: true }`)]);
    for (const { code, stdout } of results) {
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual([]);
    }
  });

  it('exits by itself when the endpoint refuses connections; the failure reached err', async () => {
    const { code, stdout } = await run(`${base(uniqueTableName('refused'), 'http://127.0.0.1:9')}, maxAttempts: 1 }`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).join('\n')).toContain('the table checks failed');
  });
});
