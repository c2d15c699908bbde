import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionStore } from '@connect-dynamodb-session/core';
import { describeBackendConformance } from '@connect-dynamodb-session/core/testing';
import Database from 'better-sqlite3';
import { SqliteBackend } from '../sqlite-backend/sqlite-backend';

// Each backend gets its own in-memory database, which the test opens and owns:
// readRaw reads the table behind the backend's back, and disposal checks that
// close() left the caller's database open.
const databases = new WeakMap<object, Database.Database>();

describeBackendConformance({
  name: 'SqliteBackend (examples/sqlite-backend)',
  createBackend: () => {
    const database = new Database(':memory:');
    const backend = new SqliteBackend({ database });
    databases.set(backend, database);
    return backend;
  },
  disposeBackend: async (backend) => {
    const database = databases.get(backend) as Database.Database;
    await backend.close?.();
    expect(database.open).toBe(true);
    database.close();
  },
  readRaw: async (backend, id) => (databases.get(backend) as Database.Database).prepare('SELECT * FROM sessions WHERE id = ?').get(id),
});

describe('SqliteBackend beyond the contract', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-backend-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('closes a database it opened itself, and only once', async () => {
    const backend = new SqliteBackend({ filename: join(dir, 'owned.db') });
    await backend.init();
    await backend.create('a', { payload: 'x', expiresAt: Date.now() + 60_000 });
    await backend.close();
    await backend.close();
    await expect(backend.get('a')).rejects.toThrow(/init\(\) has not run, or close\(\) has/);
  });

  it('keeps sessions in the file across processes (a second connection sees them)', async () => {
    const filename = join(dir, 'shared.db');
    const writer = new SqliteBackend({ filename });
    const reader = new SqliteBackend({ filename });
    await writer.init();
    await reader.init();
    await writer.create('shared', { payload: new Uint8Array([1, 2, 3]), expiresAt: 2_000_000_000_000 });
    const got = await reader.get('shared');
    expect(Buffer.from((got as { payload: Uint8Array }).payload)).toEqual(Buffer.from([1, 2, 3]));
    expect(got?.expiresAt).toBe(2_000_000_000_000);
    await Promise.all([writer.close(), reader.close()]);
  });

  it('keeps two tables in one database apart', async () => {
    const database = new Database(':memory:');
    const a = new SqliteBackend({ database, table: 'app_a_sessions' });
    const b = new SqliteBackend({ database, table: 'app_b_sessions' });
    await a.init();
    await b.init();
    await a.create('same-id', { payload: 'from a', expiresAt: 2_000_000_000_000 });
    await expect(b.get('same-id')).resolves.toBeNull();
    database.close();
  });

  it.each([
    [{}, /exactly one of "filename"/],
    [{ filename: ':memory:', database: new Database(':memory:') }, /exactly one of "filename"/],
    [{ filename: ':memory:', table: 'sessions; DROP TABLE users' }, /option "table" must be/],
    [{ filename: ':memory:', table: '' }, /option "table" must be/],
  ])('rejects bad options %#', (options, message) => {
    expect(() => new SqliteBackend(options)).toThrow(message);
  });

  it('upgrades a table made by the 2.0 example: rows kept at revision 0, tombstones possible', async () => {
    const database = new Database(':memory:');
    database.exec('CREATE TABLE sessions (id TEXT PRIMARY KEY, payload ANY NOT NULL, expires_at INTEGER NOT NULL) STRICT');
    database.prepare('INSERT INTO sessions VALUES (?, ?, ?)').run('old', '{"n":1}', 2_000_000_000_000);
    const backend = new SqliteBackend({ database });
    await backend.init();
    await backend.init();
    await expect(backend.get('old')).resolves.toEqual({ payload: '{"n":1}', expiresAt: 2_000_000_000_000, revision: 0 });
    await expect(backend.replace('old', { payload: '{"n":2}', expiresAt: 2_000_000_000_000 }, 0)).resolves.toBe(true);
    await expect(backend.get('old')).resolves.toMatchObject({ revision: 1 });
    await backend.destroy('old', 2_000_000_000_000);
    await expect(backend.get('old')).resolves.toEqual({ tombstone: true, expiresAt: 2_000_000_000_000 });
    database.close();
  });

  it('adds the owner column to a table made before owners: old rows have none until their next save', async () => {
    const database = new Database(':memory:');
    database.exec(
      'CREATE TABLE sessions (id TEXT PRIMARY KEY, payload ANY, expires_at INTEGER NOT NULL, revision INTEGER NOT NULL DEFAULT 0) STRICT',
    );
    database.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?)').run('old', '{"n":1}', 2_000_000_000_000, 3);
    const backend = new SqliteBackend({ database });
    await backend.init();
    await backend.init();
    const owned = async () => {
      const ids: string[] = [];
      for await (const s of backend.listByOwner('ada', 0)) ids.push(s.id);
      return ids;
    };
    expect(await owned()).toEqual([]);
    await backend.replace('old', { payload: '{"n":2}', expiresAt: 2_000_000_000_000, owner: 'ada' }, 3);
    expect(await owned()).toEqual(['old']);
    const plan = database.prepare("EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE owner = 'ada' AND id > ''").all();
    expect(JSON.stringify(plan)).toMatch(/sessions_by_owner/);
    database.close();
  });

  it('works under the core store: a cleanup run deletes what expired', async () => {
    let now = 1_700_000_000_000;
    const backend = new SqliteBackend({ filename: ':memory:' });
    const store = new SessionStore({ backend, now: () => now, cleanupInterval: 0, ttl: 1000 });
    await store.set('short', { n: 1 });
    await store.set('long', { n: 2, cookie: { expires: new Date(now + 60_000) } });
    now += 5000;
    await expect(store.cleanup()).resolves.toEqual({ scanned: 2, deleted: 1 });
    await expect(store.ids()).resolves.toEqual(['long']);
    await store.close();
  });
});
