// Log out everywhere (issue 14) through express-session over HTTP, on the test
// server (dynalite by default; moto with DYNAMODB_ENDPOINT and DYNAMODB_SERVER=moto):
// three browsers of one user and one of another, two app instances on one
// table; list from the second instance; end all but the current one; no Scan.
// Races: a request of an ended session in flight cannot bring it back.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BackendContractError, InvalidOptionError, MemoryBackend } from '@connect-dynamodb-session/core';
import connectDynamoDBSession from 'connect-dynamodb-session';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { dropTable, testClient, uniqueTableName } from '../../../test-support/dynamodb';
import { rawItem } from './support';

const DynamoStore = connectDynamoDBSession(session);
type Store = InstanceType<typeof DynamoStore>;
const TRIALS = Number(process.env.RACE_TRIALS ?? (process.env.SOAK ? 500 : 12));
/** A GSI is eventually consistent (DynamoDB: usually well under a second); the local servers update it at once. */
const INDEX_LAG_MS = Number(process.env.INDEX_LAG_MS ?? 0);

interface Instance {
  store: Store;
  url: string;
  server: Server;
  client: DynamoDBClient;
  /** DynamoDB commands this instance's client sent, by name. */
  commands: Record<string, number>;
}

const instances: Instance[] = [];
const tables: string[] = [];
const admin = testClient();

afterAll(async () => {
  for (const { server, store, client } of instances) {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    client.destroy();
  }
  await Promise.all(tables.map((t) => dropTable(admin, t)));
  admin.destroy();
});

/** Gates that hold a request after it loaded its session, until released. */
const gates = new Map<string, { entered: () => void; release: Promise<void> }>();

