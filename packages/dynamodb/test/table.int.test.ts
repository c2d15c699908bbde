// Initialisation (autoCreate, its race, TTL), client ownership, timeouts and
// errors, on the server at DYNAMODB_ENDPOINT.
import { createServer, type Server, type Socket } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BackendError, PayloadTooLargeError, SessionStore, StoreClosedError } from '@connect-dynamodb-session/core';
import { DynamoDBBackend, DynamoDBBackendError, itemSize, MAX_ITEM_BYTES, TableSchemaError } from '@connect-dynamodb-session/dynamodb';
import { toItem } from '../src/item';
import { numberSize } from '../src/item-size';
import { credentials, endpoint, newBackend, onMoto, rawClient, uniqueTableName } from './helpers';

const client = rawClient();
const tables: string[] = [];
const closing: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const backend of closing) await backend.close();
  for (const TableName of tables) {
    await client.send(new DeleteTableCommand({ TableName })).catch((error: Error) => {
      if (error.name !== 'ResourceNotFoundException') throw error;
    });
  }
  client.destroy();
});

/** A backend (closed and its table dropped after the suite) recording its log and err calls. */
function tracked(extra: Parameters<typeof newBackend>[0] = {}) {
  const logs: string[] = [];
  const errs: Array<[string, unknown]> = [];
  const backend = newBackend({ log: (m) => logs.push(m), err: (m, e) => errs.push([m, e]), ...extra });
  closing.push(backend);
  tables.push(backend.options.tableName);
  return { backend, logs, errs };
}

async function createRawTable(TableName: string, key = 'id'): Promise<void> {
  tables.push(TableName);
  await client.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

const later = Date.now() + 3_600_000;
/** Bytes of an item besides its payload: attribute names, the id, the expiry number. */
const overhead = (id: string) =>
  'id'.length +
  id.length +
  'expires'.length +
  numberSize(String(Math.floor(later / 1000))) +
  'content'.length +
  'rev'.length +
  numberSize('1');

describe('autoCreate', () => {
  it('creates a PROVISIONED table with the configured capacity by default (as 1.x)', async () => {
    const { backend } = tracked({ billingMode: undefined, readCapacity: 7, writeCapacity: 3 });
    await backend.init();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: backend.options.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 7, WriteCapacityUnits: 3 });
  });

  it('creates a PAY_PER_REQUEST table with a sort key for single-table designs', async () => {
    const { backend } = tracked({ keyAttribute: 'pk', sortKey: { name: 'sk', value: 'session' } });
    await backend.init();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: backend.options.tableName }));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('20 concurrent first requests on 20 instances, and 20 on one shared instance, create exactly one table and raise no error', async () => {
    const tableName = uniqueTableName('race');
    const created: string[] = [];
    const errs: unknown[] = [];
    const make = () => {
      const backend = newBackend({
        tableName,
        log: (m) => {
          if (/ created \(/.test(m)) created.push(m);
        },
        err: (_m, e) => errs.push(e),
      });
      closing.push(backend);
      return backend;
    };
    tables.push(tableName);
    const separate = Array.from({ length: 20 }, make);
    const shared = make();
    const results = await Promise.allSettled([
      ...separate.map((b) => b.get('nobody')),
      ...Array.from({ length: 20 }, () => shared.get('nobody')),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(created).toHaveLength(1);
    expect(errs).toEqual([]);
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    expect(TableNames.filter((name) => name === tableName)).toHaveLength(1);
    // Every instance works on it.
    await separate[3]?.create('someone', { payload: 'x', expiresAt: later });
    await expect(shared.get('someone')).resolves.toMatchObject({ payload: 'x' });
  });

  it('creates nothing when the table exists, and answers init from memory afterwards', async () => {
    const tableName = uniqueTableName('exists');
    await createRawTable(tableName);
    const watched = rawClient();
    const spy = jest.spyOn(watched, 'send');
    const backend = new DynamoDBBackend({ tableName, awsClient: watched, autoCreate: true });
    await Promise.all([backend.init(), backend.init(), backend.get('x')]);
    await backend.init();
    const sent = spy.mock.calls.map(([command]) => command.constructor.name);
    expect(sent).toEqual(['DescribeTableCommand', 'DescribeTimeToLiveCommand', 'GetItemCommand']);
    watched.destroy();
  });
});

describe('a DescribeTable error other than "not found"', () => {
  /** A real client whose DescribeTable is refused, as by an IAM policy without dynamodb:DescribeTable. */
  function deniedDescribe() {
    const watched = rawClient();
    const send = watched.send.bind(watched) as (command: object) => Promise<unknown>;
    const sent: string[] = [];
    jest.spyOn(watched, 'send').mockImplementation((async (command: object) => {
      sent.push(command.constructor.name);
      if (command instanceof DescribeTableCommand) {
        throw Object.assign(new Error('User is not authorized to perform: dynamodb:DescribeTable'), { name: 'AccessDeniedException' });
      }
      return send(command);
    }) as never);
    return { watched, sent };
  }

  it('with autoCreate is reported, and never taken for a missing table', async () => {
    const { watched, sent } = deniedDescribe();
    const backend = new DynamoDBBackend({ tableName: uniqueTableName('denied'), awsClient: watched, autoCreate: true });
    const error = await backend.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDBBackendError);
    expect(((error as Error).cause as Error).name).toBe('AccessDeniedException');
    expect(sent).not.toContain('CreateTableCommand');
    watched.destroy();
  });

  it('without autoCreate (least privilege) is reported to err, and the backend goes on', async () => {
    const tableName = uniqueTableName('denied');
    await createRawTable(tableName);
    const { watched } = deniedDescribe();
    const errs: string[] = [];
    const backend = new DynamoDBBackend({ tableName, awsClient: watched, err: (m) => errs.push(m) });
    await expect(backend.checkTable()).resolves.toEqual({ expiresItemsNatively: false });
    expect(errs.join('\n')).toContain('not allowed to DescribeTable');
    await backend.create('a', { payload: 'x', expiresAt: later });
    await expect(backend.get('a')).resolves.toMatchObject({ payload: 'x' });
    watched.destroy();
  });
});

