#!/usr/bin/env node

// `npm start`: runs the example app (express-app/app.js) on the built packages.
//
// Where sessions go:
//   - DYNAMODB_ENDPOINT set (DynamoDB Local, docker-compose): that server; the table is created if missing.
//   - AWS_REGION and SESSION_TABLE set: that table in AWS (SESSION_AUTO_CREATE=true to create it).
//   - neither: an embedded dynalite (a DynamoDB-compatible server in Node) that keeps its data in
//     examples/.data/, so sessions survive a restart.
// PORT (default 3000), SESSION_SECRET (default: a random secret kept in the data folder), DATA_DIR.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const session = require('express-session');
const { createApp } = require('./express-app/app');

function loadStorePackage() {
  try {
    return require('connect-dynamodb-session');
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error;
    console.error('The packages are not built yet. Run `npm install` (or `npm run build`) at the repository root first.');
    process.exit(1);
  }
}

/** Reads the environment once; every setting the example uses is here. */
function readConfig(env) {
  const dataDir = path.resolve(env.DATA_DIR || path.join(__dirname, '.data'));
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number; got ${JSON.stringify(env.PORT)}`);
  let mode = 'embedded';
  if (env.DYNAMODB_ENDPOINT) mode = 'endpoint';
  else if (env.AWS_REGION && env.SESSION_TABLE) mode = 'aws';
  return {
    mode,
    port,
    dataDir,
    endpoint: env.DYNAMODB_ENDPOINT,
    region: env.AWS_REGION || 'us-east-1',
    tableName: env.SESSION_TABLE || 'sessions',
    autoCreate: mode !== 'aws' || env.SESSION_AUTO_CREATE === 'true',
    secret: env.SESSION_SECRET,
    hasCredentials: Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE),
  };
}

/** A secret that outlives restarts (so do the cookies signed with it), made once and kept in the data folder. */
function persistentSecret(dataDir) {
  const file = path.join(dataDir, 'session-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Claims the data folder for this process (a pid file made with O_EXCL), so that a second
 * `npm start` on the same folder says so instead of failing inside dynalite's database.
 * A pid file whose process is gone (killed, crashed) is taken over. Returns the release function.
 */
function claimDataDir(dataDir) {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'npm-start.pid');
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (isRunning(owner)) {
      throw new Error(
        `The data folder ${dataDir} is in use by another \`npm start\` (pid ${owner}). ` +
          'Stop that one first (Ctrl-C), or give this one its own folder: DATA_DIR=/tmp/example-2 PORT=3001 npm start',
      );
    }
    fs.rmSync(file, { force: true }); // left behind by a process that is gone
  }
  const release = () => {
    try {
      if (Number.parseInt(fs.readFileSync(file, 'utf8'), 10) === process.pid) fs.rmSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return release;
}

function isRunning(pid) {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM'; // it exists, under another user
  }
}

/** Listens on `port`; a port in use is said in words, with what to do. */
function listen(app, port) {
  const server = app.listen(port);
  return new Promise((resolve, reject) => {
    server.once('listening', () => resolve(server));
    server.once('error', (error) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      reject(
        new Error(`Port ${port} is in use: is another \`npm start\` running? Stop it (Ctrl-C), or use another port: PORT=3001 npm start`),
      );
    });
  });
}

async function startDynalite(dataDir) {
  const dynalite = require('dynalite');
  const dbPath = path.join(dataDir, 'dynalite');
  fs.mkdirSync(dbPath, { recursive: true });
  const server = dynalite({ path: dbPath, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Waits for the store's table. A DynamoDB server at DYNAMODB_ENDPOINT may still be starting
 * (docker compose starts both at once): retry for a while. Elsewhere, fail at once.
 */
async function whenReady(store, config) {
  // The backend's wait for a new table to become ACTIVE sleeps on unref'd timers, and nothing
  // else keeps this process alive before the server listens: without this, Node would exit.
  const keepAlive = setInterval(() => {}, 1000);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        return await store.ready();
      } catch (error) {
        if (config.mode !== 'endpoint' || Date.now() > deadline) throw error;
        console.log(`Waiting for DynamoDB at ${config.endpoint}...`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  } finally {
    clearInterval(keepAlive);
  }
}

async function main() {
  const config = readConfig(process.env);
  const connectDynamoDBSession = loadStorePackage();
  const DynamoStore = connectDynamoDBSession(session);

  if (config.mode === 'embedded') claimDataDir(config.dataDir);
  const embedded = config.mode === 'embedded' ? await startDynalite(config.dataDir) : undefined;
  const endpoint = embedded ? embedded.endpoint : config.endpoint;
  const store = new DynamoStore({
    tableName: config.tableName,
    region: config.region,
    endpoint,
    // Local servers accept any key; without one the AWS SDK would refuse to sign requests.
    clientConfig: endpoint && !config.hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : undefined,
    autoCreate: config.autoCreate,
    billingMode: 'PAY_PER_REQUEST',
    err: (message, error) => console.error(`[session store] ${message}: ${error instanceof Error ? error.message : String(error)}`),
  });
  await whenReady(store, config); // the table exists (or the error is clear) before the first request

  const app = createApp({ store, secret: config.secret || persistentSecret(config.dataDir) });
  const server = await listen(app, config.port).catch(async (error) => {
    await store.close().catch(() => undefined);
    await embedded?.close();
    throw error;
  });

  const dataPath = path.relative(process.cwd(), path.join(config.dataDir, 'dynalite'));
  const where = {
    embedded: `embedded dynalite, data in ${dataPath.startsWith('..') ? path.join(config.dataDir, 'dynalite') : dataPath}`,
    endpoint: `DynamoDB at ${config.endpoint}`,
    aws: `DynamoDB in ${config.region}`,
  }[config.mode];
  console.log(`Sessions: table "${config.tableName}", ${where}`);
  console.log(`Example app listening on http://localhost:${server.address().port}`);

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    store
      .close()
      .then(() => embedded?.close())
      .then(
        () => process.exit(0),
        (error) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
