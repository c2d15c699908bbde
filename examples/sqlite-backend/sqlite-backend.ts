/**
 * A session backend on SQLite (better-sqlite3), written the way any user would
 * write one: against the public backend contract of
 * `@connect-dynamodb-session/core`, from which it imports types only. It has no
 * runtime dependency on the store; the core does every piece of session logic
 * (expiry, touchAfter, serialization, merges) and hands this class absolute
 * times in epoch milliseconds and opaque payloads.
 *
 * The write protocol (docs/write-protocol.md) lives in the rows: each session
 * row has a `revision`; a tombstone (what `destroy` leaves) is a row whose
 * `payload` is NULL. Every conditional method is one SQL statement whose WHERE
 * clause is the condition, so check and write cannot be split by another
 * connection (SQLite runs each statement atomically).
 *
 * The guide that walks through it: docs/writing-your-own-backend.md.
 */
import type {
  BackendInfo,
  CleanupResult,
  ListedSession,
  OwnedSession,
  Payload,
  SessionBackend,
  SessionWrite,
  StoredRecord,
} from '@connect-dynamodb-session/core';
import Database from 'better-sqlite3';

export interface SqliteBackendOptions {
  /**
   * Path of the database file to open (or `':memory:'`). The backend opens it,
   * and closes it in `close()`. Give this or `database`.
   */
  filename?: string;
  /** An open better-sqlite3 database to use. The backend never closes it: it belongs to the caller. */
  database?: Database.Database;
  /** Table name. Default `'sessions'`. Letters, digits and `_` only, because it is written into the SQL. */
  table?: string;
}

interface Row {
  id: string;
  /** The payload; NULL for a tombstone. */
  payload: string | Buffer | null;
  expires_at: number;
  revision: number;
  /** Who the session belongs to (the store's `ownerOf`); NULL for nobody, and for a tombstone. */
  owner: string | null;
}

interface Statements {
  get: Database.Statement<[string], Pick<Row, 'payload' | 'expires_at' | 'revision'>>;
  create: Database.Statement<[string, Payload, number, string | null]>;
  replace: Database.Statement<[Payload, number, string | null, string, number]>;
  destroy: Database.Statement<[string, number]>;
  updateExpiry: Database.Statement<[number, string, number]>;
  scanPage: Database.Statement<[string, number], Pick<Row, 'id' | 'expires_at'>>;
  deleteIfExpired: Database.Statement<[string, number]>;
  listPage: Database.Statement<[number, string, number], Row & { payload: string | Buffer }>;
  count: Database.Statement<[number], { n: number }>;
  clear: Database.Statement<[number]>;
  ownedPage: Database.Statement<[string, number, string, number], Pick<Row, 'id' | 'expires_at'>>;
  destroyIfOwnedBy: Database.Statement<[number, string, string]>;
}

