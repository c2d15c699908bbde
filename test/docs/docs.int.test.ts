// Every code block of every README (and of docs/*.md) is run or checked here,
// so the docs cannot drift from the code. Blocks are found by docs below; a new
// block is picked up by itself. How a block runs is said by an annotation in
// the HTML comment before it (see snippets.ts and the README's Development
// section):
//
// - js/ts: executed by the Node running jest, in a child process, in a temp
//   project whose node_modules is the workspace's (so `require('connect-dynamodb-session')`
//   is this checkout's build), against the test DynamoDB server (dynalite):
//   AWS_ENDPOINT_URL_DYNAMODB points the SDK at it, `http://localhost:8000` in
//   a block is replaced by its URL, and every `tableName: '...'` the block names
//   exists (unless the block uses autoCreate). A block that listens gets a
//   free port and is driven over HTTP, then sent SIGTERM. Without an
//   annotation a block must be a whole program; a context adds what a
//   fragment leaves out (an Express `app`, the store class, ...).
// - sh: `bash -n`, every command in a known list, `npm run X` naming a real
//   script, `npm install` naming real packages, `node F` naming a real file.
// - yaml, json: parsed (CloudFormation: each resource has a Type). sql: run on SQLite.
// - text (or no language): not code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { testClient, testEndpoint } from '../../test-support/dynamodb';
import { type CodeBlock, declares, extractBlocks, isModule, shellCommands } from './snippets';

const ROOT = join(__dirname, '../..');

/** The Markdown files whose blocks are checked. */
function docFiles(): string[] {
  const inDir = (dir: string, depth = 1): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = dir === '.' ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory() && depth > 0 && e.name !== 'node_modules' && !e.name.startsWith('.')) return inDir(rel, depth - 1);
      return e.isFile() && e.name.endsWith('.md') && (dir === 'docs' || e.name === 'README.md') ? [rel] : [];
    });
  return ['README.md', ...inDir('packages'), ...inDir('examples'), ...inDir('bench', 0), ...inDir('docs', 0)];
}

const BLOCKS: CodeBlock[] = docFiles().flatMap((file) => extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')));

// ---------------------------------------------------------------------------
// Contexts: what a fragment leaves out. A binding is declared only when the
// block does not declare that name itself.

interface Context {
  /** Declarations added before the block, in order, each left out when the block declares the name. */
  bindings?: Array<[name: string, code: string]>;
  /** Turns the block into the body of the program (default: as is). */
  wrap?: (code: string) => string;
  /** Code after the block. */
  epilogue?: string;
  /** HTTP checks once the program listens (default: GET / twice answers below 500). */
  check?: (port: number) => Promise<void>;
}

const sessionData = '{ cookie: { originalMaxAge: 60000, expires: new Date(Date.now() + 60000) }, n: 1 }';
/**
 * Uses every store (and backend) the block made and did not close itself: a
 * write, a read, a delete, then close.
 */
const EXERCISE = `
;(async () => {
  if (typeof store !== 'undefined' && !__made.includes(store)) __made.push(store);
  if (typeof backend !== 'undefined' && !__made.includes(backend)) __made.push(backend);
  if (__made.length === 0) throw new Error('the block made no store: nothing to check');
  const { SessionStore } = require('@connect-dynamodb-session/core');
  for (const made of __made) {
    if (made.__closedBySnippet) continue;
    // A backend (no set method) is used through a core store.
    const s = typeof made.set === 'function' ? made : new SessionStore({ backend: made });
    // A fresh id per store: a destroyed id stays refused (a tombstone), also for the next store on the same table.
    const id = 'snippet-session-' + require('node:crypto').randomUUID();
    try {
      await s.set(id, ${sessionData});
    } catch (error) {
      if (error && error.code === 'ERR_STORE_CLOSED') continue; // the block closed it (a core store)
      throw error;
    }
    const got = await s.get(id);
    if (!got || got.n !== 1) throw new Error('the store did not read back what it wrote: ' + JSON.stringify(got));
    await s.destroy(id);
    await s.close();
  }
})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
`;

const expressApp: Array<[string, string]> = [
  ['express', "const express = require('express');"],
  ['app', "const app = express();\napp.set('trust proxy', 1);\napp.use(express.json());"],
  ['session', "const session = require('express-session');"],
];
const storeClasses: Array<[string, string]> = [
  ['session', "const session = require('express-session');"],
  ['DynamoStore', "const DynamoStore = __track(require('connect-dynamodb-session')(require('express-session')));"],
  ['DynamoDBStore', "const DynamoDBStore = __track(require('connect-dynamodb-session').DynamoDBStore);"],
];

/** GET /__snippet twice, as one browser over "https" (so secure cookies are kept): the views count must go 1, 2. */
async function countsViews(port: number): Promise<void> {
  let cookie = '';
  for (const expected of ['1', '2']) {
    const response = await fetch(`http://127.0.0.1:${port}/__snippet`, { headers: { cookie, 'x-forwarded-proto': 'https' } });
    const body = await response.text();
    expect({ status: response.status, body }).toEqual({ status: 200, body: expected });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0] ?? '';
  }
}

