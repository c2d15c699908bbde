#!/usr/bin/env node

// `npm run bench`: builds the packages, then benchmarks this store against its
// peers and a raw-SDK floor over HTTP, against one dynalite server, and writes
// docs/benchmarks.md, docs/benchmarks.svg and docs/benchmarks.json.
// See bench/README.md for what is measured and how.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const children = require('./lib/children');
const { STORES, storeById } = require('./lib/stores');
const { WORKLOADS, createSessions, autocannonOptions, runLoad } = require('./lib/workloads');

const ROOT = path.resolve(__dirname, '..');
/** A run disturbed by other processes is measured at most this many times in all. */
const MAX_ATTEMPTS = 3;
/** Fresh processes per package for the cold `require` time (median). */
const REQUIRE_RUNS = 10;
const LIB = path.join(__dirname, 'lib');

const HELP = `Usage: npm run bench -- [options]      (or: node bench/run.js [options])

Benchmarks connect-dynamodb-session against connect-dynamodb, dynamodb-store,
the original connect-dynamodb-session 1.1.0 and a raw-SDK floor, over HTTP
(Express 5 + express-session) against one local dynalite server, and writes
docs/benchmarks.md, docs/benchmarks.svg and docs/benchmarks.json.
Default settings take about 5 minutes on 2 cores.

Options (environment variable in brackets):
  --duration <s>       seconds per measured run [BENCH_DURATION]           default 4
  --connections <n>    concurrent connections, one session each [BENCH_CONNECTIONS]  default 20
  --repeats <n>        runs of every configuration [BENCH_REPEATS]         default 2
  --warmup <s>         warm-up seconds per app server [BENCH_WARMUP]       default 3
  --throttle <ms>      touch throttle of the same-throttle variant [BENCH_THROTTLE_MS]  default 2000
  --stores <list>      comma-separated subset [BENCH_STORES]               default all:
                       ${STORES.map((store) => store.id).join(',')}
  --workloads <list>   comma-separated subset [BENCH_WORKLOADS]            default all:
                       ${WORKLOADS.map((workload) => workload.id).join(',')}
  --cpu-iterations <n> operations per CPU measurement [BENCH_CPU_ITERATIONS]  default 20000
  --max-other-cores <n>  a run during which other processes kept more than n
                       cores busy is measured again, at most twice [BENCH_MAX_OTHER_CORES]  default 0.25
  --retry-budget <f>   at most this fraction of the runs is measured again
                       [BENCH_RETRY_BUDGET]                                default 0.15
  --quiet-wait <s>     before a run, wait up to this many seconds in all for
                       other processes to calm down [BENCH_QUIET_WAIT]     default 60
  --out <dir>          output directory [BENCH_OUT]                        default docs
  --build              always run \`npm run build\` first (default: only when a
                       package's src/ is newer than its dist/)
  --no-build           never build (use the existing dist/)
  --no-static          skip CPU per operation, the CPU profile, installed size
                       and require time
  --from <file>        measure nothing: write the report again from a previous
                       benchmarks.json (e.g. after changing bench/lib/report.js)
  --help               show this help
`;

