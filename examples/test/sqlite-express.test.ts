// The SQLite example backend under the Express adapter, as a user would plug
// their own backend in: express + express-session + connect-dynamodb-session
// with `backend`, over HTTP (supertest). The test reads the database file
// behind the store's back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countingBackend } from '@connect-dynamodb-session/core/testing';
import Database from 'better-sqlite3';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { SqliteBackend } from '../sqlite-backend/sqlite-backend';

import connectDynamoDBSession = require('connect-dynamodb-session');

const DynamoStore = connectDynamoDBSession(session);
const HOUR = 60 * 60 * 1000;

describe('examples/sqlite-backend under express-session', () => {
  let dir: string;
  let filename: string;
  let inspector: Database.Database | undefined;
  const stores: Array<{ close(): Promise<void> }> = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-express-'));
  });
  beforeEach(() => {
    filename = join(dir, `${expect.getState().currentTestName?.replace(/\W+/g, '-')}.db`);
  });
  afterEach(async () => {
    jest.useRealTimers();
    for (const store of stores.splice(0)) await store.close();
    inspector?.close();
    inspector = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An Express app whose sessions live in `filename`: GET /count changes the session, GET /read does not. */
  function newApp() {
    const counted = countingBackend(new SqliteBackend({ filename }));
    const store = new DynamoStore({ backend: counted.backend, cleanupInterval: 0, now: () => Date.now() });
    stores.push(store);
    const app = express();
    app.use(session({ secret: 'test secret', store, resave: false, saveUninitialized: false, cookie: { maxAge: HOUR } }));
    app.get('/count', (req, res) => {
      const s = req.session as unknown as { views?: number };
      s.views = (s.views ?? 0) + 1;
      res.json({ views: s.views });
    });
    app.get('/read', (req, res) => res.json({ views: (req.session as unknown as { views?: number }).views ?? null }));
    // Sets one key of the session after `ms`: a request that overlaps others of the same session.
    app.get('/set/:key', async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, Number(req.query.ms ?? 0)));
      const s = req.session as unknown as { keys?: Record<string, boolean> };
      s.keys = { ...s.keys, [req.params.key]: true };
      (req.session as unknown as Record<string, unknown>)[`top-${req.params.key}`] = true;
      res.json({ ok: true });
    });
    app.get('/keys', (req, res) => res.json(req.session as unknown as Record<string, unknown>));
    app.post('/logout', (req, res, next) => req.session.destroy((error) => (error ? next(error) : res.json({ loggedOut: true }))));
    return { app, store, calls: counted.calls, reset: counted.reset };
  }

  /** The rows of the sessions table, read with a connection of our own. */
  function rows(): Array<{ id: string; payload: string | null; expires_at: number }> {
    inspector ??= new Database(filename, { readonly: true });
    return inspector.prepare('SELECT id, payload, expires_at FROM sessions').all() as never;
  }

  it('keeps sessions in the SQLite file, one row each, expiring with the cookie', async () => {
    const { app } = newApp();
    const agent = request.agent(app);
    await agent.get('/count').expect(200, { views: 1 });
    await agent.get('/count').expect(200, { views: 2 });
    const [row, ...others] = rows();
    expect(others).toHaveLength(0);
    const payload = JSON.parse(row?.payload as string);
    expect(payload.views).toBe(2);
    expect(row?.expires_at).toBe(new Date(payload.cookie.expires).getTime());
  });

  it('finds the session again after the app restarts on the same file', async () => {
    const first = newApp();
    const cookie = (await request(first.app).get('/count').expect(200)).headers['set-cookie'] as unknown as string[];
    await first.store.close();
    const second = newApp();
    await request(second.app).get('/count').set('Cookie', cookie).expect(200, { views: 2 });
  });

  it('turns the row into a tombstone on destroy; the replayed cookie finds nothing and saves nothing', async () => {
    const { app } = newApp();
    const cookie = (await request(app).get('/count').expect(200)).headers['set-cookie'] as unknown as string[];
    await request(app).post('/logout').set('Cookie', cookie).expect(200);
    const [tombstone, ...others] = rows();
    expect(others).toHaveLength(0);
    expect(tombstone?.payload).toBeNull();
    expect(tombstone?.expires_at).toBeGreaterThan(Date.now() + 86_400_000 - 60_000);
    await request(app).get('/read').set('Cookie', cookie).expect(200, { views: null });
    // A request with the old cookie that writes a session gets a new id from express-session; the old one stays a tombstone.
    await request(app).get('/count').set('Cookie', cookie).expect(200, { views: 1 });
    expect(rows().filter((r) => r.payload !== null && r.id === tombstone?.id)).toHaveLength(0);
  });

  it("holds express-session's touches to one write per touchAfter", async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
    });
    const { app, calls, reset } = newApp();
    const agent = request.agent(app);
    await agent.get('/count').expect(200, { views: 1 });
    reset();
    for (let i = 0; i < 30; i++) {
      jest.setSystemTime(Date.now() + 1000);
      await agent.get('/read').expect(200, { views: 1 });
    }
    expect((calls.create ?? 0) + (calls.replace ?? 0)).toBe(0);
    expect(calls.updateExpiry).toBe(3);
    const [row] = rows();
    expect(row?.expires_at).toBeGreaterThan(Date.now() + HOUR - 10_000);
  });

  it('20 overlapping requests of one session, each changing its own key, top-level and nested: none lost', async () => {
    const { app } = newApp();
    const server = app.listen(0, '127.0.0.1');
    try {
      const cookie = (await request(server).get('/count').expect(200)).headers['set-cookie'] as unknown as string[];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          request(server)
            .get(`/set/k${i}?ms=${i % 5}`)
            .set('Cookie', cookie)
            .expect(200),
        ),
      );
      const got = (await request(server).get('/keys').set('Cookie', cookie).expect(200)).body as Record<string, unknown>;
      for (let i = 0; i < 20; i++) {
        expect(got[`top-k${i}`]).toBe(true);
        expect((got.keys as Record<string, boolean>)[`k${i}`]).toBe(true);
      }
      expect(got.views).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a slow request ending after the logout (and after another request with the old cookie) does not bring the session back', async () => {
    const { app } = newApp();
    const server = app.listen(0, '127.0.0.1');
    try {
      const cookie = (await request(server).get('/count').expect(200)).headers['set-cookie'] as unknown as string[];
      const slow = request(server).get('/set/late?ms=150').set('Cookie', cookie).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 30)); // the slow request has read the session
      await request(server).post('/logout').set('Cookie', cookie).expect(200);
      await request(server).get('/read').set('Cookie', cookie).expect(200, { views: null });
      await slow;
      await request(server).get('/read').set('Cookie', cookie).expect(200, { views: null });
      const sid = decodeURIComponent(cookie[0]?.split(';')[0]?.split('=')[1] ?? '')
        .slice(2)
        .split('.')[0];
      expect(rows().filter((r) => r.id === sid)).toEqual([expect.objectContaining({ payload: null })]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('lists, counts and cleans up through the optional methods', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
    });
    const { app, store } = newApp();
    for (let i = 0; i < 3; i++) await request(app).get('/count').expect(200);
    await expect(store.length()).resolves.toBe(3);
    expect(Object.keys(await store.all())).toHaveLength(3);
    jest.setSystemTime(Date.now() + HOUR);
    await expect(store.core.cleanup()).resolves.toEqual({ scanned: 3, deleted: 3 });
    expect(rows()).toHaveLength(0);
  });
});
