// The adapter on the in-memory reference backend: the factory and its
// inputs, option splitting, and the callback/promise API of every method.
import { EventEmitter } from 'node:events';
import { InvalidOptionError, type LegacyClient, MemoryBackend, StoreClosedError } from '@connect-dynamodb-session/core';
import connectDynamoDBSession from 'connect-dynamodb-session';
import session from 'express-session';

const HOUR = 60 * 60 * 1000;
const sessionData = (data: Record<string, unknown> = {}, maxAge = HOUR) =>
  ({
    cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' },
    ...data,
  }) as never;

/** Calls `fn` with a callback and resolves with the arguments the callback received (first call). */
function viaCallback(fn: (callback: (...args: unknown[]) => void) => void): Promise<unknown[]> {
  return new Promise((resolve) => fn((...args) => resolve(args)));
}

describe('the factory', () => {
  it('takes express-session and returns a class extending its Store', () => {
    const DynamoStore = connectDynamoDBSession(session);
    const store = new DynamoStore({ backend: new MemoryBackend() });
    expect(store).toBeInstanceOf(session.Store);
    expect(store).toBeInstanceOf(EventEmitter);
    // express-session's own regenerate and load are inherited; createSession calls express-session's own.
    expect(store.regenerate).toBe(session.Store.prototype.regenerate);
    expect(store.load).toBe(session.Store.prototype.load);
    const req = { sessionID: 'abcdefgh', sessionStore: store } as never;
    const created = store.createSession(req, sessionData({ n: 1 }));
    expect(created).toBeInstanceOf(session.Session);
    expect(created.cookie).toBeInstanceOf(session.Cookie);
    return store.close();
  });

  it('takes any { Store } object, as the 1.x tests did, and a null Store means a plain EventEmitter', async () => {
    class CustomStore extends EventEmitter {}
    const Custom = connectDynamoDBSession({ Store: CustomStore });
    const custom = new Custom({ backend: new MemoryBackend() });
    expect(custom).toBeInstanceOf(CustomStore);
    const Bare = connectDynamoDBSession({ Store: null });
    const bare = new Bare({ backend: new MemoryBackend() });
    expect(bare).toBeInstanceOf(EventEmitter);
    await bare.set('abcdefgh', sessionData({ n: 1 }));
    await expect(bare.get('abcdefgh')).resolves.toMatchObject({ n: 1 });
    await Promise.all([custom.close(), bare.close()]);
  });

  it("takes connect-dynamodb's form, { session }, on express-session's Store", async () => {
    const store = new (connectDynamoDBSession({ session }))({ backend: new MemoryBackend() });
    expect(store).toBeInstanceOf(session.Store);
    await store.close();
  });

  it('refuses an object with neither Store nor session.Store, instead of a class express-session cannot use', () => {
    for (const bad of [{}, { session: {} }, { session: null }, { Store: undefined }]) {
      expect(() => connectDynamoDBSession(bad as never)).toThrow(InvalidOptionError);
    }
    expect(() => connectDynamoDBSession({} as never)).toThrow(/neither Store nor session\.Store/);
  });

  it('a class on a plain EventEmitter says so when express-session asks it for a session', async () => {
    const store = new (connectDynamoDBSession({ Store: null }))({ backend: new MemoryBackend() });
    expect(() => store.createSession({} as never, sessionData())).toThrow(
      /without createSession \(a plain EventEmitter\).*pass express-session to the factory/,
    );
    await store.close();
  });

  it('refuses a Store that is not a class, naming it', () => {
    expect(() => connectDynamoDBSession({ Store: 42 } as never)).toThrow(InvalidOptionError);
    expect(() => connectDynamoDBSession({ Store: 42 } as never)).toThrow(/session\.Store must be a class/);
  });

  it('exports the class directly too (DynamoDBStore, createStoreClass), on express-session', async () => {
    const { DynamoDBStore, createStoreClass } = connectDynamoDBSession;
    expect(DynamoDBStore).toBe(connectDynamoDBSession.DynamoDBStore); // built once
    const store = new DynamoDBStore({ backend: new MemoryBackend() });
    expect(store).toBeInstanceOf(session.Store);
    const Made = createStoreClass(session);
    expect(new Made({ backend: new MemoryBackend() })).toBeInstanceOf(session.Store);
    await store.close();
  });
});