const VIEWS_ROUTE = `
app.get('/__snippet', (req, res) => {
  req.session.views = (req.session.views || 0) + 1;
  res.send(String(req.session.views));
});
app.listen(3000);
`;

const CONTEXTS: Record<string, Context> = {
  /** A whole program. */
  program: {},
  /** Express middleware setup: gets `express`, `app`, `session` and the store classes; then serves a views counter. */
  'express-app': { bindings: [...expressApp, ...storeClasses.slice(1)], epilogue: VIEWS_ROUTE, check: countsViews },
  /** Express routes or error handlers: an `app` with a session on DynamoDB already in use. */
  'express-routes': {
    bindings: [
      ...expressApp,
      ...storeClasses.slice(1),
      [
        '__sessionInUse',
        "const __sessionInUse = app.use(session({ secret: 'snippet', resave: false, saveUninitialized: false, store: new DynamoStore({ tableName: 'sessions', region: 'us-east-1' }) }));",
      ],
    ],
    epilogue: VIEWS_ROUTE,
    check: countsViews,
  },
  /** Makes stores with the store classes: each store made is then used (write, read, delete, close). */
  'express-store': { bindings: storeClasses, epilogue: EXERCISE },
  /** The body of the store's options object (`encryption: { ... }`), with the names it uses. */
  'store-options': {
    bindings: [
      ...storeClasses,
      ['newKey', "const newKey = require('node:crypto').randomBytes(32);"],
      ['oldKey', "const oldKey = require('node:crypto').randomBytes(32);"],
      [
        'myCipher',
        `const myCipher = (() => {
  const { createCipheriv, createDecipheriv, randomBytes } = require('node:crypto');
  const key = randomBytes(32);
  return {
    encrypt(plaintext, aad) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
    },
    decrypt(sealed, aad) {
      const b = Buffer.from(sealed);
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12)).setAAD(aad);
      d.setAuthTag(b.subarray(b.length - 16));
      return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
    },
  };
})();`,
      ],
    ],
    wrap: (code) => `const store = new DynamoStore({ tableName: 'sessions', region: 'us-east-1', ...{\n${code}\n} });\n`,
    epilogue: EXERCISE,
  },
  /** Uses the DynamoDB backend: gets `DynamoDBBackend` and `SessionStore`; each backend made is then used through a store. */
  'dynamodb-backend': {
    bindings: [
      ['DynamoDBBackend', "const DynamoDBBackend = __track(require('@connect-dynamodb-session/dynamodb').DynamoDBBackend);"],
      ['SessionStore', "const { SessionStore } = require('@connect-dynamodb-session/core');"],
    ],
    epilogue: EXERCISE,
  },
  /** Plugs the example SqliteBackend into an adapter: `SqliteBackend`, an Express `app` or a Koa `app` with `session`. */
  'sqlite-express': {
    bindings: [['SqliteBackend', "const { SqliteBackend } = require('./sqlite-backend');"], ...expressApp],
    epilogue: VIEWS_ROUTE,
    check: countsViews,
  },
  'sqlite-koa': {
    bindings: [
      ['SqliteBackend', "const { SqliteBackend } = require('./sqlite-backend');"],
      ['Koa', "const Koa = require('koa');"],
      ['app', "const app = new Koa();\napp.keys = ['snippet'];"],
      ['session', "const session = require('koa-session').default;"],
    ],
    epilogue: `
app.use((ctx) => { ctx.session.views = (ctx.session.views || 0) + 1; ctx.body = String(ctx.session.views); });
app.listen(3000);
`,
    check: async (port) => {
      let cookie = '';
      for (const expected of ['1', '2']) {
        const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
        expect({ status: response.status, body: await response.text() }).toEqual({ status: 200, body: expected });
        const set = response.headers.getSetCookie().map((c) => c.split(';')[0]);
        if (set.length > 0) cookie = set.join('; ');
      }
    },
  },
  'sqlite-store': {
    bindings: [['SqliteBackend', "const { SqliteBackend } = require('./sqlite-backend');"]],
    epilogue: EXERCISE,
  },
  /** SQL for the example SQLite backend: the statement(s) run with `db` (its table made), `id`, `expiresAt`, `now`. */
  'sqlite-statement': {
    bindings: [
      ['Database', "const Database = require('better-sqlite3');"],
      [
        'db',
        "const db = new Database(':memory:');\ndb.exec('CREATE TABLE sessions (id TEXT PRIMARY KEY, payload ANY NOT NULL, expires_at INTEGER NOT NULL) STRICT');",
      ],
      ['id', "const id = 'a';"],
      ['now', 'const now = Date.now();'],
      ['expiresAt', 'const expiresAt = now + 1000;'],
    ],
    wrap: (code) => `(function statement() {\n${code}\n})();\n`,
  },
};