/** Rows read per step of a cleanup or a listing, between which the event loop gets a turn. */
const PAGE_SIZE = 500;

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class SqliteBackend implements SessionBackend {
  private readonly db: Database.Database;
  /** Whether this backend opened `db` (then it closes it) or was handed it (then it never does). */
  private readonly ownsDatabase: boolean;
  private readonly table: string;
  private statements: Statements | undefined;

  constructor(options: SqliteBackendOptions) {
    const { filename, database, table = 'sessions' } = options ?? {};
    if ((filename === undefined) === (database === undefined)) {
      throw new TypeError('SqliteBackend: give exactly one of "filename" (a path) and "database" (an open better-sqlite3 database)');
    }
    if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
      throw new TypeError(
        `SqliteBackend: option "table" must be 1 to 63 letters, digits or _, not starting with a digit; got ${JSON.stringify(table)}`,
      );
    }
    this.table = table;
    if (database !== undefined) {
      this.db = database;
      this.ownsDatabase = false;
    } else {
      this.db = new Database(filename as string);
      this.ownsDatabase = true;
      // Readers do not block the writer (several app processes can share the file).
      if (filename !== ':memory:') this.db.pragma('journal_mode = WAL');
    }
  }

  /** Creates the table when missing (and upgrades one made by the 2.0 example). Safe to call again. */
  async init(): Promise<BackendInfo> {
    const t = `"${this.table}"`;
    // `payload ANY` in a STRICT table keeps each value's type: a string comes
    // back as a string, bytes come back as bytes (a BLOB); NULL marks a
    // tombstone. No index on expires_at: it would cost an index write on
    // every touch, to speed up only the rare cleanup and count.
    const schema = `(id TEXT PRIMARY KEY, payload ANY, expires_at INTEGER NOT NULL, revision INTEGER NOT NULL DEFAULT 0, owner TEXT) STRICT`;
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${t} ${schema}`);
    this.upgradeFrom20(t, schema);
    this.addOwnerColumn(t);
    // Sessions by owner (log out everywhere). A partial index, like DynamoDB's
    // sparse one: rows without an owner are not in it, and a touch (expiry
    // only) never writes to it.
    this.db.exec(`CREATE INDEX IF NOT EXISTS "${this.table}_by_owner" ON ${t} (owner, id) WHERE owner IS NOT NULL`);
    this.statements ??= {
      get: this.db.prepare(`SELECT payload, expires_at, revision FROM ${t} WHERE id = ?`),
      // Only if no row at all (session or tombstone) has this id.
      create: this.db.prepare(
        `INSERT INTO ${t} (id, payload, expires_at, revision, owner) VALUES (?, ?, ?, 1, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      // Only a session (payload not NULL) at the revision the request read.
      replace: this.db.prepare(
        `UPDATE ${t} SET payload = ?, expires_at = ?, owner = ?, revision = revision + 1 WHERE id = ? AND payload IS NOT NULL AND revision = ?`,
      ),
      destroy: this.db.prepare(
        `INSERT INTO ${t} (id, payload, expires_at, revision) VALUES (?, NULL, ?, 0) ON CONFLICT (id) DO UPDATE SET payload = NULL, expires_at = excluded.expires_at, revision = 0, owner = NULL`,
      ),
      // One statement: the existence, tombstone and expiry checks and the write cannot be split by a concurrent destroy.
      updateExpiry: this.db.prepare(`UPDATE ${t} SET expires_at = ? WHERE id = ? AND payload IS NOT NULL AND expires_at > ?`),
      scanPage: this.db.prepare(`SELECT id, expires_at FROM ${t} WHERE id > ? ORDER BY id LIMIT ?`),
      // The re-check: a session refreshed since the scan saw it no longer matches. Expired tombstones go too.
      deleteIfExpired: this.db.prepare(`DELETE FROM ${t} WHERE id = ? AND expires_at <= ?`),
      listPage: this.db.prepare(
        `SELECT id, payload, expires_at, revision FROM ${t} WHERE payload IS NOT NULL AND expires_at > ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      count: this.db.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE payload IS NOT NULL AND expires_at > ?`),
      clear: this.db.prepare(`UPDATE ${t} SET payload = NULL, expires_at = ?, revision = 0, owner = NULL WHERE payload IS NOT NULL`),
      ownedPage: this.db.prepare(
        `SELECT id, expires_at FROM ${t} WHERE owner = ? AND payload IS NOT NULL AND expires_at > ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      // One statement: the owner check and the tombstone cannot be split by a concurrent save.
      destroyIfOwnedBy: this.db.prepare(
        `UPDATE ${t} SET payload = NULL, expires_at = ?, revision = 0, owner = NULL WHERE id = ? AND payload IS NOT NULL AND owner = ?`,
      ),
    };
    // SQLite has no native expiry: the core runs deleteExpired on its cleanup timer.
    return { expiresItemsNatively: false };
  }

  async get(id: string): Promise<StoredRecord | null> {
    const row = this.prepared().get.get(id);
    if (!row) return null;
    if (row.payload === null) return { tombstone: true, expiresAt: row.expires_at };
    return { payload: row.payload, expiresAt: row.expires_at, revision: row.revision };
  }

  async create(id: string, { payload, expiresAt, owner }: SessionWrite): Promise<boolean> {
    return this.prepared().create.run(id, payload, expiresAt, owner ?? null).changes === 1;
  }

  async replace(id: string, { payload, expiresAt, owner }: SessionWrite, expectedRevision: number): Promise<boolean> {
    return this.prepared().replace.run(payload, expiresAt, owner ?? null, id, expectedRevision).changes === 1;
  }

  async destroy(id: string, tombstoneExpiresAt: number): Promise<void> {
    this.prepared().destroy.run(id, tombstoneExpiresAt);
  }

  async updateExpiry(id: string, expiresAt: number, now: number): Promise<boolean> {
    return this.prepared().updateExpiry.run(expiresAt, id, now).changes === 1;
  }

  /**
   * Walks the table in pages by id and deletes each expired row it found with
   * a statement that checks the expiry again, so that a row re-saved or
   * touched since the page was read survives.
   */
  async deleteExpired(now: number): Promise<CleanupResult> {
    const { scanPage, deleteIfExpired } = this.prepared();
    const deletePage = this.db.transaction((ids: string[]) => {
      let deleted = 0;
      for (const id of ids) deleted += deleteIfExpired.run(id, now).changes;
      return deleted;
    });
    let scanned = 0;
    let deleted = 0;
    let after = '';
    for (;;) {
      const page = scanPage.all(after, PAGE_SIZE);
      if (page.length === 0) break;
      scanned += page.length;
      const expired = page.filter((row) => row.expires_at <= now).map((row) => row.id);
      after = (page.at(-1) as Row).id;
      // Other requests (and other processes sharing the file) run between the
      // read and the delete; the delete's own expiry check keeps them safe.
      await yieldToEventLoop();
      deleted += deletePage(expired);
    }
    return { scanned, deleted };
  }

  async *list(now: number): AsyncIterable<ListedSession> {
    // Pages, not one open cursor: better-sqlite3 refuses other statements on a
    // connection while an iterator is open, and the caller may use the store
    // between two records.
    const { listPage } = this.prepared();
    let after = '';
    for (;;) {
      const page = listPage.all(now, after, PAGE_SIZE);
      for (const row of page) yield { id: row.id, payload: row.payload, expiresAt: row.expires_at, revision: row.revision };
      if (page.length < PAGE_SIZE) return;
      after = (page.at(-1) as Row).id;
      await yieldToEventLoop();
    }
  }

  async count(now: number): Promise<number> {
    return (this.prepared().count.get(now) as { n: number }).n;
  }

  /** Turns every session into a tombstone (one statement); tombstones already there stay as they are. */
  async clear(tombstoneExpiresAt: number): Promise<void> {
    this.prepared().clear.run(tombstoneExpiresAt);
  }

  /** The sessions whose last save carried `owner`, expiring after `now`, by the partial index on owner. */
  async *listByOwner(owner: string, now: number): AsyncIterable<OwnedSession> {
    const { ownedPage } = this.prepared();
    let after = '';
    for (;;) {
      const page = ownedPage.all(owner, now, after, PAGE_SIZE);
      for (const row of page) yield { id: row.id, expiresAt: row.expires_at };
      if (page.length < PAGE_SIZE) return;
      after = (page.at(-1) as Row).id;
      await yieldToEventLoop();
    }
  }

  async destroyIfOwnedBy(id: string, owner: string, tombstoneExpiresAt: number): Promise<boolean> {
    return this.prepared().destroyIfOwnedBy.run(tombstoneExpiresAt, id, owner).changes === 1;
  }

  /** Closes the database if this backend opened it; a database it was given stays open. Idempotent. */
  async close(): Promise<void> {
    this.statements = undefined;
    if (this.ownsDatabase && this.db.open) this.db.close();
  }

  /**
   * A table made by the 2.0 example has no revision column and a NOT NULL
   * payload (no room for tombstones): rebuild it with the new schema, in one
   * transaction, keeping every row (their revision is 0: written without one).
   */
  private upgradeFrom20(t: string, schema: string): void {
    const columns = this.db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>;
    if (columns.some((c) => c.name === 'revision')) return;
    const old = `"${this.table}_before_revisions"`;
    this.db.transaction(() => {
      this.db.exec(`ALTER TABLE ${t} RENAME TO ${old}`);
      this.db.exec(`CREATE TABLE ${t} ${schema}`);
      this.db.exec(`INSERT INTO ${t} (id, payload, expires_at, revision) SELECT id, payload, expires_at, 0 FROM ${old}`);
      this.db.exec(`DROP TABLE ${old}`);
    })();
  }

  /** A table made before owners existed gets the column (NULL: no owner until the next save). */
  private addOwnerColumn(t: string): void {
    const columns = this.db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'owner')) this.db.exec(`ALTER TABLE ${t} ADD COLUMN owner TEXT`);
  }

  private prepared(): Statements {
    if (!this.statements) throw new Error('SqliteBackend: init() has not run, or close() has');
    return this.statements;
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
