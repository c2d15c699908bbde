// A callback that throws is called once, and its exception reaches the process
// as an uncaught exception (like any Node callback), not swallowed, not fed
// back to the same callback. Jest traps uncaught exceptions itself, so this
// runs in a child process, on the TypeScript sources and the test server.
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

function runFixture(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', path.join(__dirname, 'fixtures/register-ts.js'), path.join(__dirname, 'fixtures', name)],
      { cwd: root, env: process.env, timeout: 20_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

it('a throwing callback is called exactly once and its error is an uncaught exception', async () => {
  const report = JSON.parse((await runFixture('throwing-callbacks.js')).trim().split('\n').at(-1)!);
  expect(report.calls).toEqual({ set: 1, get: 1, invalid: 1 });
  expect(report.uncaught.sort()).toEqual([
    'thrown by the error-path callback',
    'thrown by the get callback (n=1)',
    'thrown by the set callback',
  ]);
  expect(report.unhandled).toEqual([]);
});
