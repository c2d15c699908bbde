// Bad input, on the real DynamoDB backend (dynalite) and through Express:
// session ids of every wrong and every odd kind, session data that cannot be
// stored, and items in the table that are corrupt or belong to other software.
// Each gets a typed error or a documented behaviour (docs/reliability.md):
// never a crash, a hang, or another session's data.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { type AttributeValue, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
import express, { type ErrorRequestHandler, type Request } from 'express';
import session from 'express-session';
import request from 'supertest';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';
import { HookAudit } from '../security/hook-audit';

const { InvalidSessionIdError, SerializationError, PayloadTooLargeError, CorruptPayloadError } = connectDynamoDBSession;
const DynamoStore = connectDynamoDBSession(session);
type Store = InstanceType<typeof DynamoStore>;
type Item = Record<string, AttributeValue>;

const HOUR = 3_600_000;
const COOKIE_SECRET = 'bad input suite cookie secret';
const client = testClient();
const audit = new HookAudit();
const tables: string[] = [];
const stores: Store[] = [];

/** A session cookie that expires in an hour, as express-session stores it. */
const cookie = () => ({ originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR).toISOString(), httpOnly: true, path: '/' });
/** A value planted in session data that no hook may see. */
const marker = () => audit.secret(`marker-${randomUUID()}`);

async function newStore(label: string, options: connectDynamoDBSession.Options = {}): Promise<{ store: Store; tableName: string }> {
  const tableName = (options.tableName as string | undefined) ?? uniqueTableName(`bad-input-${label}`);
  if (!tables.includes(tableName)) tables.push(tableName);
  const store = new DynamoStore({ tableName, awsClient: client, autoCreate: true, cleanupInterval: 0, ...audit.hooks(label), ...options });
  stores.push(store);
  await store.ready();
  return { store, tableName };
}

/** Every item of a table, as DynamoDB has it. */
async function scanAll(tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const putRaw = (tableName: string, item: Item) => client.send(new PutItemCommand({ TableName: tableName, Item: item }));
const inAnHour = () => ({ N: String(Math.floor(Date.now() / 1000) + 3600) });
const anHourAgo = () => ({ N: String(Math.floor(Date.now() / 1000) - 3600) });

/** Calls a callback-API method and resolves with every call its callback got (waiting a while for a second one). */
async function viaCallback(call: (callback: (error: unknown, value?: unknown) => void) => void): Promise<unknown[][]> {
  const calls: unknown[][] = [];
  await new Promise<void>((resolve) => {
    call((...args) => {
      calls.push(args);
      setTimeout(resolve, 20);
    });
  });
  return calls;
}

/** express-session's signed cookie for `id`, as a browser would send it back. */
function signedCookie(id: string): string {
  const signature = createHmac('sha256', COOKIE_SECRET).update(id).digest('base64').replace(/=+$/, '');
  return `connect.sid=${encodeURIComponent(`s:${id}.${signature}`)}`;
}

const data = (req: Request) => req.session as unknown as Record<string, unknown>;

/**
 * GET /session shows the session data (without the cookie); POST
 * /session?kind= puts a value of that kind in it and saves before answering.
 * Errors answer 500 with the error's code and name, and are kept.
 */
function dataApp(store: Store, errors: unknown[], { dropSessionOnError = true } = {}) {
  const app = express();
  app.use(session({ secret: COOKIE_SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: HOUR } }));
  app.get('/session', (req, res) => {
    const { cookie: _cookie, ...rest } = data(req);
    res.json({ id: req.sessionID, data: rest });
  });
  app.post('/session', (req, res, next) => {
    const s = data(req);
    switch (req.query.kind) {
      case 'circular':
        s.self = s;
        break;
      case 'bigint':
        s.big = 10n ** 30n;
        break;
      case 'function-and-undefined':
        Object.assign(s, { fn: () => 'not data', missing: undefined, kept: 'kept' });
        break;
      case 'huge':
        s.blob = 'x'.repeat(420 * 1024);
        break;
      default:
        s.n = Number(req.query.n ?? 0);
        s.note = String(req.query.note ?? '');
    }
    req.session.save((error) => (error ? next(error) : res.json({ id: req.sessionID })));
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    errors.push(error);
    if (res.headersSent) return;
    // express-session hashes the session inside res.end to decide whether to save it. A session it cannot
    // hash (circular, BigInt) throws there, after res.end has marked itself done: the response never ends.
    // Not saving the session of a failed request lets the error response go out.
    if (dropSessionOnError) (req as { session?: unknown }).session = undefined;
    const body = { code: (error as { code?: string }).code ?? null, name: (error as Error).name };
    try {
      res.status(500).json(body);
    } catch (thrown) {
      errors.push({ thrownByResEnd: thrown, responseEnded: res.writableEnded });
      res.socket?.destroy();
    }
  };
  app.use(onError);
  return app;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(tables.map((t) => dropTable(client, t)));
  client.destroy();
});