// ---------------------------------------------------------------------------
// Running a js/ts block.

let project: string;

beforeAll(() => {
  for (const pkg of ['core', 'dynamodb', 'express', 'koa']) {
    if (!existsSync(join(ROOT, 'packages', pkg, 'dist', 'index.js'))) {
      throw new Error(`packages/${pkg}/dist is missing: run npm run build first (the docs run against the built packages)`);
    }
  }
  project = mkdtempSync(join(tmpdir(), 'docs-snippets-'));
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  const sqlite = readFileSync(join(ROOT, 'examples/sqlite-backend/sqlite-backend.ts'), 'utf8');
  writeFileSync(join(project, 'sqlite-backend.js'), transpile(sqlite, false));
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

function transpile(code: string, esm: boolean): string {
  return ts.transpileModule(code, {
    compilerOptions: {
      module: esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      verbatimModuleSyntax: false,
    },
  }).outputText;
}

/** The program a block becomes: prelude, bindings it lacks, the block, the epilogue. */
function program(block: CodeBlock, context: Context): { source: string; esm: boolean } {
  const esm = isModule(block.code);
  let code = block.code.replaceAll('http://localhost:8000', testEndpoint());
  if (block.lang.startsWith('ts')) code = transpile(code, esm);
  const body = context.wrap ? context.wrap(code) : code;
  const bindings = (context.bindings ?? []).filter(([name]) => !declares(code, name)).map(([, c]) => c);
  const prelude = [
    esm ? "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" : '',
    'const __made = [];',
    // Records each instance, and whether the block closed it itself.
    'function __track(C) { return class extends C { constructor(...args) { super(...args); __made.push(this); } close(...args) { this.__closedBySnippet = true; return super.close(...args); } }; }',
    ...bindings,
  ].join('\n');
  return { source: `${prelude}\n${body}\n${context.epilogue ?? ''}`, esm };
}

async function ensureTables(code: string): Promise<void> {
  if (/autoCreate:\s*true/.test(code)) return;
  const client = testClient();
  try {
    for (const [, name] of code.matchAll(/tableName:\s*['"]([\w.-]+)['"]/g)) {
      await client
        .send(
          new CreateTableCommand({
            TableName: name,
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ResourceInUseException)) throw error;
        });
    }
  } finally {
    client.destroy();
  }
}

const ENV = {
  SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
  COOKIE_KEY: 'a-cookie-key',
  SESSION_KEY_2025_06: 'ab'.repeat(32),
  SESSION_ID_HASH_SECRET: 'a-hash-secret',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

async function runProgram(block: CodeBlock, context: Context): Promise<void> {
  await ensureTables(block.code);
  const { source, esm } = program(block, context);
  const file = join(project, `snippet-${block.file.replace(/\W+/g, '-')}-${block.line}.${esm ? 'mjs' : 'cjs'}`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, ['--require', join(__dirname, 'harness.cjs'), file], {
    cwd: project,
    env: { ...process.env, ...ENV, AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<number>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      const port = /__SNIPPET_LISTENING__ (\d+)/.exec(output)?.[1];
      if (port) resolve(Number(port));
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const first = await Promise.race([exited, listening]);
    if (typeof first === 'number') {
      try {
        await (context.check ?? getsAnswers)(first);
      } finally {
        child.kill('SIGTERM');
      }
      const { code, signal } = await exited;
      // A program with its own SIGTERM handler must then exit cleanly; one without is ended by the signal.
      expect({ code: code ?? 0, signal: signal === 'SIGTERM' ? null : signal, output }).toEqual({ code: 0, signal: null, output });
    } else {
      expect({ ...first, output }).toEqual({ code: 0, signal: null, output });
    }
  } finally {
    clearTimeout(timeout);
  }
}

/** A program that listens on its own: GET / twice, as one browser, answers below 500. */
async function getsAnswers(port: number): Promise<void> {
  let cookie = '';
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
    expect(response.status).toBeLessThan(500);
    const set = response.headers.getSetCookie().map((c) => c.split(';')[0]);
    if (set.length > 0) cookie = set.join('; ');
  }
}

// ---------------------------------------------------------------------------
// The other languages.

/** Parses TypeScript or JavaScript; for outlines (summaries in TS syntax) and code needing what is not installed (CDK). */
function syntaxErrors(code: string, lang: string): string[] {
  const output = ts.transpileModule(code, {
    reportDiagnostics: true,
    fileName: lang.startsWith('ts') ? 'outline.ts' : 'outline.js',
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return (output.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const ROOT_PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  workspaces: string[];
};
/** Package names an `npm install` in the docs may name: ours, and what any of our package.json files depend on. */
function installable(): Set<string> {
  const names = new Set<string>();
  for (const dir of ['.', ...ROOT_PACKAGE.workspaces]) {
    const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    names.add(pkg.name as string);
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const name of Object.keys((pkg[field] as Record<string, string> | undefined) ?? {})) names.add(name);
    }
  }
  return names;
}
const KNOWN_COMMANDS = new Set(['npm', 'npx', 'node', 'aws', 'curl', 'docker', 'git', 'cd', 'python3']);

function checkShell(code: string): void {
  const syntax = spawnSync('bash', ['-n'], { input: code, encoding: 'utf8' });
  expect(syntax.stderr).toBe('');
  const packages = installable();
  for (const command of shellCommands(code)) {
    const [name = '', ...args] = command.split(' ');
    expect({ command, known: KNOWN_COMMANDS.has(name) }).toEqual({ command, known: true });
    if (name === 'npm' && (args[0] === 'run' || args[0] === 'start' || args[0] === 'test')) {
      const script = args[0] === 'run' ? args[1] : args[0];
      expect({ command, script: script !== undefined && script in ROOT_PACKAGE.scripts }).toEqual({ command, script: true });
    }
    if (name === 'npm' && (args[0] === 'install' || args[0] === 'i')) {
      for (const pkg of args.slice(1).filter((a) => !a.startsWith('-'))) {
        const bare = pkg.replace(/(.)@.*$/, '$1');
        expect({ command, pkg: bare, known: packages.has(bare) }).toEqual({ command, pkg: bare, known: true });
      }
    }
    if (name === 'node' && args[0] && !args[0].startsWith('-')) {
      expect({ command, exists: existsSync(join(ROOT, args[0])) }).toEqual({ command, exists: true });
    }
  }
}

function checkYaml(code: string): void {
  const doc = parseYaml(code) as Record<string, unknown>;
  expect(doc).toBeInstanceOf(Object);
  if (doc.Resources) {
    for (const [name, resource] of Object.entries(doc.Resources as Record<string, { Type?: unknown }>)) {
      expect({ name, type: typeof resource.Type }).toEqual({ name, type: 'string' });
    }
  }
  if (doc.services) expect(doc.services).toBeInstanceOf(Object);
}

// ---------------------------------------------------------------------------

describe.each(docFiles())('%s', (file) => {
  const blocks = BLOCKS.filter((b) => b.file === file);
  if (blocks.length === 0) {
    it('has no code blocks', () => expect(blocks).toEqual([]));
    return;
  }
  it.each(blocks.map((b) => [`line ${b.line} (${b.lang || 'text'}${b.context ? `, ${b.context}` : ''})`, b] as const))(
    '%s',
    async (_name, block) => {
      const { lang, context, code, args } = block;
      if (context === 'skip') {
        expect(args).toMatch(/\(.+\)/); // a reason is required
        return;
      }
      if (lang === '' || lang === 'text') return;
      if (context === 'outline') {
        expect(syntaxErrors(code, lang)).toEqual([]);
        return;
      }
      switch (lang) {
        case 'js':
        case 'javascript':
        case 'ts':
        case 'typescript': {
          const chosen = CONTEXTS[context ?? 'program'];
          if (!chosen) throw new Error(`unknown snippet context "${context}" (known: ${Object.keys(CONTEXTS).join(', ')}, outline, skip)`);
          await runProgram(block, chosen);
          return;
        }
        case 'sh':
        case 'bash':
        case 'shell':
          checkShell(code);
          return;
        case 'yaml':
        case 'yml':
          checkYaml(code);
          return;
        case 'json':
          expect(() => JSON.parse(code)).not.toThrow();
          return;
        case 'sql': {
          const db = new Database(':memory:');
          try {
            db.exec(code);
          } finally {
            db.close();
          }
          return;
        }
        default:
          throw new Error(`no check for \`\`\`${lang} blocks: add one to test/docs/docs.int.test.ts, or annotate the block`);
      }
    },
  );
});
