// What each request read, kept per Koa ctx, through real Koa + koa-session over
// HTTP on the test server: saves are conditional on it (concurrent changes
// merge, a logout wins against a slow request), and touchAfter throttles per
// request with no per-process memory.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import Koa from 'koa';
import session from 'koa-session';
import request from 'supertest';
import { dropTable, uniqueTableName } from '../../../test-support/dynamodb';
import { createKoaStore, type KoaStore, type KoaStoreOptions } from '../src';
import { countingClient, sessionKeyOf } from './support';

const { client, requests, reset } = countingClient();
const tables: string[] = [];
const stores: KoaStore[] = [];

function newStore(tableName: string, options: Partial<KoaStoreOptions> = {}): KoaStore {
  if (!tables.includes(tableName)) tables.push(tableName);
  const store = createKoaStore({ tableName, awsClient: client, autoCreate: true, cleanupInterval: 0, ...options });
  stores.push(store);
  return store;
}

afterAll(async () => {
  for (const store of stores) await store.close();
  for (const tableName of tables) await dropTable(client, tableName);
  client.destroy();
});

const released = new Map<string, () => void>();
const entered = new Map<string, Promise<void>>();
const enter = new Map<string, () => void>();
function gate(name: string): void {
  entered.set(
    name,
    new Promise((resolve) => {
      enter.set(name, resolve);
    }),
  );
}

/**
 * GET /views, POST /put?key (sets data[key]), POST /prefs?key (sets
 * data.prefs[key]), POST /slow?gate (waits for the gate, then sets data.slow),
 * POST /logout.
 */
function app(store: KoaStore, rolling = true): ReturnType<Koa['callback']> {
  const koa = new Koa();
  koa.keys = ['test signing key'];
  koa.use(session({ store, maxAge: 60 * 60 * 1000, rolling }, koa));
  koa.use(async (ctx) => {
    const s = ctx.session as unknown as Record<string, unknown>;
    const key = String(ctx.query.key ?? '');
    switch (`${ctx.method} ${ctx.path}`) {
      case 'GET /views':
        s.views = Number(s.views ?? 0) + 1;
        ctx.body = { views: s.views };
        return;
      case 'GET /read':
        ctx.body = (s as unknown as { toJSON(): object }).toJSON();
        return;
      case 'POST /put':
        s[key] = key;
        ctx.body = {};
        return;
      case 'POST /prefs':
        s.prefs = { ...(s.prefs as object), [key]: true };
        ctx.body = {};
        return;
      case 'POST /slow': {
        const name = String(ctx.query.gate);
        enter.get(name)?.();
        await new Promise<void>((resolve) => released.set(name, resolve));
        s.slow = true;
        ctx.body = {};
        return;
      }
      case 'POST /logout':
        ctx.session = null;
        ctx.body = {};
        return;
      default:
        ctx.status = 404;
    }
  });
  return koa.callback();
}

async function holdsSession(tableName: string, key: string): Promise<boolean> {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }));
  return Item?.content !== undefined;
}

describe('koa-session saves conditional on what the request (ctx) read', () => {
  it('20 concurrent requests of one session over two instances, distinct keys top level and nested: none lost', async () => {
    const tableName = uniqueTableName('koa-read');
    const [a, b] = [app(newStore(tableName)), app(newStore(tableName))];
    const first = await request(a).get('/views').expect(200, { views: 1 });
    const cookies = first.headers['set-cookie'] as unknown as string[];
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const responses = await Promise.all(
      keys.map((key, i) =>
        request(i % 2 ? a : b)
          .post(i % 4 < 2 ? `/put?key=${key}` : `/prefs?key=${key}`)
          .set('Cookie', cookies),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(keys.map(() => 200));
    const { body } = await request(a).get('/read').set('Cookie', cookies).expect(200);
    const lost = keys.filter((key, i) => (i % 4 < 2 ? body[key] !== key : body.prefs?.[key] !== true));
    expect(lost).toEqual([]);
    expect(body.views).toBe(1);
  });

  it('a logout wins against a slow request of the same session, with a request of the old cookie between', async () => {
    const tableName = uniqueTableName('koa-read');
    const [a, b] = [app(newStore(tableName)), app(newStore(tableName))];
    const first = await request(a).get('/views').expect(200);
    const cookies = first.headers['set-cookie'] as unknown as string[];
    const key = sessionKeyOf(cookies) as string;
    gate('logout');
    const slow = request(a)
      .post('/slow?gate=logout')
      .set('Cookie', cookies)
      .then((r) => r);
    await entered.get('logout');
    await request(b).post('/logout').set('Cookie', cookies).expect(200);
    await request(a).get('/read').set('Cookie', cookies).expect(200, {});
    released.get('logout')?.();
    expect((await slow).status).toBe(200);
    expect(await holdsSession(tableName, key)).toBe(false);
    await request(b).get('/read').set('Cookie', cookies).expect(200, {});
  });

  it('with rolling, touchAfter throttles per request: another instance (no shared memory) writes nothing either', async () => {
    const tableName = uniqueTableName('koa-read');
    const first = await request(app(newStore(tableName, { touchAfter: 60_000 })))
      .get('/views')
      .expect(200);
    const cookies = first.headers['set-cookie'] as unknown as string[];
    const other = app(newStore(tableName, { touchAfter: 60_000 }));
    reset();
    for (let i = 0; i < 5; i++) await request(other).get('/read').set('Cookie', cookies).expect(200);
    expect(requests.GetItem).toBe(5);
    expect({ PutItem: requests.PutItem, UpdateItem: requests.UpdateItem }).toEqual({ PutItem: undefined, UpdateItem: undefined });
  });
});