describe('options', () => {
  const DynamoStore = connectDynamoDBSession(session);

  it('requires tableName when neither backend nor client is given, as 1.x did', () => {
    expect(() => new DynamoStore({ region: 'us-west-2' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'tableName' }),
    );
    expect(() => new DynamoStore()).toThrow(InvalidOptionError);
  });

  it('names the option, value and unit of an invalid core option, and of an invalid DynamoDB option', () => {
    expect(() => new DynamoStore({ tableName: 'sessions', region: 'us-west-2', touchAfter: '10' as never })).toThrow(
      /option "touchAfter" must be a finite number >= 0 \(milliseconds\); got "10"/,
    );
    expect(() => new DynamoStore({ tableName: 'sessions', region: 'us-west-2', readCapacity: -1 })).toThrow(/readCapacity/);
    expect(() => new DynamoStore('sessions' as never)).toThrow(/options must be an object/);
  });

  it('with a backend, needs no tableName and ignores the DynamoDB options', async () => {
    const backend = new MemoryBackend();
    const store = new DynamoStore({ backend, tableName: 'ignored', region: 'nowhere', touchAfter: 0 });
    await store.set('abcdefgh', sessionData({ n: 1 }));
    expect(backend.size).toBe(1);
    expect(store.core.options.touchAfter).toBe(0);
    await store.close();
  });

  it('with a 1.x client, passes autoCreate to its init and stores through it', async () => {
    const records = new Map<string, { content: unknown; expires: number }>();
    const initCalls: unknown[] = [];
    const client: LegacyClient = {
      init: async (autoCreate) => {
        initCalls.push(autoCreate);
      },
      get: async (id) => records.get(id) ?? null,
      put: async (id, expires, content) => {
        records.set(id, { content, expires });
      },
      setExpires: async (id, expires) => {
        const found = records.get(id);
        if (found) found.expires = expires;
      },
      delete: async (id) => {
        records.delete(id);
      },
    };
    const store = new DynamoStore({ client, tableName: 'legacy', autoCreate: true });
    await store.set('abcdefgh', sessionData({ n: 2 }));
    expect(initCalls).toEqual([true]);
    expect(records.get('abcdefgh')?.content).toMatchObject({ n: 2 });
    await expect(store.get('abcdefgh')).resolves.toMatchObject({ n: 2 });
    await store.close();
  });

  it('passes options it does not know to the core, which rejects unknown values of known ones', () => {
    const store = new DynamoStore({ backend: new MemoryBackend(), onCorruptPayload: 'throw', cleanupInterval: 0 });
    expect(store.core.options.onCorruptPayload).toBe('throw');
    expect(() => new DynamoStore({ backend: new MemoryBackend(), onCorruptPayload: 'ignore' as never })).toThrow(/onCorruptPayload/);
    return store.close();
  });

  it('reports backend failures to err, naming at most the first characters of the id', async () => {
    const reports: [string, unknown][] = [];
    const backend = new MemoryBackend();
    backend.get = () => Promise.reject(new Error('unreachable'));
    const store = new DynamoStore({ backend, err: (message, error) => reports.push([message, error]) });
    await expect(store.get('abcdefghijklmnop')).rejects.toMatchObject({ code: 'ERR_BACKEND' });
    expect(reports).toHaveLength(1);
    expect(reports[0]![0]).toContain('abcdef…');
    expect(reports[0]![0]).not.toContain('abcdefghijklmnop');
    await store.close();
  });
});