describe('Time to Live', () => {
  if (onMoto) {
    it('autoCreate enables TTL on the expiry attribute, and init reports that DynamoDB expires items natively', async () => {
      const { backend, logs } = tracked({ expiresAttribute: 'expiresAt' });
      await expect(backend.init()).resolves.toEqual({ expiresItemsNatively: true });
      const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: backend.options.tableName }));
      expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
      expect(logs.filter((m) => m.includes('no cleanup scans'))).toHaveLength(1);
    });

    it('an existing table with TTL on the expiry attribute is detected without autoCreate', async () => {
      const tableName = uniqueTableName('ttl');
      await createRawTable(tableName);
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } }),
      );
      const { backend } = tracked({ tableName, autoCreate: false });
      await expect(backend.checkTable()).resolves.toEqual({ expiresItemsNatively: true });
      // The core then runs no cleanup scan.
      const store = new SessionStore({ backend, cleanupInterval: 0 });
      await expect(store.cleanup()).resolves.toEqual({ scanned: 0, deleted: 0 });
    });

    it('TTL on another attribute is reported, and cleanup scans stay on', async () => {
      const tableName = uniqueTableName('ttl-other');
      await createRawTable(tableName);
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } }),
      );
      const { backend, errs } = tracked({ tableName, autoCreate: false });
      await expect(backend.checkTable()).resolves.toEqual({ expiresItemsNatively: false });
      expect(errs.map(([m]) => m).join('\n')).toContain('TTL is on attribute "ttl", not on "expires"');
    });
  } else {
    it('dynalite: autoCreate logs that the server cannot enable TTL, and init reports false', async () => {
      const { backend, logs, errs } = tracked();
      await expect(backend.init()).resolves.toEqual({ expiresItemsNatively: false });
      expect(logs.join('\n')).toContain('does not support UpdateTimeToLive');
      expect(errs).toEqual([]);
    });
  }
});