function parseArgs(argv) {
  const env = process.env;
  const options = {
    duration: Number(env.BENCH_DURATION || 4),
    connections: Number(env.BENCH_CONNECTIONS || 20),
    repeats: Number(env.BENCH_REPEATS || 2),
    warmup: Number(env.BENCH_WARMUP || 3),
    throttleMs: Number(env.BENCH_THROTTLE_MS || 2000),
    stores: (env.BENCH_STORES || STORES.map((store) => store.id).join(',')).split(','),
    workloads: (env.BENCH_WORKLOADS || WORKLOADS.map((workload) => workload.id).join(',')).split(','),
    cpuIterations: Number(env.BENCH_CPU_ITERATIONS || 20000),
    maxOtherCores: Number(env.BENCH_MAX_OTHER_CORES || 0.25),
    retryBudget: Number(env.BENCH_RETRY_BUDGET || 0.15),
    quietWait: Number(env.BENCH_QUIET_WAIT || 60),
    out: env.BENCH_OUT || path.join(ROOT, 'docs'),
    from: undefined,
    build: 'auto',
    static: true,
    help: false,
  };
  const valued = {
    '--duration': 'duration',
    '--connections': 'connections',
    '--repeats': 'repeats',
    '--warmup': 'warmup',
    '--throttle': 'throttleMs',
    '--stores': 'stores',
    '--workloads': 'workloads',
    '--cpu-iterations': 'cpuIterations',
    '--max-other-cores': 'maxOtherCores',
    '--retry-budget': 'retryBudget',
    '--quiet-wait': 'quietWait',
    '--out': 'out',
    '--from': 'from',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--no-build') options.build = 'never';
    else if (flag === '--build') options.build = 'always';
    else if (flag === '--no-static') options.static = false;
    else if (valued[flag]) {
      const value = inline !== undefined ? inline : argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      const key = valued[flag];
      options[key] =
        key === 'stores' || key === 'workloads' ? value.split(',') : key === 'out' || key === 'from' ? path.resolve(value) : Number(value);
    } else throw new Error(`unknown option ${argv[i]} (see --help)`);
  }
  for (const key of [
    'duration',
    'connections',
    'repeats',
    'warmup',
    'throttleMs',
    'cpuIterations',
    'maxOtherCores',
    'retryBudget',
    'quietWait',
  ]) {
    const min = ['warmup', 'maxOtherCores', 'retryBudget', 'quietWait'].includes(key) ? 0 : 1;
    if (!Number.isFinite(options[key]) || options[key] < min) throw new Error(`${key} must be a number >= ${min}, got ${options[key]}`);
  }
  options.stores.forEach(storeById);
  for (const id of options.workloads) {
    if (!WORKLOADS.some((workload) => workload.id === id)) throw new Error(`unknown workload "${id}"`);
  }
  return options;
}

const log = (line) => process.stdout.write(`${line}\n`);
/** Busy CPU time of the whole machine in µs (Linux /proc/stat), or undefined elsewhere. */
function machineBusyMicros() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait; USER_HZ is 100.
    const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields[7] || 0);
    return busy * 10000;
  } catch {
    return undefined;
  }
}

const cpuMicros = (usage) => usage.user + usage.system;

/**
 * Between runs the benchmark's own processes are idle, so whatever keeps the
 * machine busy then is someone else. Waits (in 1 s steps, within `budgetMs`)
 * until that is under --max-other-cores; returns the time waited in ms.
 */
