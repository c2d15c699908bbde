// Races through express-session over HTTP (Express 5 on loopback, the store on
// the test server), on one instance and on two instances sharing one table.
// The write protocol's two promises, counted:
//   - a logout wins: no save of a request still in flight, on any instance,
//     brings the session back, whatever comes between (issue 11);
//   - concurrent requests lose nothing: changes to distinct keys all survive.
// `npm run soak` (SOAK=1) runs 1,000 trials of each race; `npm test` fewer.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { rawItem, sessionApp } from '../../packages/express/test/support';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';

const SOAK = Boolean(process.env.SOAK);
const TRIALS = Number(process.env.RACE_TRIALS ?? (SOAK ? 1000 : 28));
/** Cookie-less requests sent while the slow request is open: more than 1.x's touch memo held (10,000). */
const FLOOD = Number(process.env.FLOOD_REQUESTS ?? (SOAK ? 10_500 : 500));
const FLOOD_CONCURRENCY = 16;
/** Rounds of 20 concurrent requests of one session (so SOAK: 1,000 changes). */
const ROUNDS = Number(process.env.CONCURRENT_ROUNDS ?? (SOAK ? 50 : 3));
const WAVE = 20;

const DynamoStore = connectDynamoDBSession(session);
type Store = InstanceType<typeof DynamoStore>;

interface Instance {
  store: Store;
  url: string;
  server: Server;
  client: DynamoDBClient;
}

const instances: Instance[] = [];
/** Everything any store reported to its `err` hook: a save that fails at the end of a request does not change the 200. */
const reported: unknown[] = [];
const tables: string[] = [];
const admin = testClient();

/** A gate a slow request waits at: `entered` once it has loaded its session, `release()` to let it change and save it. */
interface Gate {
  entered: Promise<void>;
  enter(): void;
  released: Promise<void>;
  release(): void;
}
const gates = new Map<string, Gate>();
function gateOf(name: string): Gate {
  let gate = gates.get(name);
  if (!gate) {
    const g = {} as Gate;
    g.entered = new Promise((resolve) => {
      g.enter = resolve;
    });
    g.released = new Promise((resolve) => {
      g.release = resolve;
    });
    gates.set(name, g);
    gate = g;
  }
  return gate;
}

