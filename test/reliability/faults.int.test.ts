// DynamoDB failing under a real Express app: express + express-session +
// connect-dynamodb-session over HTTP (supertest), the store's client pointed at
// a fault proxy in front of the test server (dynalite), with short timeouts.
// Each fault, hitting the first init and a warm store: the request gets a
// typed BackendError through next(err) (503), the SDK's retries show in the
// proxy's counts, another app instance on the same table keeps working, the
// same store recovers by itself once the fault clears, and every write that
// was acknowledged with a 200 is still there.
import { randomUUID } from 'node:crypto';
import vm from 'node:vm';
import connectDynamoDBSession from 'connect-dynamodb-session';
import express, { type ErrorRequestHandler, type Request } from 'express';
import session from 'express-session';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { dropTable, localCredentials, testClient, testEndpoint, uniqueTableName } from '../../test-support/dynamodb';
import { type Fault, type FaultProxy, startFaultProxy } from '../../test-support/fault-proxy';
import { HookAudit } from '../security/hook-audit';

const { BackendError } = connectDynamoDBSession;
type BackendErrorType = InstanceType<typeof BackendError>;
const DynamoStore = connectDynamoDBSession(session);
type Store = InstanceType<typeof DynamoStore>;

/** Short limits so that a failing request fails within about a second. */
const LIMITS = { requestTimeout: 300, connectionTimeout: 300, maxAttempts: 3 } as const;
const HOUR = 3_600_000;
const COOKIE_SECRET = 'faults suite cookie secret';

const client = testClient();
const tableName = uniqueTableName('faults');
const audit = new HookAudit();
/** Planted in every session: the err/log hooks must never see it. */
const NOTE = audit.secret(`note-${randomUUID()}`);
const stores: Store[] = [];
const proxies: FaultProxy[] = [];

/** express-session's view of our session data. */
const data = (req: Request) => req.session as unknown as { n?: number; note?: string };

/**
 * GET /counter reads the counter without changing the session. POST
 * /counter?n= sets it and saves before answering, so that a 200 means the
 * value is in DynamoDB. POST /counter-implicit sets it and leaves the save to
 * express-session at the end of the response. Errors end in a handler that
 * answers 503 for a BackendError, 500 otherwise, and keeps them for the test.
 */
function counterApp(store: Store, errors: unknown[]) {
  const app = express();
  app.use(session({ secret: COOKIE_SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: HOUR } }));
  app.get('/counter', (req, res) => {
    res.json({ n: data(req).n ?? null });
  });
  app.post('/counter', (req, res, next) => {
    Object.assign(data(req), { n: Number(req.query.n), note: NOTE });
    req.session.save((error) => (error ? next(error) : res.json({ n: data(req).n })));
  });
  app.post('/counter-implicit', (req, res) => {
    Object.assign(data(req), { n: Number(req.query.n), note: NOTE });
    res.json({ n: data(req).n });
  });
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    errors.push(error);
    // After an implicit save, express-session reports the failure once the response has gone out.
    if (res.headersSent) return;
    res.status(error instanceof BackendError ? 503 : 500).json({ code: (error as { code?: string }).code ?? 'unknown' });
  };
  app.use(onError);
  return app;
}

/** A browser: its session cookie, the values it sent, and the last one a 200 acknowledged. */
class Visitor {
  readonly agent: TestAgent;
  acked: number | null = null;
  readonly unacked: number[] = [];
  private sent = 0;
  sid: string | undefined;

  constructor(app: ReturnType<typeof counterApp>) {
    this.agent = request.agent(app);
  }

  async write() {
    const n = ++this.sent;
    const res = await this.agent.post(`/counter?n=${n}`);
    const sid = sessionIdOf(res.headers['set-cookie']);
    if (sid) this.sid = audit.secret(sid);
    if (res.status === 200) this.acked = n;
    else this.unacked.push(n);
    return res;
  }

  read() {
    return this.agent.get('/counter');
  }
}

/** The session id inside express-session's Set-Cookie (`connect.sid=s%3A<id>.<signature>`), if any. */
function sessionIdOf(setCookie: string | string[] | undefined): string | undefined {
  const cookie = [setCookie ?? []].flat().find((c) => c.startsWith('connect.sid='));
  if (!cookie) return undefined;
  const value = decodeURIComponent(cookie.slice('connect.sid='.length).split(';')[0]!);
  return value.slice(2, value.lastIndexOf('.'));
}

function faultyStore(proxy: FaultProxy, label: string): Store {
  const store = new DynamoStore({
    tableName,
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    clientConfig: { credentials: localCredentials },
    ...LIMITS,
    cleanupInterval: 0,
    ...audit.hooks(label),
  });
  stores.push(store);
  return store;
}

