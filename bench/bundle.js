#!/usr/bin/env node
// Bundle size of a Lambda handler that reads a session, per store, built with
// esbuild (minified, platform node, CommonJS), with the AWS SDK bundled in and
// with it marked external (as on a Lambda runtime that provides the SDK v3);
// and the cold `require` time of each bundle (median of --runs fresh processes,
// interleaved). `node bench/bundle.js [--runs 10] [--json]`.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const RUNS = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 10;

const HANDLERS = {
  ours: `const session = require('express-session');
const DynamoDBStore = require('connect-dynamodb-session')(session);
let store;
exports.handler = (event) => new Promise((resolve, reject) => {
  store ??= new DynamoDBStore({ tableName: 'sessions', region: process.env.AWS_REGION });
  store.get(event.sid, (error, value) => (error ? reject(error) : resolve(value)));
});`,
  'connect-dynamodb': `const session = require('express-session');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const DynamoDBStore = require('connect-dynamodb')(session);
let store;
exports.handler = (event) => new Promise((resolve, reject) => {
  store ??= new DynamoDBStore({ table: 'sessions', client: new DynamoDBClient({ region: process.env.AWS_REGION }) });
  store.get(event.sid, (error, value) => (error ? reject(error) : resolve(value)));
});`,
  floor: `const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
let client;
exports.handler = async (event) => {
  client ??= new DynamoDBClient({ region: process.env.AWS_REGION });
  return (await client.send(new GetItemCommand({ TableName: 'sessions', Key: { id: { S: event.sid } }, ConsistentRead: true }))).Item;
};`,
};
const LABELS = { ours: 'connect-dynamodb-session 2', 'connect-dynamodb': 'connect-dynamodb 3.0.5', floor: 'AWS SDK v3 alone (GetItem)' };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function main() {
  const esbuild = require('esbuild');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-'));
  const rows = [];
  try {
    for (const [id, source] of Object.entries(HANDLERS)) {
      const entry = path.join(__dirname, `.bundle-entry-${id}.js`);
      fs.writeFileSync(entry, source);
      try {
        for (const sdk of ['bundled', 'external']) {
          const outfile = path.join(dir, `${id}-${sdk}.js`);
          esbuild.buildSync({
            entryPoints: [entry],
            outfile,
            bundle: true,
            minify: true,
            platform: 'node',
            target: 'node20',
            format: 'cjs',
            external: sdk === 'external' ? ['@aws-sdk/*', '@smithy/*'] : [],
            logLevel: 'error',
          });
          rows.push({ id, sdk, bytes: fs.statSync(outfile).size, outfile, times: [] });
        }
      } finally {
        fs.rmSync(entry, { force: true });
      }
    }
    // Cold require of each bundle, interleaved; the external-SDK bundles resolve the SDK from this repository's node_modules.
    for (let run = 0; run < RUNS; run++) {
      for (const row of rows) {
        const started = process.hrtime.bigint();
        const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(row.outfile)})`], {
          cwd: __dirname,
          env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
        });
        if (result.status !== 0) throw new Error(`${row.id} (${row.sdk}): ${result.stderr}`);
        row.times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const out = rows.map(({ id, sdk, bytes, times }) => ({ id, label: LABELS[id], sdk, bytes, requireMs: median(times) }));
  if (args.includes('--json')) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(`esbuild ${require('esbuild/package.json').version}, minified; require: median of ${RUNS} fresh processes`);
  console.log('| Handler | SDK bundled: size | require | SDK external: size | require |');
  console.log('|---|---:|---:|---:|---:|');
  for (const id of Object.keys(HANDLERS)) {
    const b = out.find((r) => r.id === id && r.sdk === 'bundled');
    const e = out.find((r) => r.id === id && r.sdk === 'external');
    console.log(
      `| ${LABELS[id]} | ${(b.bytes / 1024).toFixed(0)} KiB | ${b.requireMs.toFixed(0)} ms | ${(e.bytes / 1024).toFixed(1)} KiB | ${e.requireMs.toFixed(0)} ms |`,
    );
  }
}

main();
