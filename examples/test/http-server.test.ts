// The node:http example (plain JS, core only), started on port 0 and driven
// with fetch, on the DynamoDB server jest's global setup started: the example
// runs on the backend it documents, and the test reads the table behind it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SessionStore } from '@connect-dynamodb-session/core';
import { createFakeClock } from '@connect-dynamodb-session/core/testing';
import { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';

interface ExampleModule {
  createServer(options: { store: SessionStore; secret: string; maxAge?: number; now?: () => number }): Server;
  sign(id: string, secret: string): string;
}
// The example is plain CommonJS, as an app without a build step would be.
const { createServer, sign } = require('../http-server/server') as ExampleModule;

const SECRET = 'example test secret';
const MAX_AGE = 30 * 60 * 1000;

describe('examples/http-server: sessions on node:http with the core store', () => {
  const client = testClient();
  const writes: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      writes[command] = (writes[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const resetCounts = (): void => {
    for (const key of Object.keys(writes)) delete writes[key];
  };
  const tableName = uniqueTableName('http-server-example');
  const clock = createFakeClock(Date.now());
  const store = new SessionStore({
    backend: new DynamoDBBackend({ tableName, awsClient: client, autoCreate: true }),
    now: clock.now,
    cleanupInterval: 0,
  });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer({ store, secret: SECRET, maxAge: MAX_AGE });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await dropTable(client, tableName);
    client.destroy();
  });

  /** A tiny cookie-keeping client: fetch has no cookie jar. */
  function browser() {
    let cookie: string | undefined;
    return {
      get cookie() {
        return cookie;
      },
      set cookie(value) {
        cookie = value;
      },
      async send(method: string, path: string): Promise<{ status: number; body: unknown; setCookie: string | null }> {
        const response = await fetch(base + path, { method, headers: cookie ? { cookie } : {} });
        const setCookie = response.headers.get('set-cookie');
        if (setCookie) cookie = setCookie.split(';')[0];
        return { status: response.status, body: response.status === 200 ? await response.json() : null, setCookie };
      },
    };
  }

  const idOf = (cookie: string | undefined): string => {
    const value = decodeURIComponent((cookie as string).slice('sid='.length));
    return value.slice(0, value.lastIndexOf('.'));
  };

  async function rawItem(id: string) {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
    return Item;
  }

  it('keeps a session across requests under a signed, random id, in DynamoDB', async () => {
    const b = browser();
    expect((await b.send('GET', '/')).body).toEqual({ views: 1 });
    expect((await b.send('GET', '/')).body).toEqual({ views: 2 });
    const id = idOf(b.cookie);
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    expect(decodeURIComponent((b.cookie as string).slice('sid='.length))).toBe(sign(id, SECRET));
    const item = await rawItem(id);
    expect(JSON.parse(item?.content?.S as string)).toMatchObject({ views: 2 });
    expect(Number(item?.expires?.N)).toBe(Math.floor((clock.now() + MAX_AGE) / 1000));
  });

  it('stores nothing and sets no cookie for a visitor whose session stays empty', async () => {
    resetCounts();
    const response = await browser().send('GET', '/me');
    expect(response.body).toEqual({ user: null, views: 0 });
    expect(response.setCookie).toBeNull();
    expect(writes.PutItem).toBeUndefined();
  });

  it('touches an unchanged session instead of rewriting it, at most once per touchAfter', async () => {
    const b = browser();
    await b.send('GET', '/');
    resetCounts();
    for (let i = 0; i < 30; i++) {
      clock.advance(1000);
      expect((await b.send('GET', '/me')).body).toEqual({ user: null, views: 1 });
    }
    expect(writes.PutItem).toBeUndefined();
    expect(writes.UpdateItem).toBe(3);
  });

  it('ignores a cookie whose signature does not match', async () => {
    const b = browser();
    await b.send('GET', '/');
    await b.send('GET', '/');
    const id = idOf(b.cookie);
    b.cookie = `sid=${encodeURIComponent(`${id}.forged`)}`;
    expect((await b.send('GET', '/')).body).toEqual({ views: 1 });
    expect(idOf(b.cookie)).not.toBe(id);
  });

  it('starts a signed-in session under a new id, and destroys the old one (a tombstone)', async () => {
    const b = browser();
    await b.send('GET', '/');
    const before = idOf(b.cookie);
    expect((await b.send('POST', '/login?name=ada')).body).toEqual({ user: 'ada' });
    const after = idOf(b.cookie);
    expect(after).not.toBe(before);
    const old = await rawItem(before);
    expect(old?.content).toBeUndefined();
    expect(old?.expires).toBeDefined();
    expect((await b.send('GET', '/me')).body).toEqual({ user: 'ada', views: 1 });
  });

  it('destroys the session on logout; the old cookie, replayed, finds nothing', async () => {
    const b = browser();
    await b.send('POST', '/login?name=ada');
    const signedIn = b.cookie;
    const response = await b.send('POST', '/logout');
    expect(response.setCookie).toMatch(/Max-Age=0/);
    const tombstone = await rawItem(idOf(signedIn));
    expect(tombstone?.content).toBeUndefined();
    expect(tombstone?.expires).toBeDefined();
    b.cookie = signedIn;
    expect((await b.send('GET', '/me')).body).toEqual({ user: null, views: 0 });
  });

  it('forgets a session idle for longer than maxAge, by the store’s clock', async () => {
    const b = browser();
    await b.send('GET', '/');
    clock.advance(MAX_AGE - 1000);
    expect((await b.send('GET', '/')).body).toEqual({ views: 2 });
    clock.advance(MAX_AGE);
    expect((await b.send('GET', '/')).body).toEqual({ views: 1 });
  });
});