describe('errors', () => {
  it('a missing table without autoCreate: the failing call says so, with the AWS error as cause; the table checks report it to err', async () => {
    const tableName = uniqueTableName('missing');
    const { backend, errs } = tracked({ tableName, autoCreate: false });
    const error = await backend.get('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDBBackendError);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'ERR_BACKEND', operation: 'get', command: 'GetItem', tableName });
    expect((error as Error).message).toContain(`table "${tableName}" does not exist (create it, or set autoCreate: true)`);
    expect(((error as Error).cause as Error).name).toBe('ResourceNotFoundException');
    const checked = await backend.checkTable().catch((e: unknown) => e);
    expect(checked).toMatchObject({ operation: 'init', command: 'DescribeTable' });
    expect(errs.map(([m]) => m)).toContain((checked as Error).message);

    // Through the core store: the same error, wrapped once, reaches the caller and the err hook.
    const reported: unknown[] = [];
    const store = new SessionStore({ backend, cleanupInterval: 0, err: (_m, e) => reported.push(e) });
    const viaStore = await store.get('x').catch((e: unknown) => e);
    expect(viaStore).toBeInstanceOf(DynamoDBBackendError);
    expect((viaStore as Error).cause).not.toBeInstanceOf(BackendError);
    expect(reported).toEqual([viaStore]);

    // Once the table exists, calls succeed, and the checks run again to learn its TTL.
    await createRawTable(tableName);
    await expect(store.get('x')).resolves.toBeNull();
    await expect(backend.checkTable()).resolves.toEqual({ expiresItemsNatively: false });
  });

  it('a failing item request: BackendError naming the operation and command, AWS error as cause', async () => {
    const { backend } = tracked();
    await backend.init();
    await client.send(new DeleteTableCommand({ TableName: backend.options.tableName }));
    const error = await backend.create('x', { payload: 'p', expiresAt: later }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDBBackendError);
    expect(error).toMatchObject({ operation: 'create', command: 'PutItem' });
    expect(((error as Error).cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('a table whose key schema differs from the options: each failing call reports it as TableSchemaError, with the AWS error as cause', async () => {
    const tableName = uniqueTableName('schema');
    await createRawTable(tableName, 'sid');
    const { backend, errs } = tracked({ tableName, autoCreate: false });
    const checked = await backend.checkTable().catch((e: unknown) => e);
    expect(checked).toBeInstanceOf(TableSchemaError);
    expect((checked as Error).message).toContain('has partition key "sid" and no sort key, but the options say partition key "id"');
    expect(errs.map(([m]) => m)).toEqual([(checked as Error).message]);
    const error = await backend.create('a', { payload: 'x', expiresAt: later }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TableSchemaError);
    expect(error).toMatchObject({ operation: 'create', command: 'PutItem', message: (checked as Error).message });
    expect(((error as Error).cause as Error).name).toBe('ValidationException');
  });

  it('an item over 400 KB is refused with PayloadTooLargeError before anything is sent', async () => {
    const watched = rawClient();
    const tableName = uniqueTableName('large');
    await createRawTable(tableName);
    const backend = new DynamoDBBackend({ tableName, awsClient: watched });
    await backend.init();
    const spy = jest.spyOn(watched, 'send');
    const id = 'a-large-session-id';
    // "id" + id + "expires" + N + "content" + payload + "rev" + N = 409 601 bytes: one byte too many.
    const payload = 'x'.repeat(MAX_ITEM_BYTES + 1 - overhead(id));
    expect(itemSize(toItem(id, { payload, expiresAt: later }, 1, backend.options))).toBe(MAX_ITEM_BYTES + 1);
    const error = await backend.create(id, { payload, expiresAt: later }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE', size: 409_601, limit: 409_600 });
    expect((error as Error).message).toContain('409601 bytes');
    expect((error as Error).message).not.toContain(id);
    expect(spy).not.toHaveBeenCalled();
    // Text counts in UTF-8 bytes: 204 800 "é" are 409 600 bytes (but only 204 800 characters), over with the rest.
    await expect(backend.create(id, { payload: 'é'.repeat(204_800), expiresAt: later })).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(spy).not.toHaveBeenCalled();
    watched.destroy();
  });

  // moto's own limit is 405 000 bytes (DynamoDB's is 409 600), so the exact boundary only holds on dynalite (and AWS).
  (onMoto ? it.skip : it)('an item of exactly 400 KB is sent and stored', async () => {
    const { backend } = tracked();
    const id = 'a-large-session-id';
    const payload = 'x'.repeat(MAX_ITEM_BYTES - overhead(id));
    await backend.create(id, { payload, expiresAt: later });
    await expect(backend.get(id)).resolves.toMatchObject({ payload });
  });

  describe('a server that accepts connections and never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    let port = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('fails a request after requestTimeout instead of hanging', async () => {
      const backend = new DynamoDBBackend({
        tableName: 'hangs',
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        clientConfig: { credentials },
        requestTimeout: 200,
        maxAttempts: 1,
      });
      const error = await backend.get('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DynamoDBBackendError);
      expect(((error as Error).cause as Error).name).toBe('TimeoutError');
      await backend.close();
    });
  });
});

describe('the client', () => {
  it('an awsClient passed in is used as given and never destroyed', async () => {
    const given = rawClient();
    const tableName = uniqueTableName('given');
    await createRawTable(tableName);
    const backend = new DynamoDBBackend({ tableName, awsClient: given });
    await backend.create('a', { payload: 'x', expiresAt: later });
    await backend.close();
    await expect(backend.get('a')).rejects.toBeInstanceOf(StoreClosedError);
    // Still usable by its owner.
    await expect(given.send(new PutItemCommand({ TableName: tableName, Item: { id: { S: 'b' } } }))).resolves.toBeDefined();
    given.destroy();
  });

  it('a client built by the backend is destroyed by close(), which is idempotent', async () => {
    const { backend } = tracked();
    await backend.init();
    const destroy = jest.spyOn((backend as unknown as { client: { destroy(): void } }).client, 'destroy');
    await backend.close();
    await backend.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('uses the endpoint given, with credentials from clientConfig', async () => {
    const { backend } = tracked({ endpoint: endpoint(), clientConfig: { credentials } });
    await expect(backend.get('nobody')).resolves.toBeNull();
  });
});
