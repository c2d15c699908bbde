// What a cold `require` of the built packages loads (issue 13: a Lambda's init
// pays for every module). The AWS SDK waits until the first DynamoDB backend is
// built, node:zlib until a payload is compressed or decompressed, and each
// package is one file (scripts/bundle.js). Runs the dist/ build in a fresh
// Node process; needs `npm run build` first.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Runs `script` in a fresh Node process at the repository root; returns its last stdout line as JSON. */
function inFreshProcess(script: string): Record<string, unknown> {
  const probe = `
    const loaded = () => ({
      sdk: Object.keys(require.cache).some((f) => f.includes('client-dynamodb')),
      zlib: process.moduleLoadList.includes('NativeModule zlib'),
      ours: Object.keys(require.cache).filter((f) => f.includes('/packages/')).map((f) => f.slice(f.indexOf('/packages/') + 1)).sort(),
    });
    ${script}`;
  const out = execFileSync(process.execPath, ['-e', probe], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

describe('cold require of connect-dynamodb-session', () => {
  it('loads one file per package, and neither the AWS SDK nor node:zlib', () => {
    const seen = inFreshProcess(`require('connect-dynamodb-session'); console.log(JSON.stringify(loaded()));`);
    expect(seen).toEqual({
      sdk: false,
      zlib: false,
      ours: ['packages/express/dist/index.js', 'packages/dynamodb/dist/index.js', 'packages/core/dist/index.js'].sort(),
    });
  });

  it('loads the AWS SDK when the first store is built', () => {
    const seen = inFreshProcess(`
      const DynamoStore = require('connect-dynamodb-session')(require('express-session'));
      const before = loaded().sdk;
      const store = new DynamoStore({ tableName: 'sessions', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' });
      const after = loaded().sdk;
      store.close().then(() => console.log(JSON.stringify({ before, after })));`);
    expect(seen).toEqual({ before: false, after: true });
  });

  it('core loads node:zlib only when a payload is first compressed (the SDK loads it too, once built)', () => {
    const seen = inFreshProcess(`
      const core = require('@connect-dynamodb-session/core');
      const codec = core.createPayloadCodec({ compression: core.resolveCompression({ algorithm: 'gzip', thresholdBytes: 0 }) });
      const configured = loaded().zlib;
      Promise.resolve(codec.encode('x'.repeat(100), 'sid')).then(() => console.log(JSON.stringify({ configured, used: loaded().zlib })));`);
    expect(seen).toEqual({ configured: false, used: true });
  });
});