async function startInstance(tableName: string, extra: Record<string, unknown> = {}): Promise<Instance> {
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
  const store = new DynamoStore({
    tableName,
    awsClient: client,
    autoCreate: true,
    billingMode: 'PAY_PER_REQUEST',
    cleanupInterval: 0,
    ownerOf: (s) => (s as { userId?: string }).userId,
    ...extra,
  });
  await store.ready();
  const app = express();
  app.use(session({ secret: 'test secret', store, resave: false, saveUninitialized: false, rolling: true, cookie: { maxAge: 3_600_000 } }));
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error);
      (req.session as unknown as { userId: string }).userId = String(req.query.user);
      res.json({ id: req.sessionID });
    });
  });
  app.get('/me', (req, res) => {
    const userId = (req.session as unknown as { userId?: string }).userId;
    if (!userId) return res.sendStatus(401);
    res.json({ user: userId });
  });
  app.get('/sessions', async (req, res, next) => {
    try {
      const userId = (req.session as unknown as { userId: string }).userId;
      const current = store.core.options.storageId(req.sessionID);
      res.json((await store.sessionsOf(userId)).map((s) => ({ ...s, current: s.id === current })));
    } catch (error) {
      next(error);
    }
  });
  app.post('/password', async (req, res, next) => {
    const userId = (req.session as unknown as { userId?: string }).userId;
    if (!userId) return res.sendStatus(401);
    try {
      res.json({ ended: await store.destroySessionsOf(userId, { except: req.sessionID }) });
    } catch (error) {
      next(error);
    }
  });
  // Loads the session, waits at its gate, then changes the session (a save) or not (a touch, with rolling).
  app.post('/slow', async (req, res) => {
    const gate = gates.get(String(req.query.gate));
    if (gate) {
      gate.entered();
      await gate.release;
    }
    if (req.query.change === '1') (req.session as unknown as { seen: number }).seen = Date.now();
    res.json({ id: req.sessionID });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const instance = { store, server, client, commands, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  instances.push(instance);
  return instance;
}

const cookieOf = (res: request.Response) => String(res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';

async function login(url: string, user: string): Promise<{ cookie: string; id: string }> {
  const res = await request(url).post(`/login?user=${user}`).expect(200);
  return { cookie: cookieOf(res), id: res.body.id as string };
}

const status = async (url: string, cookie: string) => (await request(url).get('/me').set('Cookie', cookie)).status;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function twoInstances(label: string, extra: Record<string, unknown> = {}) {
  const tableName = uniqueTableName(label);
  tables.push(tableName);
  const a = await startInstance(tableName, extra);
  const b = await startInstance(tableName, extra);
  return { tableName, a, b };
}

describe('log out everywhere over HTTP', () => {
  it('three browsers of ada and one of bob: list from the other instance, end all but the current one, without a Scan', async () => {
    const { tableName, a, b } = await twoInstances('lo-everywhere');
    const laptop = await login(a.url, 'ada');
    const phone = await login(b.url, 'ada');
    const tablet = await login(a.url, 'ada');
    const bob = await login(b.url, 'bob');
    await pause(INDEX_LAG_MS);

    // The owner is in its own attribute, never in the session data.
    const item = await rawItem(admin, tableName, laptop.id);
    expect(item?.owner).toEqual({ S: 'ada' });
    expect(JSON.parse(String(item?.content?.S))).not.toHaveProperty('owner');

    const listed = await request(b.url).get('/sessions').set('Cookie', laptop.cookie).expect(200);
    expect(listed.body.map((s: { id: string }) => s.id).sort()).toEqual([laptop.id, phone.id, tablet.id].sort());
    expect(listed.body.filter((s: { current: boolean }) => s.current).map((s: { id: string }) => s.id)).toEqual([laptop.id]);
    for (const s of listed.body) expect(s.expiresAt).toBeGreaterThan(Date.now());

    const scansBefore = (a.commands.Scan ?? 0) + (b.commands.Scan ?? 0);
    const changed = await request(b.url).post('/password').set('Cookie', laptop.cookie).expect(200);
    expect(changed.body).toEqual({ ended: 2 });

    expect(await status(a.url, laptop.cookie)).toBe(200);
    expect(await status(b.url, laptop.cookie)).toBe(200);
    expect(await status(a.url, phone.cookie)).toBe(401);
    expect(await status(b.url, tablet.cookie)).toBe(401);
    expect(await status(a.url, bob.cookie)).toBe(200);
    // The ended ones are tombstones: no content, no owner (so out of the index).
    for (const id of [phone.id, tablet.id])
      expect(Object.keys((await rawItem(admin, tableName, id)) ?? {}).sort()).toEqual(['expires', 'id']);
    expect((await request(a.url).get('/sessions').set('Cookie', laptop.cookie)).body.map((s: { id: string }) => s.id)).toEqual([laptop.id]);
    expect((await request(a.url).get('/sessions').set('Cookie', bob.cookie)).body.map((s: { id: string }) => s.id)).toEqual([bob.id]);
    expect(scansBefore + (a.commands.Scan ?? 0) + (b.commands.Scan ?? 0)).toBe(0);
    expect(b.commands.Query).toBeGreaterThan(0);
  });

  it('with hashIds: the owner is stored as a keyed hash, ids are hashes, except takes the session id', async () => {
    const { tableName, a, b } = await twoInstances('lo-hashed', { hashIds: { secret: 'a secret of enough bytes for a test' } });
    const laptop = await login(a.url, 'ada');
    const phone = await login(b.url, 'ada');
    await pause(INDEX_LAG_MS);
    const hashedId = a.store.core.options.storageId(laptop.id);
    const item = await rawItem(admin, tableName, hashedId);
    expect(item?.owner?.S).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(item?.owner?.S).not.toContain('ada');
    expect(await rawItem(admin, tableName, laptop.id)).toBeUndefined();
    const listed = await request(b.url).get('/sessions').set('Cookie', laptop.cookie).expect(200);
    expect(listed.body.map((s: { id: string }) => s.id).sort()).toEqual([hashedId, a.store.core.options.storageId(phone.id)].sort());
    expect((await request(b.url).post('/password').set('Cookie', laptop.cookie).expect(200)).body).toEqual({ ended: 1 });
    expect(await status(a.url, laptop.cookie)).toBe(200);
    expect(await status(a.url, phone.cookie)).toBe(401);
  });

  it('a touch does not change the owner; a save without one takes it out of the index', async () => {
    const { tableName, a } = await twoInstances('lo-touch');
    const laptop = await login(a.url, 'ada');
    const before = await rawItem(admin, tableName, laptop.id);
    await request(a.url).post('/slow').set('Cookie', laptop.cookie).expect(200); // unchanged: a touch (rolling)
    const after = await rawItem(admin, tableName, laptop.id);
    expect(after?.owner).toEqual({ S: 'ada' });
    expect(after?.rev).toEqual(before?.rev);
    // Log out by removing the user from the session (no destroy): the owner goes with it.
    await a.store.set(laptop.id, { cookie: { expires: new Date(Date.now() + 3_600_000), originalMaxAge: 3_600_000 } } as never);
    expect((await rawItem(admin, tableName, laptop.id))?.owner).toBeUndefined();
    expect(await a.store.sessionsOf('ada')).toEqual([]);
  });

  it('callbacks, like every other method of the Express store', async () => {
    const { a } = await twoInstances('lo-callbacks');
    const laptop = await login(a.url, 'ada');
    await login(a.url, 'ada');
    await pause(INDEX_LAG_MS);
    const listed = await new Promise<unknown[]>((resolve, reject) =>
      a.store.sessionsOf('ada', (error, sessions) => (error ? reject(error) : resolve(sessions ?? []))),
    );
    expect(listed).toHaveLength(2);
    const ended = await new Promise<number>((resolve, reject) =>
      a.store.destroySessionsOf('ada', { except: laptop.id }, (error, n) => (error ? reject(error) : resolve(n ?? -1))),
    );
    expect(ended).toBe(1);
    const none = await new Promise<number>((resolve, reject) =>
      a.store.destroySessionsOf('nobody', (error, n) => (error ? reject(error) : resolve(n ?? -1))),
    );
    expect(none).toBe(0);
    // An error reaches the callback, once.
    const error = await new Promise<unknown>((resolve) => a.store.sessionsOf('', (e) => resolve(e)));
    expect(error).toMatchObject({ code: 'ERR_INVALID_OWNER' });
  });

  it('clear errors: no ownerOf, and a backend that cannot list by owner', async () => {
    const { a } = await twoInstances('lo-errors', { ownerOf: undefined });
    await expect(a.store.sessionsOf('ada')).rejects.toThrow(InvalidOptionError);
    await expect(a.store.destroySessionsOf('ada')).rejects.toThrow(/"ownerOf"/);
    // Every required method, and neither listByOwner nor destroyIfOwnedBy.
    const memory = new MemoryBackend();
    const bare = {
      init: () => memory.init(),
      get: (id: string) => memory.get(id),
      create: (...args: Parameters<MemoryBackend['create']>) => memory.create(...args),
      replace: (...args: Parameters<MemoryBackend['replace']>) => memory.replace(...args),
      destroy: (...args: Parameters<MemoryBackend['destroy']>) => memory.destroy(...args),
      updateExpiry: (...args: Parameters<MemoryBackend['updateExpiry']>) => memory.updateExpiry(...args),
    };
    expect(() => new DynamoStore({ backend: bare as never, ownerOf: () => 'x' })).toThrow(BackendContractError);
    expect(() => new DynamoStore({ backend: bare as never, ownerOf: () => 'x' })).toThrow(/listByOwner.*destroyIfOwnedBy/);
  });
});

describe(`a request of an ended session in flight during destroySessionsOf (${TRIALS} trials per kind)`, () => {
  for (const change of [true, false]) {
    it(
      `${change ? 'a save' : 'a touch'} of the ended session does not revive it`,
      async () => {
        const { tableName, a, b } = await twoInstances(`lo-race-${change ? 'save' : 'touch'}`);
        let revived = 0;
        let errors = 0;
        for (let trial = 0; trial < TRIALS; trial++) {
          const user = `user-${trial}`;
          const current = await login(a.url, user);
          const other = await login(b.url, user);
          await pause(INDEX_LAG_MS);
          // A request of `other` loads its session on instance a and waits; meanwhile the password changes on b.
          const name = `gate-${change}-${trial}`;
          let entered!: () => void;
          let release!: () => void;
          const enteredP = new Promise<void>((resolve) => {
            entered = resolve;
          });
          gates.set(name, { entered, release: new Promise<void>((resolve) => (release = resolve)) });
          const slow = request(a.url)
            .post(`/slow?gate=${name}&change=${change ? 1 : 0}`)
            .set('Cookie', other.cookie)
            .then((r) => r);
          await enteredP;
          const changed = await request(b.url).post('/password').set('Cookie', current.cookie);
          release();
          const slowRes = await slow;
          gates.delete(name);
          if (changed.status !== 200 || changed.body.ended !== 1 || slowRes.status !== 200) errors++;
          const item = await rawItem(admin, tableName, other.id);
          if (item?.content !== undefined || (await status(b.url, other.cookie)) !== 401) revived++;
          if ((await status(a.url, current.cookie)) !== 200) errors++;
        }
        expect({ revived, errors }).toEqual({ revived: 0, errors: 0 });
      },
      60_000 + TRIALS * 500,
    );
  }
});
