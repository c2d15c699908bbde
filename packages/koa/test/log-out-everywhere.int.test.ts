// Log out everywhere through koa-session over HTTP, on the test server: two
// browsers of ada and one of bob; ada ends her other sessions; no Scan.
import Koa from 'koa';
import session from 'koa-session';
import request from 'supertest';
import { dropTable, testClient, uniqueTableName } from '../../../test-support/dynamodb';
import { createKoaStore, type KoaStore } from '../src';

const client = testClient();
const commands: Record<string, number> = {};
client.middlewareStack.add(
  (next, context) => (args) => {
    const name = String(context.commandName).replace(/Command$/, '');
    commands[name] = (commands[name] ?? 0) + 1;
    return next(args);
  },
  { step: 'initialize', name: 'countCommands' },
);
const tableName = uniqueTableName('koa-owners');
let store: KoaStore;

afterAll(async () => {
  await store?.close();
  await dropTable(client, tableName);
  client.destroy();
});

type Ctx = Koa.Context & { session: Record<string, unknown> | null; cookies: { get(name: string): string | undefined } };

function app(s: KoaStore): Koa {
  const koa = new Koa();
  koa.keys = ['test signing key'];
  koa.use(session({ store: s, maxAge: 3_600_000 }, koa));
  koa.use(async (koaCtx) => {
    const ctx = koaCtx as unknown as Ctx;
    const data = ctx.session as Record<string, unknown>;
    const key = ctx.cookies.get('koa.sess') ?? '';
    if (ctx.path === '/login') {
      data.userId = String(ctx.query.user);
      ctx.body = { ok: true };
    } else if (ctx.path === '/me') {
      if (data.userId) ctx.body = { user: data.userId };
      else ctx.status = 401;
    } else if (ctx.path === '/sessions') {
      ctx.body = await s.sessionsOf(String(data.userId));
    } else if (ctx.path === '/password') {
      ctx.body = { ended: await s.destroySessionsOf(String(data.userId), { except: key }) };
    }
  });
  return koa;
}

const cookiesOf = (res: request.Response) =>
  [res.headers['set-cookie'] ?? []]
    .flat()
    .map((c) => String(c).split(';')[0])
    .join('; ');

it('ends the other sessions of the user, keeps the current one and the other user, without a Scan', async () => {
  // ownerOf sees koa-session's data, as the app does.
  store = createKoaStore({
    tableName,
    awsClient: client,
    autoCreate: true,
    cleanupInterval: 0,
    ownerOf: (data) => data.userId as string | undefined,
  });
  const server = app(store).callback();
  const login = async (user: string) => cookiesOf(await request(server).post(`/login?user=${user}`).expect(200));
  const laptop = await login('ada');
  const phone = await login('ada');
  const bob = await login('bob');
  const listed = await request(server).get('/sessions').set('Cookie', laptop).expect(200);
  expect(listed.body).toHaveLength(2);
  expect((await request(server).post('/password').set('Cookie', laptop).expect(200)).body).toEqual({ ended: 1 });
  await request(server).get('/me').set('Cookie', laptop).expect(200);
  await request(server).get('/me').set('Cookie', phone).expect(401);
  await request(server).get('/me').set('Cookie', bob).expect(200);
  expect(commands.Scan ?? 0).toBe(0);
});
