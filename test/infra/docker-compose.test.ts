// docker-compose.yml and examples/Dockerfile, checked without a Docker engine:
// the file parses, nothing of the host is mounted into the app's container
// (so it cannot leave root-owned files in the checkout), and the dependency
// layer copies every workspace's package.json (else `npm ci` in the image
// fails, or installs without a workspace, once one is added).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '../..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; volumes?: unknown[]; user?: string }>;
};
const dockerfile = readFileSync(join(ROOT, 'examples/Dockerfile'), 'utf8');
const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

describe('docker-compose.yml', () => {
  const app = compose.services.example;
  it('builds the app from examples/Dockerfile, with the repository as context', () => {
    expect(app?.build).toEqual({ context: '.', dockerfile: 'examples/Dockerfile' });
    expect(existsSync(join(ROOT, app?.build?.dockerfile ?? 'missing'))).toBe(true);
  });
  it('mounts nothing from the host into the app', () => expect(app?.volumes).toBeUndefined());
  it('runs DynamoDB Local beside it', () => expect(compose.services.dynamodb?.image).toBe('amazon/dynamodb-local'));
});

describe('examples/Dockerfile', () => {
  const lines = dockerfile.split('\n').filter((l) => !l.startsWith('#'));
  const npmCi = lines.findIndex((l) => /^RUN npm ci\b/.test(l));
  const copyAll = lines.findIndex((l) => /^COPY\b.*\s\.\s+\.$/.test(l));

  it('is on the current Node.js LTS (24), the same as the engines field allows', () => {
    expect(lines.find((l) => l.startsWith('FROM '))).toMatch(/^FROM node:24\b/);
  });
  it('runs as the unprivileged node user', () => expect(lines.indexOf('USER node')).toBeGreaterThan(-1));
  it('installs from the lockfile before the sources are copied (a layer that changes only with the lockfile)', () => {
    expect(npmCi).toBeGreaterThan(-1);
    expect(copyAll).toBeGreaterThan(npmCi);
    const copiedBefore = lines.slice(0, npmCi).filter((l) => l.startsWith('COPY'));
    expect(copiedBefore.join('\n')).toContain('package-lock.json');
    for (const ws of workspaces)
      expect({ ws, copied: copiedBefore.some((l) => l.includes(`${ws}/package.json`)) }).toEqual({ ws, copied: true });
  });
  it('keeps the host node_modules and dist out of the image (.dockerignore)', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^\*\*\/dist$/m);
  });
});