describe('the store methods', () => {
  const DynamoStore = connectDynamoDBSession(session);
  let store: InstanceType<typeof DynamoStore>;
  beforeEach(() => {
    store = new DynamoStore({ backend: new MemoryBackend() });
  });
  afterEach(() => store.close());

  it('return promises without a callback', async () => {
    await store.set('session-one', sessionData({ user: 'ada' }));
    await store.set('session-two', sessionData({ user: 'bob' }));
    await expect(store.get('session-one')).resolves.toMatchObject({ user: 'ada' });
    await expect(store.get('missing-id')).resolves.toBeNull();
    await expect(store.touch('session-one', sessionData({ user: 'ada' }))).resolves.toBeUndefined();
    await expect(store.length()).resolves.toBe(2);
    await expect(store.ids()).resolves.toEqual(expect.arrayContaining(['session-one', 'session-two']));
    await store.destroy('session-two');
    await expect(store.get('session-two')).resolves.toBeNull();
    await store.clear();
    await expect(store.length()).resolves.toBe(0);
  });

  it('call the callback with (null, value), and return nothing', async () => {
    const returned = store.set('session-one', sessionData({ user: 'ada' }), () => {});
    expect(returned).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await viaCallback((cb) => store.set('session-one', sessionData({ user: 'ada' }), cb))).toEqual([null, undefined]);
    expect(await viaCallback((cb) => store.get('session-one', cb))).toEqual([null, expect.objectContaining({ user: 'ada' })]);
    expect(await viaCallback((cb) => store.get('missing-id', cb))).toEqual([null, null]);
    expect(await viaCallback((cb) => store.touch('session-one', sessionData({ user: 'ada' }), cb))).toEqual([null, undefined]);
    expect(await viaCallback((cb) => store.length(cb))).toEqual([null, 1]);
    expect(await viaCallback((cb) => store.ids(cb))).toEqual([null, ['session-one']]);
    expect(await viaCallback((cb) => store.all(cb))).toEqual([null, { 'session-one': expect.objectContaining({ user: 'ada' }) }]);
    expect(await viaCallback((cb) => store.destroy('session-one', cb))).toEqual([null, undefined]);
    expect(await viaCallback((cb) => store.clear(cb))).toEqual([null, undefined]);
    expect(await viaCallback((cb) => store.ready(cb))).toEqual([null, undefined]);
  });

  it('get returns plain data, for express-session to hydrate', async () => {
    await store.set('session-one', sessionData({ when: new Date(0) }));
    const data = (await store.get('session-one')) as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(data.when).toBe('1970-01-01T00:00:00.000Z');
    expect(typeof (data.cookie as { expires: unknown }).expires).toBe('string');
  });

  it('all returns an object keyed by id, like MemoryStore, without expired sessions', async () => {
    await store.set('session-one', sessionData({ n: 1 }));
    await store.set('session-two', sessionData({ n: 2 }));
    await store.set('session-old', sessionData({ n: 3 }, -1000)); // already expired: deleted, not written
    const all = await store.all();
    expect(Object.keys(all).sort()).toEqual(['session-one', 'session-two']);
    expect(all['session-two']).toMatchObject({ n: 2 });
  });

  it('touch of a missing session succeeds and creates nothing', async () => {
    expect(await viaCallback((cb) => store.touch('never-stored', sessionData(), cb))).toEqual([null, undefined]);
    await expect(store.length()).resolves.toBe(0);
  });

  it('does not change the session it is given', async () => {
    const given = sessionData({ n: 1 });
    const before = JSON.stringify(given);
    await store.set('session-one', given);
    await store.touch('session-one', given);
    expect(JSON.stringify(given)).toBe(before);
  });

  it('passes errors to the callback once, and rejects the promise', async () => {
    const invalid = await viaCallback((cb) => store.get('', cb));
    expect(invalid).toEqual([expect.objectContaining({ code: 'ERR_INVALID_SESSION_ID' })]);
    await expect(store.get('')).rejects.toMatchObject({ code: 'ERR_INVALID_SESSION_ID' });
    await store.close();
    const closed = await viaCallback((cb) => store.get('session-one', cb));
    expect(closed[0]).toBeInstanceOf(StoreClosedError);
    await expect(store.set('session-one', sessionData())).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('settles each call exactly once, on a later tick', async () => {
    const calls: unknown[][] = [];
    let synchronous = true;
    const settled: Promise<void>[] = [];
    const callback = () => {
      let first: () => void = () => undefined;
      settled.push(new Promise<void>((resolve) => (first = resolve)));
      return (...args: unknown[]) => {
        calls.push([...args, synchronous]);
        first();
      };
    };
    store.set('session-one', sessionData(), callback());
    store.get('session-one', callback());
    store.get('', callback());
    synchronous = false;
    await Promise.all(settled);
    // A second call of any callback would come from the same settlement: give it a whole turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.at(-1) === false)).toBe(true);
  });

  it('refuses a callback that is not a function', () => {
    expect(() => store.get('session-one', 'callback' as never)).toThrow(TypeError);
  });

  it('close is idempotent and takes a callback too', async () => {
    expect(await viaCallback((cb) => store.close(cb))).toEqual([null, undefined]);
    await expect(store.close()).resolves.toBeUndefined();
  });
});
