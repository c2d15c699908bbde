#!/usr/bin/env node

// `npm run bench:owner`: what the owner index (issue 14, "log out everywhere")
// costs in DynamoDB capacity units, against the same table without it, on an
// in-process dynalite. Writes docs/owner-index-costs.md and .json.
//
// Table units are what dynalite reports (ReturnConsumedCapacity, computed by
// DynamoDB's rules: 1 WCU per KB written, the larger of the old and the new
// item; 1 RCU per 4 KB read strongly, half that eventually). dynalite reports
// no index writes, so index WCU are counted from the items themselves: every
// write on the table with the index is bracketed by two reads of the item (by
// a separate, uncounted client), and DynamoDB's documented rule for a global
// secondary index is applied to the item before and after
// (docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes):
// an index entry put or deleted is 1 write per KB of the entry, a changed index
// key is a delete and a put, and a write that changes neither the index key nor
// a projected attribute (with KEYS_ONLY: the table keys) writes nothing there.
//
// Usage: node bench/owner-index.js [--sessions N] [--out DIR] [--no-build]

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const options = { sessions: 50, out: path.join(ROOT, 'docs'), build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--sessions') options.sessions = Number(argv[++i]);
    else if (arg === '--out') options.out = path.resolve(argv[++i]);
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--help') {
      console.log('Usage: node bench/owner-index.js [--sessions N (default 50)] [--out DIR (default docs)] [--no-build]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(options.sessions) || options.sessions < 1 || options.sessions > 1000) {
    throw new Error('--sessions must be an integer from 1 to 1000');
  }
  return options;
}

