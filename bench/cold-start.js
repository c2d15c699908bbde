#!/usr/bin/env node
// Time to first response after a cold start, with the DynamoDB control plane
// slowed down: `node bench/cold-start.js [--delay ms] [--repeats n]`.
//
// dynalite serves a table holding one session; a proxy in front of it holds
// every control-plane call (Describe*, CreateTable, UpdateTimeToLive) for
// --delay ms and forwards data calls at once. Each measurement is a fresh Node
// process that loads a store, constructs it against the proxy and reads the
// session through the express-session API (`store.get(sid, cb)`): what the first
// request after a cold start (a new Lambda instance, a new container) waits for.
// Reported: the median over --repeats of the time from construction to the
// answer, and which calls reached the server before the first data call.

const http = require('node:http');
const { execFile } = require('node:child_process');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const DELAY_MS = arg('--delay', 500);
const REPEATS = arg('--repeats', 5);
const CONTROL_PLANE = /\.(Describe\w*|CreateTable|UpdateTimeToLive)$/;
const SID = 'cold-start-session';

const CONFIGS = [
  { id: 'ours', label: 'connect-dynamodb-session 2, autoCreate off (default)', store: 'ours', options: {} },
  {
    id: 'ours-autocreate',
    label: 'connect-dynamodb-session 2, autoCreate on (table exists)',
    store: 'ours',
    options: { autoCreate: true },
  },
  { id: 'v1', label: 'connect-dynamodb-session 1.1.0', store: 'v1', options: {} },
  { id: 'connect-dynamodb', label: 'connect-dynamodb 3.0.5', store: 'connect-dynamodb', options: {} },
];

// The child: load, construct, read one session. Prints JSON.
const CHILD = `
const session = require('express-session');
const kind = process.env.COLD_STORE, endpoint = process.env.COLD_ENDPOINT, extra = JSON.parse(process.env.COLD_OPTIONS);
let store;
const t0 = performance.now();
if (kind === 'ours') store = new (require('connect-dynamodb-session')(session))({ tableName: 'cold', region: 'us-east-1', endpoint, ...extra });
if (kind === 'v1') store = new (require('connect-dynamodb-session-v1')(session))({ tableName: 'cold', region: 'us-east-1', endpoint, ...extra });
if (kind === 'connect-dynamodb') {
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  store = new (require('connect-dynamodb')(session))({ table: 'cold', client: new DynamoDBClient({ endpoint, region: 'us-east-1' }) });
}
const t1 = performance.now();
store.get('${SID}', (error, value) => {
  const t2 = performance.now();
  console.log(JSON.stringify({ loadMs: t1 - t0, firstResponseMs: t2 - t1, ok: !error, found: !!value, error: error && String(error) }));
  process.exit(0);
});
`;

function startProxy(target) {
  let log = [];
  const server = http.createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] || '').split('.')[1] || '?';
    const entry = { operation, at: performance.now() };
    log.push(entry);
    const body = [];
    req.on('data', (c) => body.push(c));
    req.on('end', () => {
      const forward = () => {
        const out = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
          answer.on('end', () => (entry.answeredAt = performance.now()));
        });
        out.on('error', () => res.destroy());
        out.end(Buffer.concat(body));
      };
      if (CONTROL_PLANE.test(req.headers['x-amz-target'] || '')) setTimeout(forward, DELAY_MS);
      else forward();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        take: () => {
          const taken = log;
          log = [];
          return taken;
        },
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

function runChild(config, endpoint) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD],
      {
        cwd: __dirname,
        timeout: 60_000,
        env: {
          ...process.env,
          COLD_STORE: config.store,
          COLD_ENDPOINT: endpoint,
          COLD_OPTIONS: JSON.stringify(config.options),
          AWS_ACCESS_KEY_ID: 'x',
          AWS_SECRET_ACCESS_KEY: 'x',
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${config.id}: ${stderr || error.message}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop())),
    );
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' });
  const dynalite = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve) => dynalite.listen(0, '127.0.0.1', resolve));
  const dbPort = dynalite.address().port;
  const { DynamoDBClient, CreateTableCommand, PutItemCommand } = require('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dbPort}`, region: 'us-east-1' });
  await client.send(
    new CreateTableCommand({
      TableName: 'cold',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const expires = new Date(Date.now() + 86_400_000);
  const sess = JSON.stringify({
    cookie: { originalMaxAge: 86_400_000, expires: expires.toISOString(), httpOnly: true, path: '/' },
    user: 'ada',
  });
  // The session as 2.x stores it (1.x and connect-dynamodb read this item too, as no session of theirs: their
  // first data call is made all the same, which is what is timed).
  await client.send(
    new PutItemCommand({
      TableName: 'cold',
      Item: {
        id: { S: SID },
        expires: { N: String(Math.floor(expires / 1000)) },
        content: { S: sess },
        sess: { S: sess },
        rev: { N: '1' },
      },
    }),
  );
  const proxy = await startProxy(dbPort);
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  const results = Object.fromEntries(CONFIGS.map((c) => [c.id, { runs: [], before: [] }]));
  for (let round = 0; round < REPEATS; round++) {
    for (const config of CONFIGS) {
      proxy.take();
      const run = await runChild(config, endpoint);
      const calls = proxy.take();
      const firstData = calls.findIndex((c) => !/^(Describe|CreateTable|UpdateTimeToLive)/.test(c.operation));
      const dataCall = calls[firstData];
      results[config.id].runs.push(run);
      // Calls whose answer the first data call came after: what it waited for.
      results[config.id].before.push(
        calls
          .slice(0, firstData)
          .filter((c) => c.answeredAt !== undefined && dataCall && c.answeredAt <= dataCall.at)
          .map((c) => c.operation),
      );
    }
  }
  const rows = CONFIGS.map((config) => {
    const { runs, before } = results[config.id];
    return {
      id: config.id,
      label: config.label,
      ok: runs.every((r) => r.ok),
      errors: runs.filter((r) => !r.ok).map((r) => r.error),
      firstResponseMs: median(runs.map((r) => r.firstResponseMs)),
      loadMs: median(runs.map((r) => r.loadMs)),
      waitedFor: before[before.length - 1],
    };
  });
  console.log(`Control-plane calls delayed by ${DELAY_MS} ms; median of ${REPEATS} fresh processes each.`);
  console.log('| Store | time to first response (construction → answer) | calls answered before the first data call |');
  console.log('|---|---:|---|');
  for (const row of rows) {
    console.log(
      `| ${row.label} | ${row.firstResponseMs.toFixed(0)} ms${row.ok ? '' : ` (failed: ${row.errors[0]})`} | ${row.waitedFor.length ? row.waitedFor.join(', ') : 'none'} |`,
    );
  }
  console.log(JSON.stringify({ delayMs: DELAY_MS, repeats: REPEATS, rows }));
  client.destroy();
  await proxy.close();
  dynalite.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
