#!/usr/bin/env node
// The client-side levers of issue 13, one at a time: client CPU (user +
// system, process.cpuUsage) per GetItem + PutItem pair, each configuration
// against the same stand-in for DynamoDB in another process (bench/lib/
// stub-dynamodb.js: answers at once, so only the client's own work is
// counted), 4 pairs in flight, rounds interleaved (the order reversed every
// other round), median of the rounds. Prints a Markdown table.
//
//   node bench/levers.js [--pairs 2000] [--rounds 9]

const path = require('node:path');
const children = require('./lib/children');

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const PAIRS = flag('--pairs', 2000);
const ROUNDS = flag('--rounds', 9);
const IN_FLIGHT = 4;

process.env.AWS_ACCESS_KEY_ID ??= 'x';
process.env.AWS_SECRET_ACCESS_KEY ??= 'x';
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TABLE = 'sessions';
const REGION = 'us-east-1';
// A typical logged-in session (~0.5 KB of JSON), as the HTTP benchmark stores.
const SESSION = JSON.stringify({
  cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000).toISOString(), httpOnly: true, path: '/' },
  user: {
    id: 'user-1',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    roles: ['reader', 'editor'],
    locale: 'en-GB',
    timeZone: 'Europe/London',
  },
  csrfSecret: 'Zm9vYmFyYmF6cXV4cXV1eA',
  preferences: { theme: 'dark', pageSize: 25, beta: false },
  cart: { items: [{ sku: 'SKU-0001', qty: 1 }], changes: 3 },
});
const expires = () => ({ N: String(Math.floor(Date.now() / 1000) + 86_400) });

/** The raw-SDK calls (what the floor store sends) on an AWS SDK v3 client built with `config`. */
function sdkV3(endpoint, config = {}) {
  const { DynamoDBClient, GetItemCommand, PutItemCommand } = require('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint, region: REGION, ...config });
  return {
    get: (id) => client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true })),
    put: (id) => client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: id }, expires: expires(), sess: { S: SESSION } } })),
  };
}

/** Our PutItem, conditional on the revision, with its expression names and values, on the raw SDK. */
function sdkV3Conditional(endpoint, config = {}) {
  const { DynamoDBClient, GetItemCommand, PutItemCommand } = require('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint, region: REGION, ...config });
  return {
    get: (id) => client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true })),
    put: (id) =>
      client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { id: { S: id }, expires: expires(), content: { S: SESSION }, rev: { N: '2' } },
          ConditionExpression: '#revision = :expectedRevision',
          ExpressionAttributeNames: { '#revision': 'rev' },
          ExpressionAttributeValues: { ':expectedRevision': { N: '1' } },
        }),
      ),
  };
}

/** Our DynamoDB backend (the client it builds, its key and item mapping, its error handling): get + replace. */
function ourBackend(endpoint) {
  const { DynamoDBBackend } = require('@connect-dynamodb-session/dynamodb');
  const backend = new DynamoDBBackend({ tableName: TABLE, endpoint, region: REGION });
  return {
    get: (id) => backend.get(id),
    put: (id) => backend.replace(id, { payload: SESSION, expiresAt: Date.now() + 86_400_000 }, 1),
  };
}

function sdkV2(endpoint) {
  const AWS = require('aws-sdk');
  const client = new AWS.DynamoDB({ endpoint, region: REGION });
  return {
    get: (id) => client.getItem({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }).promise(),
    put: (id) => client.putItem({ TableName: TABLE, Item: { id: { S: id }, expires: expires(), sess: { S: SESSION } } }).promise(),
  };
}

const keepAliveAgent = () => {
  const http = require('node:http');
  return { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 200 }) };
};

const LEVERS = [
  ['AWS SDK v3, its defaults (the raw-SDK floor)', (endpoint) => sdkV3(endpoint)],
  ['+ `cacheMiddleware: true`', (endpoint) => sdkV3(endpoint, { cacheMiddleware: true })],
  [
    '+ `cacheMiddleware`, static credentials (no provider chain)',
    (endpoint) => sdkV3(endpoint, { cacheMiddleware: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  ],
  [
    '+ `cacheMiddleware`, keep-alive agent with 200 sockets',
    (endpoint) => sdkV3(endpoint, { cacheMiddleware: true, requestHandler: keepAliveAgent() }),
  ],
  [
    '+ `cacheMiddleware`, request and connection timeouts (what the store sets)',
    (endpoint) =>
      sdkV3(endpoint, {
        cacheMiddleware: true,
        requestHandler: { requestTimeout: 5000, connectionTimeout: 3000, throwOnRequestTimeout: true },
      }),
  ],
  ['+ `cacheMiddleware`, PutItem conditional on the revision (ours)', (endpoint) => sdkV3Conditional(endpoint, { cacheMiddleware: true })],
  ['our DynamoDBBackend (`get` + `replace`, on the client it builds)', (endpoint) => ourBackend(endpoint)],
  ['aws-sdk v2, its defaults (1.1.0, dynamodb-store)', (endpoint) => sdkV2(endpoint)],
];

async function pairs(calls, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const id = `session-${next++ % 200}`;
      await calls.get(id);
      await calls.put(id);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const stub = children.start(path.join(__dirname, 'lib', 'stub-dynamodb.js'), { label: 'DynamoDB stand-in', execArgv: [] });
  const { port } = await stub.ready;
  const endpoint = `http://127.0.0.1:${port}`;
  const rows = [];
  for (const [label, build] of LEVERS) {
    const calls = build(endpoint);
    await pairs(calls, 1500); // warm-up: JIT, sockets, signing key
    rows.push({ label, calls, micros: [] });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of round % 2 ? [...rows].reverse() : rows) {
      const before = process.cpuUsage();
      await pairs(row.calls, PAIRS);
      const used = process.cpuUsage(before);
      row.micros.push((used.user + used.system) / PAIRS);
    }
  }
  await children.stopAll();
  const floor = median(rows[0].micros);
  console.log(
    `Client CPU per GetItem + PutItem pair, median of ${ROUNDS} rounds of ${PAIRS} pairs (${IN_FLIGHT} in flight), Node ${process.version}:\n`,
  );
  console.log('| client | µs per pair (min–max) | vs the SDK defaults |');
  console.log('|---|---:|---:|');
  for (const row of rows) {
    const m = median(row.micros);
    const change = row === rows[0] ? '–' : `${m >= floor ? '+' : '−'}${Math.abs((100 * (m - floor)) / floor).toFixed(0)} %`;
    console.log(
      `| ${row.label} | ${m.toFixed(0)} (${Math.min(...row.micros).toFixed(0)}–${Math.max(...row.micros).toFixed(0)}) | ${change} |`,
    );
  }
  process.exit(0);
}

main().catch(async (error) => {
  console.error(error);
  await children.stopAll();
  process.exit(1);
});
