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
});