async function waitForQuiet(options, budgetMs) {
  let waited = 0;
  for (;;) {
    const before = machineBusyMicros();
    if (before === undefined) return waited;
    const wallBefore = process.hrtime.bigint();
    await sleep(500);
    const busyCores = (machineBusyMicros() - before) / (Number(process.hrtime.bigint() - wallBefore) / 1000);
    if (busyCores <= options.maxOtherCores || waited + 1000 > budgetMs || interrupted) return waited;
    if (waited === 0) log(`    other processes keep ${busyCores.toFixed(2)} cores busy: waiting for a quieter moment ...`);
    await sleep(500);
    waited += 1000;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Environment for every child: fake credentials (dynalite checks only that a
// signature is present), and no SDK notices on stderr.
const CHILD_ENV = {
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
Object.assign(process.env, CHILD_ENV);

const BUILT_PACKAGES = ['core', 'dynamodb', 'express'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Why the packages our store loads need a build, or undefined when every dist/ is newer than its sources. */
function staleBuild() {
  for (const name of BUILT_PACKAGES) {
    const dir = path.join(ROOT, 'packages', name);
    const built = path.join(dir, 'dist', 'index.js');
    if (!fs.existsSync(built)) return `packages/${name}/dist is missing`;
    const sources = Math.max(newestMtime(path.join(dir, 'src')), fs.statSync(path.join(dir, 'package.json')).mtimeMs);
    if (sources > fs.statSync(built).mtimeMs) return `packages/${name}/src is newer than its dist`;
  }
  return undefined;
}

function build() {
  log('Building the packages (npm run build) ...');
  const started = Date.now();
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    log(`${result.stdout}\n${result.stderr}`.split('\n').slice(-30).join('\n'));
    throw new Error('npm run build failed (run with --no-build to use the existing dist/)');
  }
  log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Whether our built store loads; if not, the run goes on without it and says so. */
function oursLoads() {
  const result = spawnSync(
    process.execPath,
    ['-e', "const f = require('connect-dynamodb-session'); if (typeof f !== 'function') throw new Error('export is ' + typeof f)"],
    { cwd: __dirname, encoding: 'utf8', env: process.env },
  );
  return result.status === 0 ? { ok: true } : { ok: false, reason: (result.stderr || '').trim().split('\n').slice(0, 4).join(' ') };
}

async function createTable(client, name, hashKey) {
  const { CreateTableCommand } = require('@aws-sdk/client-dynamodb');
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
    }),
  );
}

/** The configurations: every store with its defaults, plus the same-throttle variant of each throttled store. */
function configurations(options) {
  const configs = [];
  for (const id of options.stores) {
    const store = storeById(id);
    configs.push({ key: id, store, variant: 'default', throttleMs: undefined, workloads: options.workloads });
    if (store.throttle > 0 && options.workloads.includes('read-mostly')) {
      configs.push({ key: `${id}@throttle`, store, variant: 'same-throttle', throttleMs: options.throttleMs, workloads: ['read-mostly'] });
    }
  }
  return configs;
}

let currentLoad;
let interrupted = false;

const tableName = (config) => `bench-${config.key.replace(/[^a-zA-Z0-9-]/g, '-')}`;

/** Starts the app server of one configuration and warms it up. */
async function startApp(config, endpoint, options) {
  const env = { BENCH_STORE: config.store.id, BENCH_ENDPOINT: endpoint, BENCH_TABLE: tableName(config) };
  if (config.throttleMs !== undefined) env.BENCH_THROTTLE_MS = String(config.throttleMs);
  const app = children.start(path.join(LIB, 'app-server.js'), { env, label: `app server (${config.key})` });
  const { port } = await app.ready;
  const baseUrl = `http://127.0.0.1:${port}`;
  if (options.warmup > 0) {
    await runLoad(autocannonOptions('warmup', baseUrl, []), {
      connections: options.connections,
      duration: options.warmup,
      onInstance: (instance) => (currentLoad = instance),
    });
  }
  return { ...config, app, baseUrl };
}

/** One measured run of one workload against one (running, warm) app server. */
async function measure(target, workloadId, db, options, repeat) {
  const { app, baseUrl } = target;
  const table = tableName(target);
  const cookies = workloadId === 'churn' ? [] : await createSessions(baseUrl, options.connections);
  const group = target.variant === 'same-throttle' ? `${workloadId}@throttle` : workloadId;
  const title = `${target.key.padEnd(24)} ${group.padEnd(20)} run ${repeat}/${options.repeats}`;
  if (target.variant === 'same-throttle') {
    // Steady state: every session has been through its first throttled
    // touch before counting starts, so that the measured window holds
    // whole throttle intervals for every store alike.
    const preRoll = Math.ceil(target.throttleMs / 1000) + 1;
    log(`  ${title}  pre-roll ${preRoll} s (not measured)`);
    await runLoad(autocannonOptions(workloadId, baseUrl, cookies), {
      connections: options.connections,
      duration: preRoll,
      onInstance: (instance) => (currentLoad = instance),
    });
  }
  await sleep(200); // let the logins' writes settle before counting
  const dbBefore = await db.request('reset');
  const usageBefore = await app.request('usage');
  const ownBefore = process.cpuUsage();
  const machineBefore = machineBusyMicros();
  const wallBefore = process.hrtime.bigint();
  const result = await runLoad(autocannonOptions(workloadId, baseUrl, cookies), {
    connections: options.connections,
    duration: options.duration,
    progress: (second, count) => log(`  ${title}  ${String(second).padStart(3)} s  ${String(count).padStart(6)} req/s`),
    onInstance: (instance) => (currentLoad = instance),
  });
  await sleep(300); // requests in flight when the load stopped still finish their DynamoDB calls
  const usageAfter = await app.request('usage');
  const dbAfter = await db.request('stats');
  const machineAfter = machineBusyMicros();
  const elapsedMicros = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const stats = dbAfter.tables[table] || { ops: {}, rcu: 0, wcu: 0, putItemBytes: 0, putItems: 0, writeIntervals: [] };
  const otherTables = Object.entries(dbAfter.tables)
    .filter(([name]) => name !== table)
    .map(
      ([name, entry]) =>
        `${name}: ${Object.entries(entry.ops)
          .map(([op, { calls }]) => `${op} ${calls}`)
          .join(', ')}`,
    );
  const seconds = (new Date(result.finish) - new Date(result.start)) / 1000;
  const httpRequests = usageAfter.requests - usageBefore.requests;
  const appMicros = cpuMicros(usageAfter.cpu) - cpuMicros(usageBefore.cpu);
  const benchMicros = appMicros + cpuMicros(dbAfter.cpu) - cpuMicros(dbBefore.cpu) + cpuMicros(process.cpuUsage(ownBefore));
  const run = {
    config: target.key,
    store: target.store.id,
    variant: target.variant,
    throttleMs: target.throttleMs,
    workload: workloadId,
    group,
    repeat,
    seconds,
    completed: result.requests.total,
    reqPerSec: result.requests.total / seconds,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    non2xx: result.non2xx,
    socketErrors: result.errors,
    httpRequests,
    sessions: cookies.length,
    appErrors: usageAfter.errors - usageBefore.errors,
    appLastError: usageAfter.errors > usageBefore.errors ? usageAfter.lastError : undefined,
    appCpuMsPerRequest: appMicros / 1000 / Math.max(1, httpRequests),
    appSystemCpuMsPerRequest: (usageAfter.cpu.system - usageBefore.cpu.system) / 1000 / Math.max(1, httpRequests),
    // Cores kept busy by the benchmark's own processes, and by everything else on the machine, during the run.
    benchCores: benchMicros / elapsedMicros,
    otherCores: machineBefore === undefined ? undefined : Math.max(0, (machineAfter - machineBefore - benchMicros) / elapsedMicros),
    // DynamoDB calls on other tables meanwhile (idle app servers' background work, if any).
    otherTables,
    appRssMb: usageAfter.rss / 1e6,
    db: stats,
  };
  const calls = Object.entries(stats.ops)
    .map(([op, entry]) => `${op} ${(entry.calls / Math.max(1, httpRequests)).toFixed(2)}`)
    .join(', ');
  log(
    `  ${title}  => ${run.reqPerSec.toFixed(0)} req/s, p50 ${run.latencyP50} ms, p99 ${run.latencyP99} ms; per request: ${calls || 'no calls'}; ` +
      `WCU/1k ${((stats.wcu * 1000) / Math.max(1, httpRequests)).toFixed(1)}${run.otherCores === undefined ? '' : `; other processes ${run.otherCores.toFixed(2)} cores`}${run.non2xx || run.socketErrors ? `; ${run.non2xx} non-2xx, ${run.socketErrors} socket errors` : ''}`,
  );
  if (run.appLastError) log(`    app error: ${run.appLastError.split('\n')[0]}`);
  if (otherTables.length > 0) log(`    meanwhile on other tables: ${otherTables.join('; ')}`);
  return run;
}

/**
 * Where the app server's CPU goes with ours and with the v3 floor: a fresh app
 * server under the V8 profiler, the mixed warm-up traffic (login, page, cart,
 * page, logout) for --duration seconds. Not part of the measured runs.
 */
async function profileLayers(configs, endpoint, options) {
  const { layerShares } = require('./lib/profile');
  const results = [];
  // ours-plain: our store on a client with the SDK's defaults, i.e. ours before the lean client.
  for (const id of ['ours-plain', 'ours', 'floor']) {
    const config = configs.find((candidate) => candidate.key === id);
    if (!config || interrupted) continue;
    log(`Profiling the app server with ${id} (mixed traffic, ${options.duration} s) ...`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-profile-${id}-`));
    try {
      const env = { BENCH_STORE: config.store.id, BENCH_ENDPOINT: endpoint, BENCH_TABLE: tableName(config) };
      const app = children.start(path.join(LIB, 'app-server.js'), {
        env,
        label: `profiled app server (${id})`,
        execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      });
      const { port } = await app.ready;
      const load = { connections: options.connections, onInstance: (instance) => (currentLoad = instance) };
      await runLoad(autocannonOptions('warmup', `http://127.0.0.1:${port}`, []), { ...load, duration: options.warmup || 1 });
      await runLoad(autocannonOptions('warmup', `http://127.0.0.1:${port}`, []), { ...load, duration: options.duration });
      const { requests } = await app.request('usage');
      await app.stop();
      // The profile covers the whole life of the process, warm-up included: the shares barely move with it.
      const { shares, busyMicros } = layerShares(dir);
      results.push({ store: id, shares, busyMicrosPerRequest: busyMicros / requests });
    } catch (error) {
      results.push({ store: id, error: String(error.message || error).split('\n')[0] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

function runNode(args, { timeoutMs = 120000 } = {}) {
  const result = spawnSync(process.execPath, args, { cwd: __dirname, encoding: 'utf8', env: process.env, timeout: timeoutMs });
  return result;
}

function staticMeasurements(options, oursAvailable) {
  const { installedSize, nodeStartupMs, median } = require('./lib/footprint');
  const out = { cpu: [], footprint: [], baselineStartupMs: undefined };

  log('CPU time per store operation against an in-memory backend ...');
  const cpuTargets = [
    ...(oursAvailable ? [{ target: 'ours', store: 'ours' }] : []),
    { target: 'v1', store: 'v1' },
    { target: 'connect-dynamodb', store: 'connect-dynamodb' },
    { target: 'memory', store: 'memory' },
  ];
  for (const { target, store } of cpuTargets) {
    if (interrupted) return out;
    const result = runNode([path.join(LIB, 'cpu-bench.js'), target, String(options.cpuIterations)]);
    if (result.status !== 0) {
      out.cpu.push({ store, error: (result.stderr || result.error || '').toString().trim().split('\n').slice(0, 3).join(' ') });
      log(`  ${target}: failed: ${out.cpu.at(-1).error}`);
      continue;
    }
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop());
    out.cpu.push({ store, perOp: parsed.perOp, iterations: parsed.iterations });
    log(
      `  ${target}: ${Object.entries(parsed.perOp)
        .map(([op, us]) => `${op} ${us.toFixed(1)} µs`)
        .join(', ')}`,
    );
  }

  log('Installed size and cold require time ...');
  out.baselineStartupMs = nodeStartupMs('', { cwd: __dirname, runs: REQUIRE_RUNS });
  const footprintTargets = [
    ...(oursAvailable ? [{ store: 'ours', packages: ['connect-dynamodb-session'], requireName: 'connect-dynamodb-session' }] : []),
    { store: 'connect-dynamodb', packages: ['connect-dynamodb'], requireName: 'connect-dynamodb' },
    { store: 'dynamodb-store', packages: ['dynamodb-store'], requireName: 'dynamodb-store' },
    { store: 'v1', packages: ['connect-dynamodb-session-v1'], requireName: 'connect-dynamodb-session-v1' },
    { store: 'floor', packages: ['@aws-sdk/client-dynamodb'], requireName: '@aws-sdk/client-dynamodb' },
    { store: 'floor-v2', packages: ['aws-sdk'], requireName: 'aws-sdk' },
  ];
  // Cold require: rounds of one fresh process per package, interleaved, so that load from elsewhere spreads over all.
  // `require` alone flatters a store that defers loading the SDK (ours does), so each round also times a process that
  // requires express-session and builds the store as the benchmark app does (bench/lib/stores.js), then exits: what a
  // Lambda's init pays before the first request. Its baseline requires express-session and stores.js only.
  const buildScript = (id) =>
    `const { storeById } = require('./lib/stores'); const session = require('express-session');${
      id ? ` storeById(${JSON.stringify(id)}).create(session, { endpoint: 'http://127.0.0.1:9', table: 'sessions', throttleMs: 0 });` : ''
    } process.exit(0);`;
  const requireTimes = new Map(footprintTargets.map((target) => [target.store, []]));
  const buildTimes = new Map([[undefined, []], ...footprintTargets.map((target) => [target.store, []])]);
  for (let round = 0; round < REQUIRE_RUNS && !interrupted; round++) {
    buildTimes.get(undefined).push(nodeStartupMs(buildScript(undefined), { cwd: __dirname, runs: 1 }).median);
    for (const target of footprintTargets) {
      const { median: ms } = nodeStartupMs(`require(${JSON.stringify(target.requireName)})`, { cwd: __dirname, runs: 1 });
      requireTimes.get(target.store).push(ms);
      buildTimes.get(target.store).push(nodeStartupMs(buildScript(target.store), { cwd: __dirname, runs: 1 }).median);
    }
  }
  out.baselineBuildMs = median(buildTimes.get(undefined));
  for (const target of footprintTargets) {
    if (interrupted) return out;
    const size = installedSize(target.packages, __dirname);
    const times = requireTimes.get(target.store);
    const startup = { median: median(times), min: Math.min(...times), max: Math.max(...times), runs: times.length };
    out.footprint.push({
      store: target.store,
      ...size,
      requireMs: startup,
      requireOverBaselineMs: startup.median - out.baselineStartupMs.median,
      buildMs: median(buildTimes.get(target.store)),
      buildOverBaselineMs: median(buildTimes.get(target.store)) - out.baselineBuildMs,
    });
    log(
      `  ${target.store}: ${(size.bytes / 1e6).toFixed(1)} MB in ${size.packages.length} packages; require ${startup.median.toFixed(0)} ms; require and build ${median(buildTimes.get(target.store)).toFixed(0)} ms`,
    );
  }

  if (oursAvailable) {
    // What one logout leaves for the tombstone window: the item { id, expires } (default names) for a 32-character session id.
    const { itemSize } = require('@connect-dynamodb-session/dynamodb');
    const tombstone = { id: { S: 'x'.repeat(32) }, expires: { N: String(Math.floor(Date.now() / 1000) + 86_400) } };
    out.tombstoneBytes = itemSize(tombstone);
  }
  if (oursAvailable && !interrupted) {
    log('Cold start with a slow control plane (bench/cold-start.js) ...');
    const cold = runNode([path.join(__dirname, 'cold-start.js'), '--delay', '500', '--repeats', '5'], { timeoutMs: 300000 });
    out.coldStart =
      cold.status === 0 ? JSON.parse(cold.stdout.trim().split('\n').pop()) : { error: (cold.stderr || '').trim().split('\n')[0] };
    log('Lambda handler bundles (bench/bundle.js) ...');
    const bundles = runNode([path.join(__dirname, 'bundle.js'), '--runs', String(REQUIRE_RUNS), '--json'], { timeoutMs: 300000 });
    out.bundles =
      bundles.status === 0 ? JSON.parse(bundles.stdout.trim().split('\n').pop()) : { error: (bundles.stderr || '').trim().split('\n')[0] };
  }
  return out;
}

function environment(options) {
  const version = (name) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    commit: git.status === 0 ? git.stdout.trim() : 'unknown',
    packagesDirty: dirty.status === 0 && dirty.stdout.trim().length > 0,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0] ? os.cpus()[0].model.trim() : 'unknown'}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    versions: Object.fromEntries(
      [
        'connect-dynamodb-session',
        '@connect-dynamodb-session/core',
        '@connect-dynamodb-session/dynamodb',
        'connect-dynamodb',
        'dynamodb-store',
        'connect-dynamodb-session-v1',
        '@aws-sdk/client-dynamodb',
        'aws-sdk',
        'express',
        'express-session',
        'dynalite',
        'autocannon',
      ].map((name) => [name, version(name)]),
    ),
    settings: {
      duration: options.duration,
      connections: options.connections,
      repeats: options.repeats,
      warmup: options.warmup,
      throttleMs: options.throttleMs,
      cpuIterations: options.cpuIterations,
      maxOtherCores: options.maxOtherCores,
      retryBudget: options.retryBudget,
      quietWait: options.quietWait,
    },
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  if (options.from) {
    const saved = JSON.parse(fs.readFileSync(options.from, 'utf8'));
    const { writeReport } = require('./lib/report');
    const files = writeReport(
      {
        env: saved.env,
        options: { ...options, ...saved.env.settings },
        runs: saved.runs,
        staticResults: saved.staticResults,
        oursStatus: saved.oursStatus || { ok: true },
        stores: STORES,
        workloads: WORKLOADS,
      },
      options.out,
    );
    log(`Wrote ${files.map((file) => path.relative(process.cwd(), file)).join(', ')} from ${path.relative(process.cwd(), options.from)}.`);
    return;
  }
  const started = Date.now();
  const loadAtStart = os.loadavg()[0];
  if (options.build === 'always') build();
  else if (options.build === 'auto') {
    const reason = staleBuild();
    if (reason) {
      log(`${reason}.`);
      build();
    } else log('Built packages are up to date (--build to rebuild anyway).');
  }
  let oursStatus = { ok: true };
  if (options.stores.includes('ours')) {
    oursStatus = oursLoads();
    if (!oursStatus.ok) {
      log(`WARNING: connect-dynamodb-session (ours) does not load from its dist/; benchmarking without it.\n  ${oursStatus.reason}`);
      options.stores = options.stores.filter((id) => id !== 'ours');
    }
  }

  log('Starting dynalite behind the counting front end ...');
  const db = children.start(path.join(LIB, 'db-server.js'), { label: 'dynalite' });
  const { port } = await db.ready;
  const endpoint = `http://127.0.0.1:${port}`;
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  const configs = configurations(options);
  for (const config of configs) await createTable(admin, tableName(config), config.store.hashKey);
  admin.destroy();

  // Every app server runs for the whole benchmark (an idle one costs no CPU),
  // so that the runs can be interleaved finely: for each repeat and workload,
  // every store in turn, in an order rotated from one round to the next. Noise
  // from the machine (other processes, a growing dynalite) then spreads over
  // all stores instead of landing on one.
  log(`Starting ${configs.length} app servers and warming them up ...`);
  const targets = [];
  for (const config of configs) targets.push(await startApp(config, endpoint, options));

  const runs = [];
  const plannedRuns = options.repeats * targets.reduce((total, target) => total + target.workloads.length, 0);
  let retriesLeft = Math.floor(plannedRuns * options.retryBudget);
  let quietWaitLeft = options.quietWait * 1000;
  for (let repeat = 1; repeat <= options.repeats && !interrupted; repeat++) {
    for (const workloadId of options.workloads) {
      const eligible = targets.filter((target) => target.workloads.includes(workloadId));
      // Each repeat starts the order at a different place, spread evenly.
      const offset = ((repeat - 1) * Math.max(1, Math.floor(eligible.length / options.repeats))) % eligible.length;
      for (const target of [...eligible.slice(offset), ...eligible.slice(0, offset)]) {
        if (interrupted) break;
        quietWaitLeft -= await waitForQuiet(options, quietWaitLeft);
        let run = await measure(target, workloadId, db, options, repeat);
        // Other processes competing for the cores make a run meaningless for
        // comparison: measure it again (within a budget) and keep the quietest.
        let attempts = 1;
        while (run.otherCores > options.maxOtherCores && retriesLeft > 0 && attempts < MAX_ATTEMPTS && !interrupted) {
          retriesLeft -= 1;
          attempts += 1;
          log(`    other processes used ${run.otherCores.toFixed(2)} cores (> ${options.maxOtherCores}): measuring again`);
          quietWaitLeft -= await waitForQuiet(options, quietWaitLeft);
          const again = await measure(target, workloadId, db, options, repeat);
          if (again.otherCores < run.otherCores) run = again;
        }
        run.attempts = attempts;
        runs.push(run);
      }
    }
  }
  const profiles = options.static && !interrupted ? await profileLayers(configs, endpoint, options) : undefined;
  await children.stopAll();
  const quietWaitedSeconds = (options.quietWait * 1000 - quietWaitLeft) / 1000;

  const staticResults =
    options.static && !interrupted ? { ...staticMeasurements(options, options.stores.includes('ours')), profiles } : undefined;
  if (interrupted) return;

  const { writeReport } = require('./lib/report');
  const env = environment(options);
  env.totalSeconds = (Date.now() - started) / 1000;
  env.loadAverage = { start: loadAtStart, end: os.loadavg()[0] };
  env.quietWaitedSeconds = quietWaitedSeconds;
  const files = writeReport({ env, options, runs, staticResults, oursStatus, stores: STORES, workloads: WORKLOADS }, options.out);
  log(`\nWrote ${files.map((file) => path.relative(process.cwd(), file)).join(', ')} in ${env.totalSeconds.toFixed(0)} s.`);
}

async function shutdown(signal) {
  if (interrupted) return;
  interrupted = true;
  log(`\n${signal}: stopping ...`);
  if (currentLoad) currentLoad.stop();
  await children.stopAll();
  process.exit(130);
}

process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('exit', children.killAllNow);

main().then(
  () => children.stopAll(),
  async (error) => {
    process.stderr.write(`bench failed: ${error?.stack ? error.stack : error}\n`);
    await children.stopAll();
    process.exit(1);
  },
);