describe('session ids', () => {
  let store: Store;
  let tableName: string;
  const afterThis: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    ({ store, tableName } = await newStore('ids'));
  });
  afterEach(async () => {
    for (const undo of afterThis.splice(0)) await undo().catch(() => undefined);
  });

  const INVALID: Array<[string, unknown, RegExp]> = [
    ['empty', '', /non-empty string; got an empty string/],
    ['1025 ASCII characters', 'x'.repeat(1025), /1025 bytes long, over the limit of 1024 bytes/],
    ['513 two-byte characters (1026 bytes)', 'é'.repeat(513), /1026 bytes long/],
    ['undefined', undefined, /got undefined/],
    ['null', null, /got object/],
    ['a number', 42, /got number/],
    ['an object', { id: 'abc' }, /got object/],
    ['an array', ['abc'], /got object/],
    ['a Buffer', Buffer.from('abc'), /got object/],
    ['a symbol', Symbol('id'), /got symbol/],
  ];

  describe.each(INVALID)('%s: a typed error from every method, nothing written', (_label, id, message) => {
    const methods = {
      get: (s: Store, cb?: (e: unknown) => void) => (cb ? s.get(id as string, cb) : s.get(id as string)),
      set: (s: Store, cb?: (e: unknown) => void) =>
        cb ? s.set(id as string, { cookie: cookie() } as never, cb) : s.set(id as string, { cookie: cookie() } as never),
      touch: (s: Store, cb?: (e: unknown) => void) =>
        cb ? s.touch(id as string, { cookie: cookie() } as never, cb) : s.touch(id as string, { cookie: cookie() } as never),
      destroy: (s: Store, cb?: (e: unknown) => void) => (cb ? s.destroy(id as string, cb) : s.destroy(id as string)),
    };

    it.each(Object.keys(methods) as Array<keyof typeof methods>)('%s (promise and callback)', async (method) => {
      const before = (await scanAll(tableName)).length;
      await expect(methods[method](store)).rejects.toMatchObject({
        code: 'ERR_INVALID_SESSION_ID',
        message: expect.stringMatching(message),
      });
      await expect(methods[method](store)).rejects.toBeInstanceOf(InvalidSessionIdError);
      const calls = await viaCallback((cb) => methods[method](store, cb));
      expect(calls).toHaveLength(1);
      expect(calls[0]![0]).toBeInstanceOf(InvalidSessionIdError);
      expect((await scanAll(tableName)).length).toBe(before);
    });
  });

  const ODD: Array<[string, string]> = [
    ['unicode', 'sess-é☃😀中文-Ω-אב'],
    ['control characters', 'sess-\u0000\u0001\u0007\b\t\n\r\u001b\u007f\u0085\u2028-end'],
    ['quotes, #, colons, spaces, percent, braces', `sess-"'\`#:;, %20{}[]$\\/?&=+-end`],
    ['exactly 1024 bytes', 'y'.repeat(1024)],
    ['"__proto__"', '__proto__'],
    ['"constructor"', 'constructor'],
    ['é composed (NFC)', 'sess-caf\u00e9-composed'],
    ['é decomposed (NFD)', 'sess-cafe\u0301-composed'],
    ['a trailing space', 'sess-trailing '],
    ['the same without it', 'sess-trailing'],
    ['U+FFFD itself', 'sess-\uFFFD-tail'],
  ];

  it('odd but valid ids each keep their own session: set, get, touch, all, ids, destroy', async () => {
    const mine = new Map(ODD.map(([, id]) => [id, marker()]));
    for (const [id, note] of mine) await store.set(id, { cookie: cookie(), note } as never);
    for (const [id, note] of mine) expect(await store.get(id)).toMatchObject({ note });
    for (const [id] of mine) await store.touch(id, { cookie: cookie() } as never);
    const all = await store.all();
    expect(Object.getPrototypeOf(all)).toBeNull();
    for (const [id, note] of mine) expect(all[id]).toMatchObject({ note });
    expect(new Set(await store.ids())).toEqual(new Set(mine.keys()));
    const destroyedAt = Math.floor(Date.now() / 1000);
    for (const [id] of mine) await store.destroy(id);
    for (const [id] of mine) expect(await store.get(id)).toBeNull();
    // What each destroy leaves: a tombstone under its own id, { id, expires } and nothing else,
    // expiring after tombstoneTtl (1 day), so that no save of that id recreates it meanwhile.
    const items = await scanAll(tableName);
    expect(new Set(items.map((item) => item.id?.S))).toEqual(new Set(mine.keys()));
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(['expires', 'id']);
      expect(Number(item.expires?.N)).toBeGreaterThanOrEqual(destroyedAt + 86_400 - 1);
      expect(Number(item.expires?.N)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 86_400 + 1);
    }
    for (const [id, note] of mine) {
      await store.set(id, { cookie: cookie(), note } as never);
      expect(await store.get(id)).toBeNull();
    }
  });

  // An id that is not well-formed UTF-16 (a lone surrogate) would be stored as UTF-8 with U+FFFD in its place,
  // so "a\uD800", "a\uDC00" and "a\uFFFD" would be one session: refused.
  it.each([
    ['high', 'sess-\uD800-tail'],
    ['low', 'sess-\uDC00-tail'],
  ])('a lone %s surrogate: InvalidSessionIdError from every method', async (_half, id) => {
    for (const call of [
      () => store.get(id),
      () => store.set(id, { cookie: cookie() } as never),
      () => store.touch(id, { cookie: cookie() } as never),
      () => store.destroy(id),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'ERR_INVALID_SESSION_ID', message: expect.stringMatching(/well-formed/) });
    }
  });

  it('a lone surrogate never reads another session (U+FFFD, or the other surrogate half)', async () => {
    // Not the U+FFFD id of the test above: that one is destroyed (a tombstone), and stays so.
    const note = marker();
    await store.set('sess-\uFFFD-lone', { cookie: cookie(), note } as never);
    afterThis.push(() => store.destroy('sess-\uFFFD-lone'));
    await expect(store.get('sess-\uD800-lone')).rejects.toBeInstanceOf(InvalidSessionIdError);
    await expect(store.get('sess-\uDC00-lone')).rejects.toBeInstanceOf(InvalidSessionIdError);
    await expect(store.set('sess-\uD800-lone', { cookie: cookie(), note: 'overwrite' } as never)).rejects.toBeInstanceOf(
      InvalidSessionIdError,
    );
    expect(await store.get('sess-\uFFFD-lone')).toMatchObject({ note });
  });

  describe('through Express, with a cookie signed with the app secret (only the app can make one)', () => {
    // A table of its own: the ids above are destroyed, and their tombstones refuse every save of them for a day.
    let httpStore: Store;
    let httpTable: string;
    beforeAll(async () => {
      ({ store: httpStore, tableName: httpTable } = await newStore('ids-http'));
    });
    it.each(ODD.filter(([label]) => !label.includes('1024')))('%s: reaches its own session', async (_label, id) => {
      const errors: unknown[] = [];
      const note = marker();
      await httpStore.set(id, { cookie: cookie(), note } as never);
      const res = await request(dataApp(httpStore, errors)).get('/session').set('Cookie', signedCookie(id)).expect(200);
      expect(res.body).toEqual({ id, data: { note } });
      await httpStore.destroy(id);
      expect(errors).toEqual([]);
    });

    it('an id over 1024 bytes: InvalidSessionIdError through next(err), nothing written', async () => {
      const errors: unknown[] = [];
      const before = (await scanAll(httpTable)).length;
      const res = await request(dataApp(httpStore, errors))
        .post('/session?n=1')
        .set('Cookie', signedCookie(audit.secret('z'.repeat(2000))))
        .expect(500);
      expect(res.body).toEqual({ code: 'ERR_INVALID_SESSION_ID', name: 'InvalidSessionIdError' });
      expect(errors[0]).toBeInstanceOf(InvalidSessionIdError);
      expect((await scanAll(httpTable)).length).toBe(before);
    });

    it('an empty id: express-session treats it as no cookie and starts a new session', async () => {
      const errors: unknown[] = [];
      const res = await request(dataApp(httpStore, errors)).post('/session?n=1').set('Cookie', signedCookie('')).expect(200);
      expect(res.body.id).toMatch(/^[\w-]{32}$/);
      expect(errors).toEqual([]);
      await httpStore.destroy(res.body.id);
    });

    it('a cookie with a wrong signature never reaches the store: a new session', async () => {
      const errors: unknown[] = [];
      const note = marker();
      await httpStore.set('sess-victim-session-id', { cookie: cookie(), note } as never);
      const forged = signedCookie('sess-victim-session-id').replace(/\.[^.]*$/, '.forged');
      const res = await request(dataApp(httpStore, errors)).get('/session').set('Cookie', forged).expect(200);
      expect(res.body).toEqual({ id: expect.not.stringMatching('sess-victim'), data: {} });
      await httpStore.destroy('sess-victim-session-id');
    });
  });
});

