// `npm start` (node examples/start.js) as a user runs it, on the BUILT
// packages: started on a free port, asked for a page, stopped, and started
// again to show that sessions survive a restart (embedded dynalite keeping its
// data on disk). Needs `npm run build` (done by `npm install`).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';

const root = path.resolve(__dirname, '../..');

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the example with `env` (and no DynamoDB settings unless given) and resolves when it prints its URL. */
function start(env: Record<string, string>): Promise<Running> {
  const { DYNAMODB_ENDPOINT, AWS_REGION, SESSION_TABLE, SESSION_SECRET, PORT, DATA_DIR, ...inherited } = process.env;
  const child = spawn(process.execPath, ['examples/start.js'], {
    cwd: root,
    env: { ...inherited, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/start.js printed no URL within 15 s:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`examples/start.js exited (${code}) before listening:\n${output}`));
    });
  });
}

/** SIGTERM, as Ctrl-C or a container stop would send; resolves with the exit code. */
function stop({ child }: Running): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

const running: Running[] = [];
let dataDir: string;
beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'packages/express/dist/index.js')))
    throw new Error('the packages are not built: run `npm run build` first');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cds-example-'));
});
afterAll(async () => {
  await Promise.all(running.map(stop));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('runs on an embedded dynalite, and sessions survive a restart', async () => {
  const first = await start({ DATA_DIR: dataDir });
  running.push(first);
  expect(first.output()).toMatch(/embedded dynalite/);
  const visit = await request(first.url).post('/visit').expect(303);
  const cookie = String(visit.headers['set-cookie']).split(';')[0]!;
  expect((await request(first.url).get('/').set('Cookie', cookie).expect(200)).text).toContain('<dd>1</dd>');
  expect(await stop(first)).toBe(0);

  const second = await start({ DATA_DIR: dataDir });
  running.push(second);
  const again = await request(second.url).get('/api/session').set('Cookie', cookie).expect(200);
  expect(again.body).toMatchObject({ exists: true, views: 1 });
  expect(fs.existsSync(path.join(dataDir, 'dynalite'))).toBe(true);
  expect(await stop(second)).toBe(0);
});

it('uses the DynamoDB server at DYNAMODB_ENDPOINT, creating the table', async () => {
  const client = testClient();
  const tableName = uniqueTableName('example-start');
  try {
    const app = await start({ DATA_DIR: dataDir, DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT!, SESSION_TABLE: tableName });
    running.push(app);
    expect(app.output()).toContain(`table "${tableName}", DynamoDB at ${process.env.DYNAMODB_ENDPOINT}`);
    const agent = request.agent(app.url);
    await agent.post('/visit').expect(303);
    await agent
      .get('/api/session')
      .expect(200)
      .expect(({ body }) => expect(body.views).toBe(1));
    expect(await stop(app)).toBe(0);
  } finally {
    await dropTable(client, tableName);
    client.destroy();
  }
});

/** Runs examples/start.js to its exit (it is expected to refuse to start). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { DYNAMODB_ENDPOINT, AWS_REGION, SESSION_TABLE, SESSION_SECRET, PORT, DATA_DIR, ...inherited } = process.env;
  const child = spawn(process.execPath, ['examples/start.js'], {
    cwd: root,
    env: { ...inherited, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('a second npm start while one runs', () => {
  it('on the same data folder: says the folder is in use, by which pid', async () => {
    const first = await start({ DATA_DIR: dataDir });
    running.push(first);
    const second = await runToExit({ DATA_DIR: dataDir });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`The data folder ${dataDir} is in use by another \`npm start\` (pid ${first.child.pid})`);
    expect(second.output).not.toMatch(/Database is closed|\n\s+at /);
    // The first one is unharmed.
    await request(first.url).get('/api/session').expect(200);
    expect(await stop(first)).toBe(0);
  });

  it('on the same port: says the port is in use', async () => {
    const first = await start({ DATA_DIR: dataDir });
    running.push(first);
    const port = new URL(first.url).port;
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cds-example-2-'));
    try {
      const second = await runToExit({ DATA_DIR: otherDir, PORT: port });
      expect(second.code).toBe(1);
      expect(second.output).toContain(`Port ${port} is in use`);
      expect(second.output).not.toMatch(/Database is closed|\n\s+at /);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
    expect(await stop(first)).toBe(0);
  });

  it('after one that was killed: starts (the stale claim on the data folder is taken over)', async () => {
    const first = await start({ DATA_DIR: dataDir });
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(path.join(dataDir, 'npm-start.pid'))).toBe(true);
    const second = await start({ DATA_DIR: dataDir });
    running.push(second);
    await request(second.url).get('/api/session').expect(200);
    expect(await stop(second)).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'npm-start.pid'))).toBe(false);
  });
});
