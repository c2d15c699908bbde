// Shared by the HTTP tests: a DynamoDB client for the test server that counts
// write requests, unique table names, and small Express apps.
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Application } from 'express';
import session from 'express-session';

/** Write requests seen by a client, by command. */
export interface WriteCounts {
  PutItem: number;
  UpdateItem: number;
  DeleteItem: number;
}

/** A client for the test server (dynalite unless DYNAMODB_ENDPOINT says otherwise) that counts the write requests it sends. */
export function countingClient(): { client: DynamoDBClient; writes: WriteCounts; resetWrites(): void } {
  const client = new DynamoDBClient({
    endpoint: process.env.DYNAMODB_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const writes: WriteCounts = { PutItem: 0, UpdateItem: 0, DeleteItem: 0 };
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      if (command in writes) writes[command as keyof WriteCounts]++;
      return next(args);
    },
    { step: 'initialize', name: 'countWrites' },
  );
  const resetWrites = (): void => {
    writes.PutItem = 0;
    writes.UpdateItem = 0;
    writes.DeleteItem = 0;
  };
  return { client, writes, resetWrites };
}

export const uniqueTableName = (what: string): string => `express-${what}-${randomUUID()}`;

export async function dropTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
}

/** The raw item stored for a session id, as DynamoDB has it. */
export async function rawItem(client: DynamoDBClient, tableName: string, id: string) {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
  return Item;
}

/** What a destroyed session leaves (the write protocol's tombstone): the key and an expiry, no content, no revision. */
export const tombstoneOf = (id: string) => ({ id: { S: id }, expires: { N: expect.any(String) } });

/** The session id inside an express-session `Set-Cookie` header (`sid=s%3A<id>.<signature>`). */
export function sessionIdOf(setCookie: string | string[] | undefined, name = 'connect.sid'): string {
  const header = [setCookie ?? []].flat().find((c) => c.startsWith(`${name}=`));
  if (!header) throw new Error(`no ${name} cookie was set`);
  const value = decodeURIComponent(header.slice(name.length + 1).split(';')[0]!);
  return value.slice(2, value.lastIndexOf('.'));
}

type ExpressFactory = () => Application;

/**
 * A small app over express-session with routes that exercise the store:
 * GET /count (modifies), GET /read (does not), POST /put?key&size, POST /login
 * (regenerate), POST /logout (destroy).
 */
export function sessionApp(
  createExpress: ExpressFactory,
  store: session.Store,
  sessionOptions: Partial<session.SessionOptions> = {},
): Application {
  const app = createExpress();
  app.use(
    session({
      secret: 'test secret',
      store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { maxAge: 60 * 60 * 1000 },
      ...sessionOptions,
    }),
  );
  app.get('/count', (req, res) => {
    const s = req.session as unknown as Record<string, unknown>;
    s.views = Number(s.views ?? 0) + 1;
    res.json({ views: s.views, id: req.sessionID });
  });
  app.get('/read', (req, res) => {
    const s = req.session as unknown as Record<string, unknown>;
    const { cookie: _cookie, ...data } = s;
    res.json({ id: req.sessionID, data, blobLength: typeof s.blob === 'string' ? s.blob.length : 0 });
  });
  app.post('/put', (req, res) => {
    const s = req.session as unknown as Record<string, unknown>;
    const key = String(req.query.key ?? 'value');
    const size = Number(req.query.size ?? 0);
    if (size > 0) s.blob = 'x'.repeat(size);
    else s[key] = String(req.query.value ?? key);
    res.json({ id: req.sessionID });
  });
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      (req.session as unknown as Record<string, unknown>).user = 'ada';
      res.json({ id: req.sessionID });
    });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ loggedOut: true })));
  });
  return app;
}
