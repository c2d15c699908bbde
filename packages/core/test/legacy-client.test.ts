import { type LegacyClient, SessionStore } from '@connect-dynamodb-session/core';

/** A 1.x-style client over a Map: what a team might have written for the original package. */
function mapClient() {
  const items = new Map<string, { content: unknown; expires: number }>();
  const client: LegacyClient & { items: typeof items } = {
    items,
    init: jest.fn(async () => undefined),
    get: jest.fn(async (id: string) => items.get(id) ?? null),
    put: jest.fn(async (id: string, expires: number, content: unknown) => {
      items.set(id, { content, expires });
    }),
    setExpires: jest.fn(async (id: string, expires: number) => {
      const found = items.get(id);
      // 1.x clients upsert here; the adapter must not let that create anything.
      items.set(id, { content: found?.content, expires });
    }),
    delete: jest.fn(async (id: string) => {
      items.delete(id);
    }),
    deleteExpired: jest.fn(async (when: number) => {
      let deleted = 0;
      for (const [id, item] of items) if (item.expires < when && items.delete(id)) deleted++;
      return { scanned: items.size + deleted, deleted };
    }),
  };
  return client;
}

describe('a connect-dynamodb-session 1.x custom client', () => {
  let now = 1_800_000_000_000;
  const make = (extra = {}) => {
    const client = mapClient();
    const store = new SessionStore({ client, now: () => now, cleanupInterval: 0, touchAfter: 0, ...extra });
    return { client, store };
  };

  it('receives the session object and ms expiries, as in 1.x', async () => {
    const { client, store } = make({ autoCreate: true });
    const cookie = { originalMaxAge: 60_000, expires: new Date(now + 60_000).toISOString() };
    await store.set('legacy-session-1', { cookie, user: 'ada' });
    expect(client.init).toHaveBeenCalledWith(true);
    expect(client.put).toHaveBeenCalledWith('legacy-session-1', now + 60_000, { cookie, user: 'ada' });
    await expect(store.get('legacy-session-1')).resolves.toEqual({ cookie, user: 'ada' });
  });

  it('never lets a touch create a session through the upserting setExpires', async () => {
    const { client, store } = make();
    await expect(store.touch('never-existed', { cookie: { expires: new Date(now + 60_000) } })).resolves.toBe('missing');
    expect(client.setExpires).not.toHaveBeenCalled();
    expect(client.items.size).toBe(0);
  });

  it('extends a live session through setExpires', async () => {
    const { client, store } = make();
    await store.set('legacy-session-2', { cookie: { expires: new Date(now + 60_000) } });
    now += 1000;
    await expect(store.touch('legacy-session-2', { cookie: { expires: new Date(now + 60_000) } })).resolves.toBe('updated');
    expect(client.setExpires).toHaveBeenCalledWith('legacy-session-2', now + 60_000);
  });

  it('runs cleanup through deleteExpired', async () => {
    const { client, store } = make();
    await store.set('old-session', { cookie: { expires: new Date(now + 10) } });
    now += 1000;
    await expect(store.cleanup()).resolves.toEqual({ scanned: 1, deleted: 1 });
    expect(client.deleteExpired).toHaveBeenCalledWith(now);
  });

  it('destroy writes a tombstone (content null) that a 1.x reader sees as no session, and that refuses saves', async () => {
    const { client, store } = make();
    const cookie = { expires: new Date(now + 60_000) };
    await store.set('legacy-session-3', { cookie, v: 1 });
    const read = await store.getEntry('legacy-session-3');
    expect(read).toMatchObject({ revision: 0, session: { v: 1 } });
    await store.destroy('legacy-session-3');
    expect(client.put).toHaveBeenLastCalledWith('legacy-session-3', now + 86_400_000, null);
    expect(client.items.get('legacy-session-3')).toEqual({ content: null, expires: now + 86_400_000 });
    await expect(store.get('legacy-session-3')).resolves.toBeNull();
    await expect(store.set('legacy-session-3', { cookie, v: 2 }, read ?? undefined)).resolves.toEqual({ status: 'destroyed' });
    await expect(store.set('legacy-session-3', { cookie, v: 3 })).resolves.toEqual({ status: 'destroyed' });
    await expect(store.touch('legacy-session-3', { cookie })).resolves.toBe('missing');
    expect(client.setExpires).not.toHaveBeenCalled();
    // A second store over the same client (another instance) remembers nothing and still writes nothing.
    const other = new SessionStore({ client, now: () => now, cleanupInterval: 0 });
    await expect(other.set('legacy-session-3', { cookie, v: 4 })).resolves.toEqual({ status: 'destroyed' });
    expect(client.items.get('legacy-session-3')?.content).toBeNull();
  });

  it('has no revisions: overlapping saves are last-writer-wins, as in 1.x', async () => {
    const { client, store } = make();
    const cookie = { expires: new Date(now + 60_000) };
    await store.set('legacy-session-4', { cookie, a: 0, b: 0 });
    const first = await store.getEntry('legacy-session-4');
    const second = await store.getEntry('legacy-session-4');
    await expect(store.set('legacy-session-4', { cookie, a: 1, b: 0 }, first ?? undefined)).resolves.toMatchObject({ status: 'replaced' });
    await expect(store.set('legacy-session-4', { cookie, a: 0, b: 2 }, second ?? undefined)).resolves.toMatchObject({ status: 'replaced' });
    expect(client.items.get('legacy-session-4')?.content).toMatchObject({ a: 0, b: 2 });
  });

  it('the real connect-dynamodb-session 1.1.0 store reads a tombstone as no session', async () => {
    const { client, store } = make();
    await store.set('legacy-session-5', { cookie: { expires: new Date(now + 60_000) }, v: 1 });
    await store.destroy('legacy-session-5');
    // biome-ignore lint/suspicious/noExplicitAny: the 1.x package ships no types
    const v1: any = require('connect-dynamodb-session-v1');
    // 1.x is compiled to ES5: its Store base must be callable as a function, as express-session's is.
    const V1Store = (v1.default ?? v1)({ Store: function Store() {} });
    const old = new V1Store({ client, tableName: 'sessions', cleanupInterval: 0 });
    const got = await new Promise((resolve, reject) =>
      old.get('legacy-session-5', (e: unknown, s: unknown) => (e ? reject(e) : resolve(s))),
    );
    expect(got).toBeNull();
  });
});
