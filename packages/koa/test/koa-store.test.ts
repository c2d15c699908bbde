// The adapter's translation of koa-session's calls, through real Koa and
// koa-session over HTTP, on the core's MemoryBackend (no DynamoDB involved).
// Tests that move time fake only `Date`, the clock koa-session and the core
// both read.
import { InvalidOptionError, MemoryBackend, type SessionBackend } from '@connect-dynamodb-session/core';
import { countingBackend } from '@connect-dynamodb-session/core/testing';
import request from 'supertest';
import { createKoaStore, type KoaStoreOptions } from '../src';
import { koaApp } from './support';

const MINUTE = 60_000;

function memoryStore(options: Partial<KoaStoreOptions> = {}) {
  const memory = new MemoryBackend();
  const counted = countingBackend(memory);
  const store = createKoaStore({ backend: counted.backend, cleanupInterval: 0, now: () => Date.now(), ...options });
  return { store, memory, calls: counted.calls, reset: counted.reset };
}

/** The data koa-session stored for the only session in `memory`. */
function onlyRecord(memory: MemoryBackend): { data: Record<string, unknown>; expiresAt: number } {
  expect(memory.size).toBe(1);
  const [id] = [...(memory as unknown as { records: Map<string, unknown> }).records.keys()];
  const record = memory.peek(id as string);
  return { data: JSON.parse(record?.payload as string).data, expiresAt: record?.expiresAt as number };
}

describe('createKoaStore options', () => {
  it('needs no DynamoDB options with a backend, and ignores them', async () => {
    const { store } = memoryStore({ tableName: 'ignored', region: 'nowhere' });
    const agent = request.agent(koaApp(store).callback());
    await agent.get('/views').expect(200, { views: 1 });
    await agent.get('/views').expect(200, { views: 2 });
    await store.close();
  });

  it('requires tableName without a backend, naming the option', () => {
    expect(() => createKoaStore({ region: 'eu-west-1' })).toThrow(InvalidOptionError);
    expect(() => createKoaStore({ region: 'eu-west-1' })).toThrow(/option "tableName" is required/);
  });

  it('names the option, value and unit of an invalid core option', () => {
    expect(() => createKoaStore({ tableName: 'sessions', region: 'eu-west-1', touchAfter: '10' as never })).toThrow(
      /option "touchAfter" must be a finite number >= 0 \(milliseconds\); got "10"/,
    );
  });

  it("gives a ttl function the session's data, for maxAge: 'session'", async () => {
    const { store, memory } = memoryStore({ ttl: (data) => (data.views === 1 ? 5 * MINUTE : MINUTE) });
    await request(koaApp(store, { maxAge: 'session' }).callback())
      .get('/views')
      .expect(200, { views: 1 });
    const { data, expiresAt } = onlyRecord(memory);
    expect(data).toEqual({ views: 1, _session: true });
    expect(expiresAt - Date.now()).toBeGreaterThan(4 * MINUTE);
  });
});

describe('KoaStore with koa-session', () => {
  afterEach(() => jest.useRealTimers());

  const fakeDateOnly = (): void => {
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  };

  it('with rolling, keeps an active session alive past its first maxAge although only touches extend it', async () => {
    fakeDateOnly();
    const { store, calls, reset } = memoryStore({ touchAfter: 10_000 });
    const agent = request.agent(koaApp(store, { rolling: true, maxAge: MINUTE }).callback());
    await agent.get('/views').expect(200, { views: 1 });
    reset();
    // Five minutes of activity, a request every 15 s, on a one-minute session.
    for (let i = 0; i < 20; i++) {
      jest.setSystemTime(Date.now() + 15_000);
      await agent.get('/read').expect(200, { views: 1, user: null });
    }
    expect((calls.create ?? 0) + (calls.replace ?? 0)).toBe(0);
    expect(calls.updateExpiry).toBe(20);
    // Idle for longer than the session lasts: gone.
    jest.setSystemTime(Date.now() + MINUTE + 10_001);
    await agent.get('/read').expect(200, { views: null, user: null });
  });

  it('with renew, saves the whole session past half its maxAge, so that its _expire stays true', async () => {
    fakeDateOnly();
    const { store, memory, calls, reset } = memoryStore();
    const agent = request.agent(koaApp(store, { renew: true, maxAge: MINUTE }).callback());
    await agent.get('/views').expect(200, { views: 1 });
    reset();
    jest.setSystemTime(Date.now() + 20_000);
    await agent.get('/read').expect(200, { views: 1, user: null });
    expect((calls.create ?? 0) + (calls.replace ?? 0)).toBe(0);
    jest.setSystemTime(Date.now() + 20_000);
    await agent.get('/read').expect(200, { views: 1, user: null });
    // One write of the whole session (the session exists: a replace).
    expect(calls.replace).toBe(1);
    expect(onlyRecord(memory).data._expire).toBe(Date.now() + MINUTE);
    // Past the first _expire, the renewed session is still there.
    jest.setSystemTime(Date.now() + 50_000);
    await agent.get('/read').expect(200, { views: 1, user: null });
  });

  it('starts a new session for a cookie too long to be a session id, rather than failing the request', async () => {
    const { store } = memoryStore();
    await request(koaApp(store, { signed: false }).callback())
      .get('/views')
      .set('Cookie', `koa.sess=${'x'.repeat(2000)}`)
      .expect(200, { views: 1 });
  });

  it('fails the request when the backend fails, and reports it to err without the whole key', async () => {
    const failing: SessionBackend = Object.assign(new MemoryBackend(), {
      get: () => Promise.reject(new Error('connection reset')),
    });
    const reports: string[] = [];
    const store = createKoaStore({ backend: failing, cleanupInterval: 0, err: (message) => reports.push(message) });
    const app = koaApp(store, { signed: false });
    app.silent = true;
    await request(app.callback()).get('/views').set('Cookie', 'koa.sess=0123456789abcdef').expect(500);
    expect(reports).toEqual(['Unable to get session sid:012345…']);
  });

  it('writes in full a set that comes without a context to compare with', async () => {
    const { store, calls } = memoryStore();
    await store.set('direct-call', { views: 1 }, MINUTE, { rolling: true, changed: false });
    expect((calls.create ?? 0) + (calls.replace ?? 0)).toBe(1);
    await expect(store.get('direct-call')).resolves.toEqual({ views: 1 });
  });

  it('close closes the backend once, and later calls reject', async () => {
    const memory = new MemoryBackend();
    const close = jest.fn(async () => undefined);
    const store = createKoaStore({ backend: Object.assign(memory, { close }), cleanupInterval: 0 });
    await store.close();
    await store.close();
    expect(close).toHaveBeenCalledTimes(1);
    await expect(store.get('any-session-key')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
  });
});
