// A save that is pausing between conflict retries keeps the process alive: a
// script (a CLI, a migration, a job) that awaits it sees it finish, instead of
// Node exiting with the save silently unwritten. Runs the built package in a
// child process, with nothing else keeping the event loop alive.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dist = path.resolve(__dirname, '../dist/index.js');

const script = `
const { MemoryBackend, SessionStore } = require(${JSON.stringify(dist)});
(async () => {
  const store = new SessionStore({ backend: new MemoryBackend(), cleanupInterval: 0 });
  const cookie = { expires: new Date(Date.now() + 3600000) };
  await store.set('s', { cookie, a: 0, b: 0 });
  const first = await store.getEntry('s');
  await store.set('s', { cookie, a: 1, b: 0 }, await store.getEntry('s'));
  // A conflict: this save pauses, re-reads and merges.
  const result = await store.set('s', { cookie, a: 0, b: 2 }, first);
  process.stdout.write(JSON.stringify({ status: result.status, session: await store.get('s') }));
})();
`;

it('a save pausing between conflict retries finishes before the process exits', async () => {
  if (!fs.existsSync(dist)) throw new Error('packages/core/dist is missing: run `npm run build` first');
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { timeout: 20_000 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
    ),
  );
  expect(JSON.parse(stdout)).toMatchObject({ status: 'merged', session: { a: 1, b: 2 } });
});
