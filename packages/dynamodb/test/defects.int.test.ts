// Issue 12 (items 3, 4, 6, 8, 9, 10) through the core store over DynamoDBBackend on a
// real server (dynalite, or moto in CI), checked by reading raw items with a separate client.
import { randomBytes, randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DecryptionError,
  InvalidOptionError,
  MAX_EXPIRES_AT,
  SessionStore,
  type SessionStoreOptions,
} from '@connect-dynamodb-session/core';
import type { DynamoDBBackend, DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';
import { watchUnhandledRejections } from '../../../test-support/unhandled';
import { dropBackend, newBackend, rawClient, readItem } from './helpers';

const client = rawClient();
const toDrop: DynamoDBBackend[] = [];
afterAll(async () => {
  for (const backend of toDrop) await dropBackend(backend, client);
  client.destroy();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const cookie = (maxAge: number, now = Date.now()) => ({ originalMaxAge: maxAge, expires: new Date(now + maxAge).toISOString() });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store on a backend; the first backend of a table creates it, and is dropped after the suite. */
function storeOn(backendOptions: Partial<DynamoDBBackendOptions>, options: Partial<SessionStoreOptions> = {}) {
  const backend = newBackend(backendOptions);
  if (backendOptions.tableName === undefined) toDrop.push(backend);
  const err = jest.fn();
  const log = jest.fn();
  const store = new SessionStore({ backend, cleanupInterval: 0, err, log, ...options });
  return { store, backend, err, log, tableName: backend.options.tableName };
}

describe('12.3: far-future expiries over DynamoDB', () => {
  it('a cookie expiring 9999-12-31 is stored in seconds and read back as 9999-12-31: the user stays logged in', async () => {
    const { store, tableName } = storeOn({});
    const id = randomUUID();
    const forever = Date.UTC(9999, 11, 31, 23, 59, 59);
    await store.set(id, { cookie: { expires: new Date(forever).toISOString() }, user: 'ada' });
    expect((await readItem(client, tableName, { id }))?.expires).toEqual({ N: String(forever / 1000) });
    const read = await store.getEntry(id);
    expect(read?.session).toMatchObject({ user: 'ada' });
    expect(read?.expiresAt).toBe(forever);
    // Cleanup leaves it alone, and it is counted as live.
    await store.cleanup();
    await expect(store.get(id)).resolves.toMatchObject({ user: 'ada' });
    await expect(store.ids()).resolves.toContain(id);
    await store.close();
  });

  it('ttl: 1e14 (the longest accepted) keeps every session', async () => {
    const { store } = storeOn({}, { ttl: 1e14 });
    const id = randomUUID();
    await store.set(id, { cookie: { expires: null }, user: 'ada' });
    await expect(store.get(id)).resolves.toMatchObject({ user: 'ada' });
    await expect(store.touch(id, { cookie: { expires: null } })).resolves.toBe('updated');
    await expect(store.get(id)).resolves.toMatchObject({ user: 'ada' });
    await store.close();
  });

  it('ttl: 1e15 is refused at construction', () => {
    expect(() => storeOn({}, { ttl: 1e15 })).toThrow(InvalidOptionError);
  });

  it('a cookie expiry beyond MAX_EXPIRES_AT is stored as it, and logged', async () => {
    const { store, log, tableName } = storeOn({});
    const id = randomUUID();
    await store.set(id, { cookie: { expires: new Date(8.64e15).toISOString() }, user: 'ada' });
    expect((await readItem(client, tableName, { id }))?.expires).toEqual({ N: String(MAX_EXPIRES_AT / 1000) });
    await expect(store.getEntry(id)).resolves.toMatchObject({ expiresAt: MAX_EXPIRES_AT });
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/later than the latest expiry stored/));
    await store.close();
  });
});

describe('12.6: a ttl function returning 1e300 over DynamoDB', () => {
  it('rejects with an InvalidOptionError naming ttl, not a raw ValidationException; nothing is written', async () => {
    const { store, tableName } = storeOn({}, { ttl: () => 1e300 });
    await store.ready();
    const id = randomUUID();
    const error = await store.set(id, { cookie: { expires: null } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(/option "ttl" must be a function returning a finite number .* got 1e\+300/);
    await store.ready(); // autoCreate's CreateTable starts at construction: let it finish before reading the table
    await expect(readItem(client, tableName, { id })).resolves.toBeUndefined();
    await store.close();
  });
});

describe('12.4: throwing hooks of the DynamoDB backend and of the store, with a real cleanup timer', () => {
  it('no unhandled rejection, and operations keep their outcome', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const watch = watchUnhandledRejections();
    const boom = () => {
      throw new Error('hook broke');
    };
    const backend = newBackend({ log: boom, err: boom });
    toDrop.push(backend);
    // The timer fires after 20 ms: with TTL on (autoCreate enables it) its chain calls log, else deleteExpired and log.
    const store = new SessionStore({ backend, cleanupInterval: 20, err: boom, log: boom });
    try {
      const id = randomUUID();
      await expect(store.set(id, { cookie: cookie(HOUR), n: 1 })).resolves.toMatchObject({ status: 'created' });
      await expect(store.get(id)).resolves.toMatchObject({ n: 1 });
      await pause(150);
      await expect(store.get(id)).resolves.toMatchObject({ n: 1 });
    } finally {
      await store.close();
      watch.stop();
      emitWarning.mockRestore();
    }
    expect(watch.seen).toEqual([]);
  });
});

describe('12.8: encrypted payloads are bound to the whole storage key', () => {
  const encryption = { keys: [{ id: 'k1', key: randomBytes(32) }] };

  it('a payload copied from admin:X to shop:X in a shared table does not decrypt in the shop store', async () => {
    const admin = storeOn({ prefix: 'admin:' }, { encryption });
    await admin.store.ready();
    const shop = storeOn({ prefix: 'shop:', tableName: admin.tableName, autoCreate: false }, { encryption });
    const id = randomUUID();
    await admin.store.set(id, { cookie: cookie(HOUR), role: 'admin' });
    const item = await readItem(client, admin.tableName, { id: `admin:${id}` });
    await client.send(new PutItemCommand({ TableName: admin.tableName, Item: { ...item, id: { S: `shop:${id}` } } }));
    await expect(shop.store.get(id)).resolves.toBeNull();
    expect(shop.err).toHaveBeenCalledWith(expect.stringContaining('failed authentication'), expect.any(DecryptionError));
    // The original still reads where it was written.
    await expect(admin.store.get(id)).resolves.toMatchObject({ role: 'admin' });
    await Promise.all([admin.store.close(), shop.store.close()]);
  });

  it('nor one copied to another sort key value', async () => {
    const sortKey = (value: string) => ({ name: 'sk', value });
    const admin = storeOn({ sortKey: sortKey('admin-session') }, { encryption });
    await admin.store.ready();
    const shop = storeOn({ sortKey: sortKey('shop-session'), tableName: admin.tableName, autoCreate: false }, { encryption });
    const id = randomUUID();
    await admin.store.set(id, { cookie: cookie(HOUR), role: 'admin' });
    const item = await readItem(client, admin.tableName, { id, sk: 'admin-session' });
    await client.send(new PutItemCommand({ TableName: admin.tableName, Item: { ...item, sk: { S: 'shop-session' } } }));
    await expect(shop.store.get(id)).resolves.toBeNull();
    expect(shop.err).toHaveBeenCalledWith(expect.stringContaining('failed authentication'), expect.any(DecryptionError));
    await Promise.all([admin.store.close(), shop.store.close()]);
  });
});

describe('12.9: overlapping prefixes in one table', () => {
  it('a second store whose prefix overlaps an open one on the same table is refused; disjoint ones count only their own', async () => {
    const all = storeOn({ prefix: '' });
    await all.store.ready();
    expect(() => storeOn({ prefix: 'shop:', tableName: all.tableName, autoCreate: false })).toThrow(
      /option "prefix" "shop:" overlaps the prefix "" of another store/,
    );
    await all.store.close();
    const shop = storeOn({ prefix: 'shop:', tableName: all.tableName, autoCreate: false });
    const admin = storeOn({ prefix: 'admin:', tableName: all.tableName, autoCreate: false });
    await shop.store.set(randomUUID(), { cookie: cookie(HOUR) });
    await admin.store.set(randomUUID(), { cookie: cookie(HOUR) });
    await admin.store.set(randomUUID(), { cookie: cookie(HOUR) });
    await expect(shop.store.length()).resolves.toBe(1);
    await expect(admin.store.length()).resolves.toBe(2);
    await shop.store.clear();
    await expect(admin.store.length()).resolves.toBe(2);
    await Promise.all([shop.store.close(), admin.store.close()]);
  });
});

describe('12.10: a touch after the cookie lifetime was cut', () => {
  it('shortens the stored expiry (remember-me turned off), read back from the table', async () => {
    const { store, tableName } = storeOn({}, { touchAfter: 10_000 });
    const id = randomUUID();
    const now = Date.now();
    const saved = await store.set(id, { cookie: cookie(30 * DAY, now) });
    if (saved.status === 'destroyed') throw new Error('expected a write');
    await expect(store.touch(id, { cookie: cookie(HOUR, now) }, saved)).resolves.toBe('updated');
    const stored = Number((await readItem(client, tableName, { id }))?.expires?.N) * 1000;
    expect(stored).toBeLessThanOrEqual(now + HOUR);
    expect(stored).toBeGreaterThan(now + HOUR - 2000);
    await store.close();
  });
});

describe('12.10: counting, as documented (README, "Counting")', () => {
  it('length() and ids() include a live item that all() skips as unreadable (and reports)', async () => {
    const { store, err, tableName } = storeOn({});
    await store.ready();
    const good = randomUUID();
    const corrupt = randomUUID();
    await store.set(good, { cookie: cookie(HOUR), n: 1 });
    const expires = { N: String(Math.floor((Date.now() + HOUR) / 1000)) };
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { id: { S: corrupt }, expires, content: { S: '{not json' }, rev: { N: '1' } } }),
    );
    await expect(store.all().then((all) => all.map((entry) => entry.id))).resolves.toEqual([good]);
    expect(err).toHaveBeenCalledWith(expect.stringContaining('Skipping unreadable session'), expect.anything());
    await expect(store.ids().then((ids) => ids.sort())).resolves.toEqual([good, corrupt].sort());
    await expect(store.length()).resolves.toBe(2);
    await store.close();
  });
});