/** One app instance: its own store and DynamoDB client, an Express app listening on loopback. */
async function startInstance(tableName: string, sessionOptions: Partial<session.SessionOptions> = {}): Promise<Instance> {
  const client = testClient();
  const store = new DynamoStore({
    tableName,
    awsClient: client,
    autoCreate: true,
    billingMode: 'PAY_PER_REQUEST',
    cleanupInterval: 0,
    err: (_message, error) => reported.push(error),
  });
  await store.ready();
  const app = sessionApp(express, store, sessionOptions);
  app.post('/slow', async (req, res) => {
    const gate = gateOf(String(req.query.gate));
    gate.enter();
    await gate.released;
    (req.session as unknown as Record<string, unknown>).slow = Date.now();
    res.json({ id: req.sessionID });
  });
  app.post('/nested', (req, res) => {
    const s = req.session as unknown as { prefs?: Record<string, unknown> };
    s.prefs = { ...s.prefs, [String(req.query.key)]: true };
    res.json({ id: req.sessionID });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const instance = { store, server, client, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  instances.push(instance);
  return instance;
}

async function newTable(label: string): Promise<string> {
  const tableName = uniqueTableName(label);
  tables.push(tableName);
  return tableName;
}

afterAll(async () => {
  for (const { server, store, client } of instances) {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    client.destroy();
  }
  await Promise.all(tables.map((t) => dropTable(admin, t)));
  admin.destroy();
});

const cookieOf = (res: request.Response) => String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;

async function waves(trials: number, run: (trial: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < trials; start += WAVE) {
    await Promise.all(Array.from({ length: Math.min(WAVE, trials - start) }, (_, i) => run(start + i)));
  }
}

let gateCount = 0;
/** Starts a slow request and resolves once it has read its session; `finish()` lets it save, and resolves with its response. */
async function slowRequest(url: string, cookie: string): Promise<{ finish(): Promise<request.Response> }> {
  const name = `gate-${++gateCount}`;
  const gate = gateOf(name);
  const pending = request(url)
    .post(`/slow?gate=${name}`)
    .set('Cookie', cookie)
    .then((r) => r);
  await gate.entered;
  return {
    finish: () => {
      gate.release();
      return pending.finally(() => gates.delete(name));
    },
  };
}

/** A session's item still holds a session (not a tombstone, not nothing). */
async function holdsSession(tableName: string, id: string): Promise<boolean> {
  return (await rawItem(admin, tableName, id))?.content !== undefined;
}

type Step = 'logout' | 'next' | 'slow';
const ORDERINGS: Step[][] = [
  ['logout', 'next', 'slow'], // the one issue 11 found: 200 of 200 revived before the protocol
  ['logout', 'slow', 'next'],
  ['next', 'logout', 'slow'],
  ['next', 'slow', 'logout'],
  ['slow', 'logout', 'next'],
  ['slow', 'next', 'logout'],
];

describe(`a logout against a slow request and a request with the old cookie (${TRIALS} trials per setup, every ordering)`, () => {
  for (const setup of ['one instance', 'two instances'] as const) {
    it(
      `${setup}: 0 sessions revived, 0 errors`,
      async () => {
        const tableName = await newTable('races-logout');
        const a = await startInstance(tableName);
        const b = setup === 'two instances' ? await startInstance(tableName) : a;
        const revived = { total: 0, byOrdering: ORDERINGS.map(() => 0) };
        let errors = 0;
        const reportedBefore = reported.length;
        let allAtOnce = 0;
        await waves(TRIALS, async (trial) => {
          const login = await request(a.url).get('/count');
          const cookie = cookieOf(login);
          const id = login.body.id as string;
          // The slow request runs on a; the logout on b; the next request alternates between them.
          const slow = await slowRequest(a.url, cookie);
          const next = () =>
            request(trial % 2 === 0 ? a.url : b.url)
              .get(trial % 4 < 2 ? '/read' : '/count')
              .set('Cookie', cookie);
          const logout = () => request(b.url).post('/logout').set('Cookie', cookie);
          const steps: Record<Step, () => Promise<request.Response>> = { logout, next, slow: slow.finish };
          const ordering = trial % (ORDERINGS.length + 1);
          let responses: request.Response[];
          if (ordering === ORDERINGS.length) {
            allAtOnce++;
            responses = await Promise.all([logout(), next(), slow.finish()]);
          } else {
            responses = [];
            for (const step of ORDERINGS[ordering]!) responses.push(await steps[step]());
          }
          errors += [login, ...responses].filter((r) => r.status !== 200).length;
          if (await holdsSession(tableName, id)) {
            revived.total++;
            if (ordering < ORDERINGS.length) revived.byOrdering[ordering]!++;
          }
        });
        errors += reported.length - reportedBefore;
        expect({ revived: revived.total, errors }).toEqual({ revived: 0, errors: 0 });
        expect(revived.byOrdering).toEqual(ORDERINGS.map(() => 0));
        expect(allAtOnce).toBeGreaterThan(0);
      },
      60_000 + TRIALS * 100,
    );
  }

  it(`the cookie-less flood: ${FLOOD} cookie-less requests while a slow request is open after the logout: 0 revived`, async () => {
    // 1.x forgot the logout once touchMemoSize (10,000) other sessions had passed through the instance.
    // With saveUninitialized every cookie-less request creates a session.
    const tableName = await newTable('races-flood');
    const a = await startInstance(tableName, { saveUninitialized: true });
    const b = await startInstance(tableName, { saveUninitialized: true });
    const reportedBefore = reported.length;
    const login = await request(a.url).get('/count').expect(200);
    const cookie = cookieOf(login);
    const slow = await slowRequest(a.url, cookie);
    await request(b.url).post('/logout').set('Cookie', cookie).expect(200);
    let sent = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: FLOOD_CONCURRENCY }, async () => {
        while (sent < FLOOD) {
          sent++;
          const response = await fetch(`${a.url}/read`);
          await response.arrayBuffer();
          if (response.status !== 200) failed++;
        }
      }),
    );
    await request(a.url).get('/read').set('Cookie', cookie).expect(200);
    expect((await slow.finish()).status).toBe(200);
    expect({ revived: await holdsSession(tableName, login.body.id), failed, reported: reported.length - reportedBefore }).toEqual({
      revived: false,
      failed: 0,
      reported: 0,
    });
    expect(await request(a.url).get('/read').set('Cookie', cookie).expect(200)).toMatchObject({ body: { data: {} } });
  }, 300_000);

  it(
    `clear() while slow requests are open (${TRIALS} sessions, one clear() per ${WAVE}): 0 revived`,
    async () => {
      const tableName = await newTable('races-clear');
      const a = await startInstance(tableName);
      const b = await startInstance(tableName);
      let revived = 0;
      let errors = 0;
      const reportedBefore = reported.length;
      for (let start = 0; start < TRIALS; start += WAVE) {
        const count = Math.min(WAVE, TRIALS - start);
        const logins = await Promise.all(Array.from({ length: count }, (_, i) => request((start + i) % 2 ? a.url : b.url).get('/count')));
        const slows = await Promise.all(logins.map((login, i) => slowRequest(i % 2 ? b.url : a.url, cookieOf(login))));
        await (start % (2 * WAVE) === 0 ? a : b).store.clear();
        // Half the sessions also see a request with the old cookie between clear() and the slow save.
        const between = await Promise.all(
          logins.filter((_, i) => i % 2 === 0).map((login) => request(a.url).get('/count').set('Cookie', cookieOf(login))),
        );
        const finished = await Promise.all(slows.map((s) => s.finish()));
        errors += [...logins, ...between, ...finished].filter((r) => r.status !== 200).length;
        for (const login of logins) if (await holdsSession(tableName, login.body.id)) revived++;
      }
      errors += reported.length - reportedBefore;
      expect({ revived, errors }).toEqual({ revived: 0, errors: 0 });
    },
    60_000 + TRIALS * 100,
  );
});

