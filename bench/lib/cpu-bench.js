// Child process: the store's own CPU time per operation with no network,
// against an in-memory backend. Usage: node cpu-bench.js <target> <iterations>
// Prints one JSON line: {target, perOp: {set, get, touch, destroy} (µs), note}.
//
// Targets:
//   ours            connect-dynamodb-session with core's MemoryBackend (the `backend` option)
//   v1              connect-dynamodb-session 1.1.0 with an in-memory `client` (its documented backend interface)
//   connect-dynamodb  connect-dynamodb with a fake `client` whose send() answers from a Map
//                   (measures the store's own code and Command construction, not the SDK's middleware stack)
//   memory          express-session's own MemoryStore, for scale
// dynamodb-store cannot be measured this way: it builds its own aws-sdk v2
// client from `dynamoConfig` and offers no way to pass another.

const session = require('express-session');

const ONE_DAY_MS = 24 * 60 * 60 * 1000;
const target = process.argv[2];
const iterations = Number(process.argv[3] || 20000);
const ids = 1000;

function makeSession(n) {
  return {
    cookie: new session.Cookie({ maxAge: ONE_DAY_MS }),
    user: {
      id: `user-${n}`,
      name: 'Ada Lovelace',
      email: `ada.${n}@example.com`,
      roles: ['reader', 'editor'],
      locale: 'en-GB',
      timeZone: 'Europe/London',
    },
    csrfSecret: 'Zm9vYmFyYmF6cXV4cXV1eA',
    preferences: { theme: 'dark', pageSize: 25, beta: false },
    cart: {
      items: [
        { sku: 'SKU-0001', qty: 1 },
        { sku: 'SKU-0002', qty: 1 },
        { sku: 'SKU-0003', qty: 1 },
      ],
      changes: 0,
    },
  };
}

function v1MemoryClient() {
  const items = new Map();
  return {
    init: () => Promise.resolve(),
    get: (id) => Promise.resolve(items.has(id) ? JSON.parse(items.get(id)) : null),
    put: (id, expires, content) => {
      items.set(id, JSON.stringify({ expires, content }));
      return Promise.resolve();
    },
    setExpires: (id, expires) => {
      const found = items.has(id) ? JSON.parse(items.get(id)) : {};
      items.set(id, JSON.stringify({ ...found, expires }));
      return Promise.resolve();
    },
    delete: (id) => {
      items.delete(id);
      return Promise.resolve();
    },
    deleteExpired: () => Promise.resolve({ scanned: 0, deleted: 0 }),
  };
}

function fakeDynamoDBClient() {
  const items = new Map();
  const keyOf = (key) => JSON.stringify(key);
  return {
    send(command) {
      const input = command.input;
      switch (command.constructor.name) {
        case 'DescribeTableCommand':
          return Promise.resolve({ Table: { TableName: input.TableName, TableStatus: 'ACTIVE' } });
        case 'GetItemCommand':
          return Promise.resolve({ Item: items.get(keyOf(input.Key)) });
        case 'PutItemCommand':
          items.set(keyOf({ id: input.Item.id }), input.Item);
          return Promise.resolve({});
        case 'UpdateItemCommand': {
          const item = { ...(items.get(keyOf(input.Key)) || input.Key), expires: input.ExpressionAttributeValues[':e'] };
          items.set(keyOf(input.Key), item);
          return Promise.resolve({ Attributes: { expires: item.expires } });
        }
        case 'DeleteItemCommand':
          items.delete(keyOf(input.Key));
          return Promise.resolve({});
        default:
          return Promise.reject(new Error(`fake client: ${command.constructor.name} not implemented`));
      }
    },
  };
}

function createStore() {
  switch (target) {
    case 'ours': {
      const { MemoryBackend } = require('@connect-dynamodb-session/core');
      const DynamoDBStore = require('connect-dynamodb-session')(session);
      return new DynamoDBStore({ backend: new MemoryBackend() });
    }
    case 'v1': {
      const DynamoDBStore = require('connect-dynamodb-session-v1')(session);
      return new DynamoDBStore({ tableName: 'memory', client: v1MemoryClient() });
    }
    case 'connect-dynamodb': {
      const DynamoDBStore = require('connect-dynamodb')(session);
      return new DynamoDBStore({ table: 'memory', client: fakeDynamoDBClient() });
    }
    case 'memory':
      return new session.MemoryStore();
    default:
      throw new Error(`unknown target ${target}`);
  }
}

function call(method, ...args) {
  return new Promise((resolve, reject) => {
    method(...args, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

let generation = 0;

async function measure(store, sessions, count) {
  // Every round works on ids never used before: a store may remember the ids
  // it destroyed (ours refuses to save those again: a logout wins), and such
  // an id would take a shortcut.
  let prefix = `g${generation++}`;
  const sid = (i) => `${prefix}-${String(i % ids).padStart(6, '0')}-benchmark-session-id`;
  const phases = {
    set: (i) => call(store.set.bind(store), sid(i), sessions[i % ids]),
    get: (i) => call(store.get.bind(store), sid(i)),
    // A touch right after the session was written or read: a throttled store
    // skips it, connect-dynamodb writes.
    touch: (i) => call(store.touch.bind(store), sid(i), sessions[i % ids]),
    destroy: (i) => call(store.destroy.bind(store), sid(i)),
  };
  const perOp = {};
  for (const [name, run] of Object.entries(phases)) {
    let micros = 0;
    let done = 0;
    // destroy: rounds of `ids` fresh sessions, written (not timed) then destroyed (timed).
    const rounds = name === 'destroy' ? Math.ceil(count / ids) : 1;
    for (let round = 0; round < rounds; round++) {
      if (name === 'destroy') {
        prefix = `g${generation++}`;
        for (let i = 0; i < ids; i++) await phases.set(i);
      }
      const n = name === 'destroy' ? ids : count;
      const before = process.cpuUsage();
      for (let i = 0; i < n; i++) await run(i);
      const used = process.cpuUsage(before);
      micros += used.user + used.system;
      done += n;
    }
    perOp[name] = micros / done;
  }
  return perOp;
}

(async () => {
  const store = createStore();
  const sessions = Array.from({ length: ids }, (_, n) => makeSession(n));
  await measure(store, sessions, Math.min(5000, iterations)); // warm up the JIT
  const perOp = await measure(store, sessions, iterations);
  process.stdout.write(`${JSON.stringify({ target, iterations, perOp })}\n`);
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