async function newProxy(): Promise<FaultProxy> {
  const proxy = await startFaultProxy(testEndpoint());
  proxies.push(proxy);
  return proxy;
}

/** What arrived at the proxy since `before`, per operation. */
function since(proxy: FaultProxy, before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [operation, count] of Object.entries(proxy.seen)) {
    const d = count - (before[operation] ?? 0);
    if (d > 0) delta[operation] = d;
  }
  return delta;
}

/** The last error the app's error handler received: a BackendError wrapping the SDK's error. */
function lastBackendError(
  errors: unknown[],
): BackendErrorType & { cause: { name: string; message: string; $metadata?: { attempts?: number } } } {
  const error = errors.at(-1);
  expect(error).toBeInstanceOf(BackendError);
  return error as never;
}

/** Resolves with the first truthy value of `probe`, polled every 20 ms; fails after 10 s. */
async function until<T>(probe: () => T): Promise<NonNullable<T>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The failure the store's background table check reported to err for the store labelled `label`, if any yet. */
function initErrorOf(label: string): BackendErrorType | undefined {
  const call = audit.calls.find(
    (c) => c.source === label && c.hook === 'err' && c.error instanceof BackendError && c.error.operation === 'init',
  );
  return call?.error as BackendErrorType | undefined;
}

// Another instance of the same service, on the same table, not behind the proxy.
const healthyErrors: unknown[] = [];
let healthy: Store;
let healthyApp: ReturnType<typeof counterApp>;

// Rejections nobody handled, anywhere in this process, during the suite. The spy goes on Node's own
// process object: the `process` a jest test sees is a copy whose listeners Node never calls.
const nodeProcess = vm.runInThisContext('process') as NodeJS.Process;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  nodeProcess.on('unhandledRejection', onUnhandled);
  healthy = new DynamoStore({
    tableName,
    endpoint: testEndpoint(),
    region: 'us-east-1',
    clientConfig: { credentials: localCredentials },
    autoCreate: true,
    cleanupInterval: 0,
    ...audit.hooks('healthy'),
  });
  stores.push(healthy);
  await healthy.ready();
  healthyApp = counterApp(healthy, healthyErrors);
});

afterAll(async () => {
  nodeProcess.off('unhandledRejection', onUnhandled);
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await dropTable(client, tableName);
  client.destroy();
  const rows = Object.entries(figures).map(
    ([fault, f]) =>
      `| ${fault} | ${f.attempts} | ${JSON.stringify(f.initSeen)} | ${f.initMs} | ${f.readMs} | ${f.writeMs ?? '—'} | ${f.cause} | ${f.recovered ? 'yes, first request' : 'no'} |`,
  );
  process.stdout.write(
    `faults (requestTimeout ${LIMITS.requestTimeout} ms, connectionTimeout ${LIMITS.connectionTimeout} ms, maxAttempts ${LIMITS.maxAttempts}):\n` +
      '| fault | attempts | reached the proxy (first init) | time to error: init, ms | read, ms | write, ms | cause | recovered |\n' +
      `${rows.join('\n')}\n`,
  );
});

/** Per fault, for the report: attempts, requests seen, time to error of the init/read/write requests, recovery. */
const figures: Record<
  string,
  {
    attempts: number;
    initSeen: Record<string, number>;
    initMs: number;
    readMs: number;
    writeMs?: number;
    cause: string;
    recovered: boolean;
  }
> = {};

interface FaultCase {
  fault: Exclude<Fault, 'none'>;
  /** What the SDK error (the BackendError's cause) looks like. */
  cause: Record<string, unknown>;
  /** Attempts the SDK made (maxAttempts, or 1 when it does not retry). */
  attempts: number;
  /** The request reaches DynamoDB before failing, so an unacknowledged write may have been applied. */
  forwards: boolean;
}

const FAULTS: FaultCase[] = [
  // Slowest first (the SDK backs off longer on throttling): they run concurrently.
  { fault: 'throttling', cause: { name: 'ThrottlingException' }, attempts: 3, forwards: false },
  { fault: 'provisioned-throughput', cause: { name: 'ProvisionedThroughputExceededException' }, attempts: 3, forwards: false },
  { fault: 'hang', cause: { name: 'TimeoutError' }, attempts: 3, forwards: false },
  // A keep-alive socket the proxy closed can show up as a reset before new connections are refused.
  { fault: 'refuse', cause: { message: expect.stringMatching(/ECONNREFUSED|ECONNRESET|socket hang up/) }, attempts: 3, forwards: false },
  { fault: 'server-error', cause: { name: 'InternalServerError' }, attempts: 3, forwards: false },
  // A 200 whose body is not JSON: the SDK does not retry a response it could not parse.
  {
    fault: 'malformed',
    cause: { name: 'SyntaxError', $metadata: expect.objectContaining({ httpStatusCode: 200 }) },
    attempts: 1,
    forwards: false,
  },
  { fault: 'cut', cause: { message: expect.stringMatching(/aborted|ECONNRESET|socket hang up/) }, attempts: 3, forwards: true },
];

