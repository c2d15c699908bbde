// The release set-up (README, "Cutting a release"): one version for the four
// packages, provenance on publish, and a workflow that publishes them in
// dependency order from a tag that matches their version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '../..');
const json = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
const PACKAGES = ['packages/core', 'packages/dynamodb', 'packages/express', 'packages/koa'];

/** Negative, zero or positive as version `a` is before, equal to or after `b` (arrays of numbers). */
function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

describe('versioning', () => {
  const lerna = json('lerna.json');
  it('is lerna fixed mode, every release bumping all four', () => {
    expect(lerna.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lerna.command.version.forcePublish).toBe(true);
  });
  it.each(PACKAGES)('%s has the version of lerna.json, depends on its siblings at it, and publishes with provenance', (dir) => {
    const pkg = json(`${dir}/package.json`);
    expect(pkg.version).toBe(lerna.version);
    for (const [name, range] of Object.entries({ ...pkg.dependencies } as Record<string, string>)) {
      if (name.startsWith('@connect-dynamodb-session/')) expect({ name, range }).toEqual({ name, range: `^${lerna.version}` });
    }
    expect(pkg.publishConfig).toEqual({ access: 'public', provenance: true });
    expect(pkg.private).toBeUndefined();
  });
  it('examples/ (a workspace lerna does not version) depends on the packages by a range that takes the version of lerna.json', () => {
    // A range that does not take the workspace's version makes npm install the registry's older release for the
    // examples: they would run against code this repository no longer has. README, "Cutting a release": a new major
    // version raises these by hand.
    const ours = new Set(PACKAGES.map((dir) => json(`${dir}/package.json`).name));
    const deps = Object.entries(json('examples/package.json').dependencies as Record<string, string>).filter(([name]) => ours.has(name));
    expect(deps.length).toBeGreaterThan(0);
    const current = (lerna.version as string).split('.').map(Number);
    for (const [name, range] of deps) {
      const caret = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
      const lowest = caret ? caret.slice(1).map(Number) : [];
      // ^M.m.p takes M.x.y from M.m.p up: same major, and no later than the current version.
      const takesCurrent = lowest.length === 3 && lowest[0] === current[0] && compareVersions(lowest, current) <= 0;
      expect({ name, range, takesCurrent }).toEqual({ name, range, takesCurrent: true });
    }
  });
  it('CHANGELOG.md has an Unreleased section and one for the current version', () => {
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain('## [Unreleased]');
    expect(changelog).toContain(`## [${lerna.version}]`);
  });
});

describe('.github/workflows/release.yml', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8'));
  const steps: Array<{ run?: string }> = workflow.jobs.publish.steps;
  const script = steps.map((s) => s.run ?? '').join('\n');
  it('runs on version tags, with an OIDC token (trusted publishing, provenance)', () => {
    expect(workflow.on.push.tags).toEqual(['v*']);
    expect(workflow.permissions['id-token']).toBe('write');
  });
  it('publishes with provenance, the four packages in dependency order, after the tests', () => {
    expect(script).toContain('npm publish --workspace "$dir" --provenance --access public');
    expect(script).toContain(`for dir in ${PACKAGES.join(' ')}; do`);
    expect(script.indexOf('npm test')).toBeLessThan(script.indexOf('npm publish'));
  });
});
