// The store under Fastify 5 + @fastify/session (which needs only get, set and
// destroy, with callbacks), over HTTP. The server runs in a child process on
// the TypeScript sources: see fixtures/fastify-server.js for why.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { countingClient, dropTable, rawItem, tombstoneOf, uniqueTableName } from './support';

const { client } = countingClient();
const tableName = uniqueTableName('fastify');
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  server = spawn(
    process.execPath,
    ['-r', path.join(__dirname, 'fixtures/register-ts.js'), path.join(__dirname, 'fixtures/fastify-server.js')],
    {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, TABLE_NAME: tableName },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const match = /listening (\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    server.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    server.once('exit', (code) => reject(new Error(`the Fastify server exited (${code}) before listening:\n${stderr}`)));
  });
});

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await dropTable(client, tableName);
  client.destroy();
});

it('keeps a session across requests and destroys it', async () => {
  const agent = request.agent(url);
  const first = await agent.get('/count').expect(200);
  expect(first.body.views).toBe(1);
  await agent.get('/count').expect(200, { views: 2, id: first.body.id });
  await agent.get('/count').expect(200, { views: 3, id: first.body.id });
  expect(JSON.parse((await rawItem(client, tableName, first.body.id))!.content!.S!)).toMatchObject({ views: 3 });

  await agent.post('/logout').expect(200);
  expect(await rawItem(client, tableName, first.body.id)).toEqual(tombstoneOf(first.body.id));
  const fresh = await agent.get('/count').expect(200);
  expect(fresh.body.views).toBe(1);
  expect(fresh.body.id).not.toBe(first.body.id);
});

it('keeps two clients apart', async () => {
  const a = request.agent(url);
  const b = request.agent(url);
  const [ra, rb] = await Promise.all([a.get('/count'), b.get('/count')]);
  expect(ra.body.id).not.toBe(rb.body.id);
  await a.get('/count').expect(200, { views: 2, id: ra.body.id });
  await b.get('/count').expect(200, { views: 2, id: rb.body.id });
});

/** The `Cookie` header a browser sends back after `res`. */
const cookieOf = (res: request.Response) => String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
let gates = 0;

/**
 * Starts a slow request of the session in `cookie` and resolves once it has
 * loaded its session; `finish()` lets it change `key` and save.
 */
async function slowRequest(cookie: string, key = 'slow'): Promise<{ finish(): Promise<request.Response> }> {
  const gate = `g${++gates}`;
  const pending = request(url)
    .post(`/slow?gate=${gate}&key=${key}`)
    .set('Cookie', cookie)
    .then((r) => r);
  await request(url).get(`/entered?gate=${gate}`).expect(200);
  return {
    finish: async () => {
      await request(url).post(`/release?gate=${gate}`).expect(200);
      return pending;
    },
  };
}

describe('@fastify/session has no hook between get and set: saves are blind', () => {
  it('a logout still wins against a slow request of the same session, with a request of the old cookie between', async () => {
    const agent = request.agent(url);
    const first = await agent.get('/count').expect(200);
    const cookie = cookieOf(first);
    const slow = await slowRequest(cookie);
    await request(url).post('/logout').set('Cookie', cookie).expect(200);
    const between = await request(url).get('/read').set('Cookie', cookie).expect(200);
    expect(between.body.data).toEqual({});
    expect((await slow.finish()).status).toBe(200);
    // The slow request's save found the tombstone and wrote nothing.
    expect(await rawItem(client, tableName, first.body.id)).toEqual(tombstoneOf(first.body.id));
    const after = await request(url).get('/read').set('Cookie', cookie).expect(200);
    expect(after.body.data).toEqual({});
  });

  it('two overlapping requests of one session: both succeed, the last save wins whole', async () => {
    const agent = request.agent(url);
    const first = await agent.get('/count').expect(200);
    const cookie = cookieOf(first);
    const a = await slowRequest(cookie, 'a');
    const b = await slowRequest(cookie, 'b');
    expect((await a.finish()).status).toBe(200);
    expect((await b.finish()).status).toBe(200);
    const after = await request(url).get('/read').set('Cookie', cookie).expect(200);
    // b read the session before a saved and wrote all of it back: a's change is lost (last writer wins),
    // as with every store under @fastify/session. Nothing fails.
    expect(after.body.data).toEqual({ views: 1, b: true });
  });
});