describe('session data that cannot be stored', () => {
  let store: Store;
  let tableName: string;
  const neighbour = audit.secret('neighbour-session-id-0001');
  const neighbourNote = marker();
  beforeAll(async () => {
    ({ store, tableName } = await newStore('data'));
    await store.set(neighbour, { cookie: cookie(), note: neighbourNote } as never);
  });
  afterEach(async () => {
    // Whatever failed, the other session is intact.
    expect(await store.get(neighbour)).toMatchObject({ note: neighbourNote });
  });

  const circular = (): Record<string, unknown> => {
    const s: Record<string, unknown> = { cookie: cookie(), note: marker() };
    s.self = s;
    return s;
  };
  const UNSERIALIZABLE: Array<[string, () => unknown, RegExp]> = [
    ['a circular reference', circular, /circular/i],
    ['a BigInt', () => ({ cookie: cookie(), big: 10n ** 30n, note: marker() }), /BigInt/],
    [
      'a toJSON that throws',
      () => ({
        cookie: cookie(),
        note: marker(),
        thing: {
          toJSON() {
            throw new Error('cannot');
          },
        },
      }),
      // Issue 12.6: the app's own text (it may quote session data) is not passed on, only the class of what it threw.
      /^session could not be serialized: a getter, toJSON or the serializer threw an Error \(its message is not shown/,
    ],
  ];
  // A session that is not an object would read back as corrupt: refused before anything is written.
  const NOT_OBJECTS: Array<[string, () => unknown, RegExp]> = [
    ['null', () => null, /must be an object/],
    ['a string', () => 'a session', /must be an object/],
    ['a number', () => 42, /must be an object/],
    ['an array', () => [{ cookie: cookie() }], /must be an object/],
  ];

  it.each(NOT_OBJECTS)('a session that is %s: SerializationError, nothing written', async (_label, make, message) => {
    const id = audit.secret(`not-an-object-${randomUUID()}`);
    await expect(store.set(id, make() as never)).rejects.toMatchObject({ code: 'ERR_SERIALIZE', message: expect.stringMatching(message) });
    expect((await scanAll(tableName)).filter((item) => item.id?.S === id)).toEqual([]);
  });

  it.each(UNSERIALIZABLE)(
    '%s: SerializationError (promise and callback), reported to err, nothing written',
    async (_label, make, message) => {
      const id = audit.secret(`unserializable-${randomUUID()}`);
      const errBefore = audit.calls.filter((c) => c.source === 'data' && c.hook === 'err').length;
      const error = await store.set(id, make() as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as Error).message).toMatch(message);
      const calls = await viaCallback((cb) => store.set(id, make() as never, cb));
      expect(calls).toHaveLength(1);
      expect(calls[0]![0]).toBeInstanceOf(SerializationError);
      expect(audit.calls.filter((c) => c.source === 'data' && c.hook === 'err').length).toBe(errBefore + 2);
      expect((await scanAll(tableName)).filter((item) => item.id?.S === id)).toEqual([]);
    },
  );

  it('functions and undefined values are dropped, as JSON does; the rest is kept', async () => {
    const id = audit.secret(`dropped-values-${randomUUID()}`);
    const note = marker();
    await store.set(id, { cookie: cookie(), note, fn: () => 1, missing: undefined, list: [undefined, () => 1] } as never);
    const back = await store.get(id);
    expect(back).toEqual({ cookie: expect.any(Object), note, list: [null, null] });
    await store.destroy(id);
  });

  it('over 400 KB: PayloadTooLargeError before anything is sent; the previous value stays', async () => {
    const id = audit.secret(`too-large-${randomUUID()}`);
    const note = marker();
    await store.set(id, { cookie: cookie(), note } as never);
    const error = await store.set(id, { cookie: cookie(), note, blob: 'x'.repeat(400 * 1024) } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ limit: 400 * 1024, size: expect.any(Number) });
    expect((error as { size: number }).size).toBeGreaterThan(400 * 1024);
    expect(await store.get(id)).toEqual({ cookie: expect.any(Object), note });
    await store.destroy(id);
  });

  it('over maxPayloadBytes: PayloadTooLargeError, nothing written', async () => {
    const small = (await newStore('data-max', { tableName, maxPayloadBytes: 1000 })).store;
    const id = audit.secret(`over-max-${randomUUID()}`);
    await expect(small.set(id, { cookie: cookie(), note: marker(), blob: 'x'.repeat(2000) } as never)).rejects.toMatchObject({
      code: 'ERR_PAYLOAD_TOO_LARGE',
      limit: 1000,
    });
    expect(await small.get(id)).toBeNull();
  });

  describe('through Express (the route saves before answering)', () => {
    let agent: ReturnType<typeof request.agent>;
    const errors: unknown[] = [];
    beforeAll(async () => {
      agent = request.agent(dataApp(store, errors));
      const first = await agent.post('/session?n=1&note=before').expect(200);
      audit.secret(first.body.id);
    });

    it.each([
      ['circular', 'TypeError', /circular/i],
      ['bigint', 'TypeError', /BigInt/],
    ])(
      "%s: express-session's own change check throws first (a TypeError through next(err)); the stored session is unchanged",
      async (kind, name, message) => {
        errors.length = 0;
        const res = await agent.post(`/session?kind=${kind}`).expect(500);
        expect(res.body).toEqual({ code: null, name });
        expect((errors[0] as Error).message).toMatch(message);
        expect((await agent.get('/session').expect(200)).body.data).toEqual({ n: 1, note: 'before' });
      },
    );

    it("without dropping the session in the error handler, express-session's res.end throws and never ends the response", async () => {
      const hung: unknown[] = [];
      const bare = request.agent(dataApp(store, hung, { dropSessionOnError: false }));
      const first = await bare.post('/session?n=1&note=before').expect(200);
      audit.secret(first.body.id);
      // The handler destroys the socket so that the client sees the failure instead of waiting for ever.
      await expect(bare.post('/session?kind=circular')).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(hung[0]).toBeInstanceOf(TypeError);
      expect(hung[1]).toEqual({ thrownByResEnd: expect.any(TypeError), responseEnded: false });
    });

    it('over 400 KB: PayloadTooLargeError through next(err); the stored session is unchanged', async () => {
      errors.length = 0;
      const res = await agent.post('/session?kind=huge').expect(500);
      expect(res.body).toEqual({ code: 'ERR_PAYLOAD_TOO_LARGE', name: 'PayloadTooLargeError' });
      expect(errors[0]).toBeInstanceOf(PayloadTooLargeError);
      expect((await agent.get('/session').expect(200)).body.data).toEqual({ n: 1, note: 'before' });
    });

    it('functions and undefined values: dropped, the request succeeds', async () => {
      await agent.post('/session?kind=function-and-undefined').expect(200);
      expect((await agent.get('/session').expect(200)).body.data).toEqual({ n: 1, note: 'before', kept: 'kept' });
    });
  });
});