describe(`20 concurrent requests of one session over two instances (${ROUNDS} rounds)`, () => {
  let tableName: string;
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    tableName = await newTable('races-concurrent');
    a = await startInstance(tableName);
    b = await startInstance(tableName);
  });
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);

  async function round(path: (key: string) => string): Promise<{ cookie: string; statuses: number[] }> {
    const login = await request(a.url).get('/count').expect(200);
    const cookie = cookieOf(login);
    await request(b.url).post('/nested?key=first').set('Cookie', cookie).expect(200);
    const responses = await Promise.all(
      keys.map((key, i) =>
        request(i % 2 ? b.url : a.url)
          .post(path(key))
          .set('Cookie', cookie),
      ),
    );
    return { cookie, statuses: responses.map((r) => r.status) };
  }
  const data = async (cookie: string) => (await request(a.url).get('/read').set('Cookie', cookie).expect(200)).body.data;

  it('each changing a distinct top-level key: 0 changes lost, 0 errors', async () => {
    let lost = 0;
    let errors = 0;
    const reportedBefore = reported.length;
    for (let r = 0; r < ROUNDS; r++) {
      const { cookie, statuses } = await round((key) => `/put?key=${key}`);
      errors += statuses.filter((s) => s !== 200).length;
      const stored = await data(cookie);
      lost += keys.filter((key) => stored[key] !== key).length;
      if (stored.views !== 1 || stored.prefs?.first !== true) lost++;
    }
    errors += reported.length - reportedBefore;
    expect({ lost, errors }).toEqual({ lost: 0, errors: 0 });
  }, 120_000);

  it('each changing a distinct nested key (prefs.kN): 0 changes lost, 0 errors', async () => {
    let lost = 0;
    let errors = 0;
    const reportedBefore = reported.length;
    for (let r = 0; r < ROUNDS; r++) {
      const { cookie, statuses } = await round((key) => `/nested?key=${key}`);
      errors += statuses.filter((s) => s !== 200).length;
      const stored = await data(cookie);
      lost += ['first', ...keys].filter((key) => stored.prefs?.[key] !== true).length;
    }
    errors += reported.length - reportedBefore;
    expect({ lost, errors }).toEqual({ lost: 0, errors: 0 });
  }, 120_000);

  it('each changing the same key: one of them wins, 0 errors', async () => {
    let errors = 0;
    const reportedBefore = reported.length;
    let noWinner = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const { cookie, statuses } = await round((key) => `/put?key=colour&value=${key}`);
      errors += statuses.filter((s) => s !== 200).length;
      if (!keys.includes((await data(cookie)).colour)) noWinner++;
    }
    errors += reported.length - reportedBefore;
    expect({ noWinner, errors }).toEqual({ noWinner: 0, errors: 0 });
  }, 120_000);
});
