// The built package as users get it (dist/, through the exports map): require
// and import give the same 1.x factory, named exports work in both, and the
// shipped types compile for CommonJS and ESM consumers. Needs `npm run build`
// (CI builds before testing; `npm install` builds through `prepare`).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../../..');
const dist = path.resolve(__dirname, '../dist');

function node(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, env: process.env, timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

let work: string;
beforeAll(() => {
  if (!fs.existsSync(path.join(dist, 'index.mjs'))) throw new Error('packages/express/dist is missing: run `npm run build` first');
  // A consumer project outside the repository that sees the repository's node_modules.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cds-consumer-'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const probe = `
  const store = new DynamoStore({ tableName: 'sessions', region: 'us-east-1', cleanupInterval: 0 });
  const out = [typeof factory, store instanceof session.Store, typeof DynamoDBStore, new DynamoDBStore({ tableName: 'sessions', region: 'us-east-1' }) instanceof session.Store, typeof BackendError];
  store.close().then(() => console.log(JSON.stringify(out)));
`;

it('require() gives the factory, with the named exports on it', async () => {
  fs.writeFileSync(
    path.join(work, 'probe.cjs'),
    `const session = require('express-session');
     const factory = require('connect-dynamodb-session');
     const { DynamoDBStore, BackendError } = factory;
     const DynamoStore = factory(session);
     ${probe}`,
  );
  expect(JSON.parse(await node(['probe.cjs'], work))).toEqual(['function', true, 'function', true, 'function']);
});

it('import gives the same factory as the default export, and named exports', async () => {
  fs.writeFileSync(
    path.join(work, 'probe.mjs'),
    `import session from 'express-session';
     import factory, { DynamoDBStore, BackendError } from 'connect-dynamodb-session';
     import { createRequire } from 'node:module';
     if (factory !== createRequire(import.meta.url)('connect-dynamodb-session')) throw new Error('two copies');
     const DynamoStore = factory(session);
     ${probe}`,
  );
  expect(JSON.parse(await node(['probe.mjs'], work))).toEqual(['function', true, 'function', true, 'function']);
});

it('the shipped types compile for CommonJS and ESM consumers', () => {
  fs.writeFileSync(
    path.join(work, 'consumer.mts'),
    `import connectDynamoDBSession, { DynamoDBStore, type Options } from 'connect-dynamodb-session';
     import session from 'express-session';
     const options: Options = { tableName: 'sessions', region: 'eu-west-1', touchAfter: 0 };
     const a: session.Store = new (connectDynamoDBSession(session))(options);
     const b: session.Store = new DynamoDBStore(options);
     const c: Promise<number> = new DynamoDBStore(options).length();
     export { a, b, c };`,
  );
  fs.writeFileSync(
    path.join(work, 'consumer.cts'),
    `import connectDynamoDBSession = require('connect-dynamodb-session');
     import session = require('express-session');
     const options: connectDynamoDBSession.Options = { tableName: 'sessions', region: 'eu-west-1' };
     const a: session.Store = new (connectDynamoDBSession(session))(options);
     const b: session.Store = new connectDynamoDBSession.DynamoDBStore(options);
     export = [a, b];`,
  );
  const program = ts.createProgram([path.join(work, 'consumer.mts'), path.join(work, 'consumer.cts')], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    esModuleInterop: true,
    skipLibCheck: true, // checking the AWS SDK's declarations would take seconds; errors in ours still show up as errors at their use
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules/@types')],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics).toEqual([]);
});