/** Bytes of an attribute value and name, by DynamoDB's sizing rules (close enough for entries far under 1 KB). */
function attributeBytes(name, value) {
  if (value.S !== undefined) return Buffer.byteLength(name) + Buffer.byteLength(value.S);
  if (value.N !== undefined) return Buffer.byteLength(name) + Math.ceil(value.N.replace(/^-/, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return Buffer.byteLength(name) + value.B.length;
  return Buffer.byteLength(name) + 1;
}

/** The index entry of an item (KEYS_ONLY: index key and table keys), or null when the item is not in the sparse index. */
function indexEntry(item, ownerAttribute, tableKeys) {
  if (!item || item[ownerAttribute]?.S === undefined) return null;
  const entry = { [ownerAttribute]: item[ownerAttribute] };
  for (const key of tableKeys) entry[key] = item[key];
  return entry;
}

const entryUnits = (entry) => Math.max(1, Math.ceil(Object.entries(entry).reduce((n, [k, v]) => n + attributeBytes(k, v), 0) / 1024));

/** Index write units of one table write, by DynamoDB's rule for global secondary indexes. */
function indexWriteUnits(before, after, ownerAttribute, tableKeys) {
  const a = indexEntry(before, ownerAttribute, tableKeys);
  const b = indexEntry(after, ownerAttribute, tableKeys);
  if (!a && !b) return 0;
  if (!a) return entryUnits(b);
  if (!b) return entryUnits(a);
  if (JSON.stringify(a) === JSON.stringify(b)) return 0; // neither the index key nor a projected attribute changed
  return entryUnits(a) + entryUnits(b); // a delete of the old entry and a put of the new one
}

/** Counts capacity per command on `client`; with `index`, also index write units per write. */
function meter(client, { tableName, index, rawClient, GetItemCommand }) {
  const tally = { RCU: 0, WCU: 0, indexWCU: 0, commands: {} };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName;
      tally.commands[name] = (tally.commands[name] ?? 0) + 1;
      const input = args.input;
      input.ReturnConsumedCapacity = 'TOTAL';
      const isWrite = name === 'PutItemCommand' || name === 'UpdateItemCommand' || name === 'DeleteItemCommand';
      const key = isWrite ? (input.Key ?? Object.fromEntries(index.tableKeys.map((k) => [k, input.Item[k]]))) : undefined;
      const read = async () => (await rawClient.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
      const before = isWrite && index.on ? await read() : undefined;
      let output;
      try {
        output = await next(args);
      } finally {
        if (isWrite && index.on) {
          const after = await read(); // (read before adding: `x += await y` would lose concurrent additions)
          tally.indexWCU += indexWriteUnits(before, after, index.ownerAttribute, index.tableKeys);
        }
      }
      const consumed = [].concat(output.output.ConsumedCapacity ?? []);
      for (const c of consumed) {
        if (isWrite || name === 'BatchWriteItemCommand') tally.WCU += c.CapacityUnits ?? 0;
        else tally.RCU += c.CapacityUnits ?? 0;
      }
      return output;
    },
    { step: 'initialize', name: 'ownerIndexMeter' },
  );
  return tally;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) {
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
  const { SessionStore } = require('@connect-dynamodb-session/core');
  const { DynamoDBBackend } = require('@connect-dynamodb-session/dynamodb');
  const { startDynalite } = require(path.join(ROOT, 'test-support', 'dynalite'));

  const server = await startDynalite();
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const clientOf = () => new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  const rawClient = clientOf();
  const n = options.sessions;
  const results = {};

  for (const variant of ['without index', 'with index']) {
    const withIndex = variant === 'with index';
    const tableName = `owner-bench-${withIndex ? 'indexed' : 'plain'}-${Date.now()}`;
    const awsClient = clientOf();
    const tally = meter(awsClient, {
      tableName,
      rawClient,
      GetItemCommand,
      index: { on: withIndex, ownerAttribute: 'owner', tableKeys: ['id'] },
    });
    const backend = new DynamoDBBackend({ tableName, awsClient, autoCreate: true, billingMode: 'PAY_PER_REQUEST' });
    let clock = Date.now();
    const store = new SessionStore({
      backend,
      touchAfter: 0,
      cleanupInterval: 0,
      now: () => clock,
      ...(withIndex ? { ownerOf: (s) => s.userId } : {}),
    });
    await store.ready();
    const cookie = () => ({ expires: new Date(clock + 3_600_000).toISOString() });
    const small = (userId) => ({ cookie: cookie(), ...(userId ? { userId } : {}), cart: 'x'.repeat(200) });
    const large = (userId) => ({ cookie: cookie(), ...(userId ? { userId } : {}), cart: 'x'.repeat(3000) });
    const row = results[variant] ?? {};
    results[variant] = row;

    /**
     * Runs `step` once per session and records the capacity it used, per operation. A step that returns a tally
     * snapshot is measured from that point on (what it did before, to set up, is not counted).
     */
    const measure = async (label, step) => {
      const used = { RCU: 0, WCU: 0, indexWCU: 0 };
      for (let i = 0; i < n; i++) {
        const start = { RCU: tally.RCU, WCU: tally.WCU, indexWCU: tally.indexWCU };
        const from = (await step(i)) ?? start;
        for (const k of Object.keys(used)) used[k] += tally[k] - from[k];
      }
      row[label] = { RCU: used.RCU / n, WCU: used.WCU / n, indexWCU: used.indexWCU / n };
    };

    const reads = [];
    await measure('new session with an owner (create)', async (i) => {
      reads[i] = await store.set(`owned-${i}`, small('ada'));
    });
    await measure('save, same owner (replace)', async (i) => {
      reads[i] = await store.set(`owned-${i}`, { ...small('ada'), step: 2 }, reads[i]);
    });
    await measure('touch (expiry only)', async (i) => {
      clock += 1000;
      await store.touch(`owned-${i}`, small('ada'));
    });
    await measure('save, same owner, 3 KB session', async (i) => {
      reads[i] = await store.set(`owned-${i}`, { ...large('ada'), step: 3 }, reads[i]);
    });
    await measure('touch, 3 KB session', async (i) => {
      clock += 1000;
      await store.touch(`owned-${i}`, large('ada'));
    });
    const anonymous = [];
    await measure('new anonymous session', async (i) => {
      anonymous[i] = await store.set(`anon-${i}`, small());
    });
    await measure('login (no owner → owner)', async (i) => {
      anonymous[i] = await store.set(`anon-${i}`, small('bob'), anonymous[i]);
    });
    await measure('switch user (owner → another)', async (i) => {
      anonymous[i] = await store.set(`anon-${i}`, small('carol'), anonymous[i]);
    });
    await measure('logout by a save without owner', async (i) => {
      anonymous[i] = await store.set(`anon-${i}`, small(), anonymous[i]);
    });
    await measure('destroy of an anonymous session (tombstone)', async (i) => {
      await store.destroy(`anon-${i}`);
    });
    await measure('destroy of a session with an owner (logout)', async (i) => {
      await store.set(`gone-${i}`, small('dave'));
      const before = { ...tally };
      await store.destroy(`gone-${i}`);
      // Only the destroy counts: take back what the set cost.
      return before;
    });
    if (withIndex) {
      /** One destroySessionsOf call, per session ended; and which requests it sent. */
      const destroyAll = async (owner, what) => {
        const before = { RCU: tally.RCU, WCU: tally.WCU, indexWCU: tally.indexWCU, commands: { ...tally.commands } };
        const ended = await store.destroySessionsOf(owner);
        row[`destroySessionsOf, per session ended (${ended} of ${what})`] = {
          RCU: (tally.RCU - before.RCU) / ended,
          WCU: (tally.WCU - before.WCU) / ended,
          indexWCU: (tally.indexWCU - before.indexWCU) / ended,
        };
        const sent = Object.entries(tally.commands)
          .map(([k, v]) => [k.replace(/Command$/, ''), v - (before.commands[k] ?? 0)])
          .filter(([, v]) => v > 0);
        row.destroySessionsOfCommands = Object.fromEntries(sent);
      };
      for (let i = 0; i < n; i++) await store.set(`small-${i}`, small('erin'));
      await destroyAll('erin', 'about 300 B');
      await destroyAll('ada', '3 KB'); // the owned-* sessions, 3 KB by now
    }
    await store.close();
    awsClient.destroy();
  }
  rawClient.destroy();
  await server.stop();

  const labels = Object.keys(results['with index']).filter((l) => l !== 'destroySessionsOfCommands');
  const fmt = (x) => (x === undefined ? '—' : Number(x.toFixed(3)).toString());
  const lines = [
    '# What the owner index costs',
    '',
    `\`node bench/owner-index.js --sessions ${n}\` on dynalite, ${new Date().toISOString().slice(0, 10)}. Per operation, averaged over ${n} sessions.`,
    "Table units as dynalite reports them; index WCU counted from each item before and after the write with DynamoDB's rule",
    'for global secondary indexes (see the comment at the top of bench/owner-index.js). Sessions of about 300 bytes unless said.',
    '',
    '| operation | table RCU | table WCU, without index | table WCU, with index | index WCU (extra) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const label of labels) {
    const w = results['with index'][label];
    const p = results['without index'][label];
    lines.push(`| ${label} | ${fmt(w.RCU)} | ${fmt(p?.WCU)} | ${fmt(w.WCU)} | ${fmt(w.indexWCU)} |`);
  }
  lines.push(
    '',
    `Requests of one destroySessionsOf call (${n} sessions): ${Object.entries(results['with index'].destroySessionsOfCommands)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; no Scan.`,
    '',
  );
  fs.mkdirSync(options.out, { recursive: true });
  fs.writeFileSync(path.join(options.out, 'owner-index-costs.md'), lines.join('\n'));
  fs.writeFileSync(path.join(options.out, 'owner-index-costs.json'), `${JSON.stringify({ sessions: n, results }, null, 2)}\n`);
  console.log(lines.join('\n'));
}

module.exports = { indexWriteUnits };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
