// What each published tarball holds (npm pack --dry-run --json): the built
// code, its types, README, LICENSE and package.json, and nothing else (no
// sources, tests, tsconfig or maps). Needs `npm run build` first.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

function packedFiles(workspace: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--workspace', workspace], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  return (pack?.files ?? []).map((f) => f.path).sort();
}

const ENTRY = ['dist/index.d.mts', 'dist/index.d.ts', 'dist/index.js', 'dist/index.mjs'];

describe.each([
  [
    'packages/core',
    [
      ...ENTRY,
      'dist/testing/index.d.mts',
      'dist/testing/index.d.ts',
      'dist/testing/index.js',
      'dist/testing/index.mjs',
      'testing/package.json',
    ],
  ],
  ['packages/dynamodb', ENTRY],
  ['packages/express', ENTRY],
  ['packages/koa', ENTRY],
])('%s tarball', (workspace, entries) => {
  const files = packedFiles(workspace);
  it('has package.json, README.md, LICENSE (the repository license, unchanged)', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    expect(readFileSync(join(ROOT, workspace, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
  });
  it('has its entry points and their types', () => expect(files).toEqual(expect.arrayContaining(entries)));
  it('has nothing but dist/, the testing stub and those three files', () => {
    const stray = files.filter(
      (f) => !/^(dist\/.+\.(js|mjs|d\.ts|d\.mts)|testing\/package\.json|package\.json|README\.md|LICENSE)$/.test(f),
    );
    expect(stray).toEqual([]);
  });
  it('ships each entry point as one bundled file (scripts/bundle.js): no other .js file to resolve and compile', () => {
    const code = files.filter((f) => f.endsWith('.js'));
    expect(code).toEqual(entries.filter((f) => f.endsWith('.js')));
    for (const f of code)
      expect(readFileSync(join(ROOT, workspace, f), 'utf8')).not.toMatch(/require\("\.\/|require\("\.\.\/(?!index\.js")/);
  });
  it('every file that package.json points to is in it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8'));
    const targets = new Set<string>([pkg.main, pkg.module, pkg.types]);
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.add(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    for (const t of targets) expect({ t, packed: files.includes(t.replace(/^\.\//, '')) }).toEqual({ t, packed: true });
  });
});

describe('the supported Node.js versions', () => {
  const engines = ['.', 'packages/core', 'packages/dynamodb', 'packages/express', 'packages/koa'].map(
    (dir) => (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node,
  );
  it('every package.json says the same', () => expect(new Set(engines)).toEqual(new Set(['>=22'])));
  it.each(['README.md', 'packages/core/README.md', 'packages/dynamodb/README.md', 'packages/express/README.md', 'packages/koa/README.md'])(
    '%s says it',
    (file) => expect(readFileSync(join(ROOT, file), 'utf8')).toContain('Node.js 22 or later'),
  );
});