describe('corrupt and foreign items in a shared table (prefix and sort key configured)', () => {
  const PREFIX = 'app1:';
  const SORT_KEY = { name: 'sk', value: 'session' };
  let store: Store;
  let tableName: string;
  const key = (id: string) => ({ id: { S: PREFIX + id }, sk: { S: SORT_KEY.value } });
  const corruptContent = marker();
  // Short enough (under 21 characters with it) that V8 quotes all of an invalid JSON text in its SyntaxError.
  const shortContent = audit.secret(`m${randomUUID().replace(/-/g, '').slice(0, 12)}`);

  /** Our key, but not a session we can read. */
  const CORRUPT: Array<[string, (id: string) => Item, 'silent' | 'reported']> = [
    ['expires as S', (id) => ({ ...key(id), expires: { S: '9999999999' }, content: { S: '{"a":1}' } }), 'silent'],
    ['content as N', (id) => ({ ...key(id), expires: inAnHour(), content: { N: '42' } }), 'silent'],
    ['content as M', (id) => ({ ...key(id), expires: inAnHour(), content: { M: { a: { S: corruptContent } } } }), 'silent'],
    ['content as a string set', (id) => ({ ...key(id), expires: inAnHour(), content: { SS: [corruptContent] } }), 'silent'],
    ['no expires', (id) => ({ ...key(id), content: { S: '{"a":1}' } }), 'silent'],
    ['no content', (id) => ({ ...key(id), expires: inAnHour() }), 'silent'],
    ['invalid JSON', (id) => ({ ...key(id), expires: inAnHour(), content: { S: `{"user": ${corruptContent}}` } }), 'reported'],
    ['short invalid JSON', (id) => ({ ...key(id), expires: inAnHour(), content: { S: `{"a":${shortContent}}` } }), 'reported'],
    ['JSON that is not an object', (id) => ({ ...key(id), expires: inAnHour(), content: { S: `["${corruptContent}"]` } }), 'reported'],
    ['binary garbage', (id) => ({ ...key(id), expires: inAnHour(), content: { B: randomBytes(64) } }), 'reported'],
    [
      'JSON as bytes without a format header',
      (id) => ({ ...key(id), expires: inAnHour(), content: { B: Buffer.from('{"a":1}') } }),
      'reported',
    ],
  ];

  /** Another application's items in the same table: never ours to read or delete. */
  const FOREIGN: Item[] = [
    { id: { S: 'user#1' }, sk: { S: 'profile' }, expires: anHourAgo(), content: { S: '{"name":"not a session"}' } },
    { id: { S: `${PREFIX}shared-pk` }, sk: { S: 'order#7' }, expires: anHourAgo(), content: { S: '{"order":7}' } },
    { id: { S: 'user#2' }, sk: { S: SORT_KEY.value }, expires: anHourAgo(), content: { S: '{"other":"app"}' } },
    { id: { S: 'user#3' }, sk: { S: SORT_KEY.value }, expires: inAnHour(), content: { S: '{"other":"app"}' } },
    { id: { S: 'app1' }, sk: { S: SORT_KEY.value }, expires: anHourAgo() },
    { id: { S: 'APP1:upper' }, sk: { S: SORT_KEY.value }, expires: anHourAgo(), content: { S: '{}' } },
    { id: { S: 'config' }, sk: { S: 'app1:settings' }, value: { N: '1' } },
  ];
  const foreignKeys = new Set(FOREIGN.map((f) => `${f.id!.S}|${f.sk!.S}`));
  const foreignNow = async () => (await scanAll(tableName)).filter((i) => foreignKeys.has(`${i.id!.S}|${i.sk!.S}`));

  beforeAll(async () => {
    ({ store, tableName } = await newStore('shared', { prefix: PREFIX, sortKey: SORT_KEY }));
    for (const item of FOREIGN) await putRaw(tableName, item);
  });

  it.each(CORRUPT)('%s: get reads no session, never throws, never deletes the item', async (_label, make, how) => {
    const id = audit.secret(`corrupt-${randomUUID()}`);
    await putRaw(tableName, make(id));
    const errBefore = audit.calls.filter((c) => c.source === 'shared' && c.hook === 'err').length;
    expect(await store.get(id)).toBeNull();
    const reported = audit.calls.filter((c) => c.source === 'shared' && c.hook === 'err').slice(errBefore);
    if (how === 'reported') expect(reported.map((c) => c.error)).toEqual([expect.any(CorruptPayloadError)]);
    else expect(reported).toEqual([]);
    // get never deletes: the item is left for the next save to overwrite.
    expect((await scanAll(tableName)).some((i) => i.id!.S === PREFIX + id)).toBe(true);
    const calls = await viaCallback((cb) => store.get(id, cb));
    expect(calls).toEqual([[null, null]]);
  });

  it.each(CORRUPT.filter(([, , how]) => how === 'reported'))(
    "%s with onCorruptPayload: 'throw': CorruptPayloadError (promise and callback)",
    async (_label, make) => {
      const strict = (await newStore('shared-strict', { tableName, prefix: PREFIX, sortKey: SORT_KEY, onCorruptPayload: 'throw' })).store;
      const id = audit.secret(`corrupt-strict-${randomUUID()}`);
      await putRaw(tableName, make(id));
      await expect(strict.get(id)).rejects.toBeInstanceOf(CorruptPayloadError);
      const calls = await viaCallback((cb) => strict.get(id, cb));
      expect(calls).toHaveLength(1);
      expect(calls[0]![0]).toBeInstanceOf(CorruptPayloadError);
    },
  );

  it('through Express: a cookie for a corrupt item gets a new session, and the next save overwrites the item', async () => {
    const errors: unknown[] = [];
    const app = dataApp(store, errors);
    for (const [label, make] of CORRUPT) {
      const id = audit.secret(`corrupt-http-${randomUUID()}`);
      await putRaw(tableName, make(id));
      const res = await request(app).get('/session').set('Cookie', signedCookie(id)).expect(200);
      expect({ label, body: res.body }).toEqual({ label, body: { id: expect.any(String), data: {} } });
      // Saving under the same id (what express-session does when the id is kept) replaces the bad item;
      // except an item with an expiry and no payload: that is what destroy leaves (a tombstone, as 1.x's
      // content-less stubs), and it refuses every save until it expires.
      await store.set(id, { cookie: cookie(), n: 1 } as never);
      if (label === 'no content') expect(await store.get(id)).toBeNull();
      else expect({ label, stored: await store.get(id) }).toMatchObject({ label, stored: { n: 1 } });
    }
    expect(errors).toEqual([]);
  });

  it('all, ids and length skip corrupt and foreign items; cleanup and clear never touch foreign ones', async () => {
    const before = await foreignNow();
    expect(before).toHaveLength(FOREIGN.length);
    const live = audit.secret(`live-${randomUUID()}`);
    await store.set(live, { cookie: cookie(), note: marker() } as never);
    const expired = `expired-${randomUUID()}`;
    await putRaw(tableName, { ...key(expired), expires: anHourAgo(), content: { S: '{"old":true}' } });
    const corruptNoExpiry = `corrupt-no-expiry-${randomUUID()}`;
    await putRaw(tableName, { ...key(corruptNoExpiry), expires: { S: 'never' }, content: { S: '{}' } });

    // ids() and length() list live items of ours with a payload, without decoding them; all() decodes and skips
    // (and reports) the unreadable ones. None of them ever includes another application's item.
    const ids = await store.ids();
    const all = await store.all();
    expect(ids).toContain(live);
    expect(ids).not.toContain(expired);
    expect(ids.filter((id) => /^(user#|shared-pk|APP1|config)/.test(id) || id === '')).toEqual([]);
    // length() counts with the same filter (a payload of type S or B), so it agrees with ids().
    expect(await store.length()).toBe(ids.length);
    expect(Object.keys(all)).toContain(live);
    for (const id of Object.keys(all)) {
      expect(ids).toContain(id);
      expect(await store.get(id)).not.toBeNull();
    }

    const cleaned = await store.core.cleanup();
    expect(cleaned.deleted).toBe(1); // the expired one of ours; foreign items that look expired are left alone
    expect(await foreignNow()).toEqual(before);
    // No numeric expiry: neither cleanup nor DynamoDB TTL can tell it has expired, so it stays until clear().
    expect((await scanAll(tableName)).some((i) => i.id!.S === PREFIX + corruptNoExpiry)).toBe(true);

    const clearedAt = Math.floor(Date.now() / 1000);
    await store.clear();
    const ours = (await scanAll(tableName)).filter((i) => !foreignKeys.has(`${i.id!.S}|${i.sk!.S}`));
    // clear() turns every item of ours that is not a tombstone into one ({ key, expires }: logout everywhere,
    // for tombstoneTtl, 1 day), corrupt ones included: nothing of this store but tombstones is left.
    const tombstones = ours.filter((i) => Object.keys(i).sort().join() === 'expires,id,sk');
    const others = ours.filter((i) => !tombstones.includes(i));
    const madeByClear = tombstones.filter((i) => [PREFIX + live, PREFIX + corruptNoExpiry].includes(i.id!.S!));
    expect(madeByClear).toHaveLength(2);
    for (const t of madeByClear) {
      expect(Number(t.expires!.N)).toBeGreaterThanOrEqual(clearedAt + 86_400 - 1);
      expect(Number(t.expires!.N)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 86_400 + 1);
    }
    expect(others).toEqual([]);
    expect(tombstones.length).toBeGreaterThan(madeByClear.length);
    expect(await store.get(live)).toBeNull();
    expect(await store.ids()).toEqual([]);
    expect(await store.length()).toBe(0);
    expect(await foreignNow()).toEqual(before);
  });
});

describe('security: the err/log hooks during every bad-input case', () => {
  it('never received a whole session id or session contents', () => {
    expect(audit.calls.filter((c) => c.hook === 'err').length).toBeGreaterThan(10);
    expect(audit.leaks()).toEqual([]);
  });
});