describe('the self-check of the unhandled-rejection spy', () => {
  it('sees a rejection nobody handles', async () => {
    // Jest also listens, and fails the running test on any unhandled rejection: set its listeners
    // aside for the canary only, so that this check shows the spy alone.
    const others = nodeProcess.listeners('unhandledRejection').filter((l) => l !== onUnhandled);
    for (const listener of others) nodeProcess.off('unhandledRejection', listener);
    const canary = new Error('canary: deliberately unhandled');
    try {
      void Promise.reject(canary);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      for (const listener of others) nodeProcess.on('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([canary]);
    unhandled.length = 0;
  });
});

// The cases run concurrently (each with its own proxy and store): the SDK's throttling backoff alone takes seconds.
describe('DynamoDB faults', () => {
  it.concurrent.each(FAULTS)(
    '$fault: the request fails with a typed error, other sessions are fine, the store recovers, no acknowledged write is lost',
    async (c) => {
      const proxy = await newProxy();
      const errors: unknown[] = [];
      const store = faultyStore(proxy, c.fault);
      const app = counterApp(store, errors);
      const alice = new Visitor(app);
      const bob = new Visitor(healthyApp);
      const figure = { attempts: 0, initSeen: {}, initMs: 0, readMs: 0, cause: '', recovered: false } as (typeof figures)[string];
      figures[c.fault] = figure;

      // 1. The fault is there from the start. Without autoCreate the store does not wait for its table
      // checks (DescribeTable, DescribeTimeToLive, in the background): the first request's own write
      // (a new session: a create, PutItem) hits the fault, and the check hits it too, reported to err.
      await proxy.inject(c.fault);
      let before = { ...proxy.seen };
      let started = Date.now();
      const first = await alice.write();
      figure.initMs = Date.now() - started;
      expect(first.status).toBe(503);
      expect(first.body).toEqual({ code: 'ERR_BACKEND' });
      const firstError = lastBackendError(errors);
      expect(firstError.operation).toBe('create');
      expect(firstError.cause).toMatchObject(c.cause);
      expect(firstError.cause.$metadata?.attempts).toBe(c.attempts);
      figure.attempts = firstError.cause.$metadata?.attempts ?? 0;
      const detail = /ECONN\w+|aborted|socket hang up/.exec(firstError.cause.message)?.[0];
      figure.cause = detail ? `${firstError.cause.name} (${detail})` : firstError.cause.name;
      const checkError = (await until(() => initErrorOf(c.fault))) as BackendErrorType & { cause: unknown };
      expect(checkError).toMatchObject({ operation: 'init', command: 'DescribeTable', cause: c.cause });
      figure.initSeen = since(proxy, before);
      // Every attempt reached the proxy (none can when it refuses connections).
      expect(figure.initSeen).toEqual(c.fault === 'refuse' ? {} : { DescribeTable: c.attempts, PutItem: c.attempts });

      // Meanwhile, another instance on the same table serves its users.
      expect((await bob.write()).status).toBe(200);
      expect((await bob.read()).body).toEqual({ n: 1 });

      // 2. The fault clears: the same store works on the next request, with no restart, and checks its table again.
      await proxy.clear();
      for (let i = 0; i < 3; i++) expect((await alice.write()).status).toBe(200);
      figure.recovered = true;
      expect((await alice.read()).body).toEqual({ n: alice.acked });
      // The check ends with DescribeTimeToLive: wait for it, so that it is not counted below.
      await until(() => (proxy.seen.DescribeTimeToLive ?? 0) >= 1);

      // 3. The fault again, on a warm store: reading the session fails.
      await proxy.inject(c.fault);
      before = { ...proxy.seen };
      started = Date.now();
      const read = await alice.read();
      figure.readMs = Date.now() - started;
      expect(read.status).toBe(503);
      const readError = lastBackendError(errors);
      expect(readError.operation).toBe('get');
      expect(readError.cause).toMatchObject(c.cause);
      expect(since(proxy, before)).toEqual(c.fault === 'refuse' ? {} : { GetItem: c.attempts });
      expect((await bob.write()).status).toBe(200);

      // 4. Only writes fail (a connection refusal cannot pick operations): reads on the same store keep working.
      if (c.fault !== 'refuse') {
        await proxy.inject(c.fault, { operations: ['PutItem'] });
        expect((await alice.read()).body).toEqual({ n: alice.acked });
        before = { ...proxy.seen };
        started = Date.now();
        const write = await alice.write();
        figure.writeMs = Date.now() - started;
        expect(write.status).toBe(503);
        const writeError = lastBackendError(errors);
        // The session was read: its save is a replace on the revision read.
        expect(writeError.operation).toBe('replace');
        expect(writeError.cause).toMatchObject(c.cause);
        expect(since(proxy, before)).toEqual({ GetItem: 1, PutItem: c.attempts });
      }

      // 5. Cleared: every acknowledged write is there, for both apps, and writing works again.
      await proxy.clear();
      const after = (await alice.read()).body.n;
      if (c.forwards) expect([alice.acked, ...alice.unacked.filter((n) => n > (alice.acked ?? 0))]).toContain(after);
      else expect(after).toBe(alice.acked);
      expect(await store.get(bob.sid!)).toMatchObject({ n: bob.acked });
      expect((await alice.write()).status).toBe(200);
      expect((await alice.read()).body).toEqual({ n: alice.acked });
      expect(healthyErrors).toEqual([]);
    },
  );

  it.concurrent.each(['throttling', 'provisioned-throughput', 'hang', 'server-error', 'cut'] as const)(
    '%s on only the first requests is absorbed by the SDK retries',
    async (fault) => {
      const proxy = await newProxy();
      const errors: unknown[] = [];
      const alice = new Visitor(counterApp(faultyStore(proxy, `absorbed ${fault}`), errors));

      // The first DescribeTable of the table check (in the background) fails; its retry succeeds, and
      // the check goes on to DescribeTimeToLive without reporting anything.
      await proxy.inject(fault, { count: 1, operations: ['DescribeTable'] });
      expect((await alice.write()).status).toBe(200);
      await until(() => (proxy.seen.DescribeTimeToLive ?? 0) >= 1);
      expect(proxy.seen.DescribeTable).toBe(2);
      expect(audit.calls.filter((call) => call.source === `absorbed ${fault}` && call.hook === 'err')).toEqual([]);

      // Two PutItems fail in a row; the third attempt succeeds.
      await proxy.inject(fault, { count: 2, operations: ['PutItem'] });
      const before = { ...proxy.seen };
      expect((await alice.write()).status).toBe(200);
      // A cut answer was applied all the same: the first PutItem (a replace on the revision read) raised the
      // revision, so the third is refused as a conflict, with this request's own write. The store re-reads
      // (strongly), merges (nothing differs) and replaces once more: one GetItem and one PutItem more.
      expect(since(proxy, before)).toEqual(fault === 'cut' ? { GetItem: 2, PutItem: 4 } : { GetItem: 1, PutItem: 3 });
      expect(proxy.faulted[fault]).toBe(3);
      expect((await alice.read()).body).toEqual({ n: 2 });
      expect(errors).toEqual([]);
    },
  );

  it.concurrent('a malformed response is not retried by the SDK: that request fails, the next succeeds', async () => {
    const proxy = await newProxy();
    const errors: unknown[] = [];
    const alice = new Visitor(counterApp(faultyStore(proxy, 'malformed once'), errors));
    expect((await alice.write()).status).toBe(200);
    await proxy.inject('malformed', { count: 1, operations: ['PutItem'] });
    expect((await alice.write()).status).toBe(503);
    expect(lastBackendError(errors).cause.$metadata?.attempts).toBe(1);
    expect((await alice.write()).status).toBe(200);
    expect((await alice.read()).body).toEqual({ n: 3 });
  });

  // Documented behaviour of express-session, and why the routes above save before answering.
  it.concurrent("express-session's implicit save: a failed save reaches next(err) only after the response went out: the client saw a 200, nothing was stored", async () => {
    const proxy = await newProxy();
    const errors: unknown[] = [];
    const app = counterApp(faultyStore(proxy, 'implicit save'), errors);
    const alice = new Visitor(app);
    expect((await alice.write()).status).toBe(200);

    await proxy.inject('server-error', { operations: ['PutItem'] });
    const res = await alice.agent.post('/counter-implicit?n=99');
    // express-session has already sent the status line and the body when the store answers.
    expect(res.status).toBe(200);
    // The session was read, so its save is a replace on the revision read.
    expect(lastBackendError(errors).operation).toBe('replace');
    await proxy.clear();
    expect((await alice.read()).body).toEqual({ n: 1 });
  });
});

describe('after every fault above', () => {
  it('no unhandled rejection fired', () => {
    expect(unhandled).toEqual([]);
  });

  it('security: the err/log hooks never received a whole session id or session contents', () => {
    expect(audit.calls.filter((c) => c.hook === 'err').length).toBeGreaterThan(FAULTS.length);
    expect(audit.secretCount).toBeGreaterThan(FAULTS.length);
    expect(audit.leaks()).toEqual([]);
  });
});
