// Installed size of a package with its production dependency closure, and the
// time to `require` it in a fresh Node process.
//
// Closure: dependencies + optionalDependencies + non-optional peerDependencies
// (a peer such as the original store's aws-sdk is needed at run time), resolved
// the way Node would from each package's own directory, each package counted
// once. express-session is left out everywhere: every setup needs it anyway.
// Size: the apparent size (sum of file sizes) of each package's directory
// without its nested node_modules (those are resolved and counted as packages
// of their own). Workspace packages (ours, linked from packages/) count only
// what `npm publish` would ship: package.json plus the `files` entries.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const EXCLUDED = new Set(['express-session']);

function findPackageDir(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function directorySize(dir, skipNodeModules = true) {
  let total = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' && skipNodeModules) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = directorySize(full, skipNodeModules);
      total += inner.bytes;
      files += inner.files;
    } else if (entry.isFile()) {
      total += fs.statSync(full).size;
      files += 1;
    }
  }
  return { bytes: total, files };
}

function packageSize(realDir, manifest) {
  const inNodeModules = realDir.split(path.sep).includes('node_modules');
  if (inNodeModules || !Array.isArray(manifest.files)) return directorySize(realDir);
  // A workspace package: what would be published.
  let bytes = fs.statSync(path.join(realDir, 'package.json')).size;
  let files = 1;
  for (const entry of manifest.files) {
    const full = path.join(realDir, entry);
    if (!fs.existsSync(full)) continue;
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      const inner = directorySize(full, false);
      bytes += inner.bytes;
      files += inner.files;
    } else {
      bytes += stat.size;
      files += 1;
    }
  }
  return { bytes, files };
}

/** {bytes, files, packages: [name@version]} for the closure of `names`, resolved from `fromDir`. */
function installedSize(names, fromDir) {
  const seen = new Map();
  const missing = [];
  const queue = names.map((name) => ({ name, fromDir: path.resolve(fromDir) }));
  while (queue.length > 0) {
    const { name, fromDir: from } = queue.shift();
    if (EXCLUDED.has(name)) continue;
    const dir = findPackageDir(name, from);
    if (!dir) {
      missing.push(name);
      continue;
    }
    const real = fs.realpathSync(dir);
    if (seen.has(real)) continue;
    const manifest = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8'));
    seen.set(real, { id: `${manifest.name}@${manifest.version}`, ...packageSize(real, manifest) });
    const optionalPeers = manifest.peerDependenciesMeta || {};
    const peers = Object.keys(manifest.peerDependencies || {}).filter((peer) => !optionalPeers[peer]?.optional);
    for (const dep of [...Object.keys(manifest.dependencies || {}), ...Object.keys(manifest.optionalDependencies || {}), ...peers]) {
      // Resolve from the package's link location so workspace links resolve like an install would.
      queue.push({ name: dep, fromDir: real });
    }
  }
  const entries = [...seen.values()];
  return {
    bytes: entries.reduce((sum, entry) => sum + entry.bytes, 0),
    files: entries.reduce((sum, entry) => sum + entry.files, 0),
    packages: entries.map((entry) => entry.id).sort(),
    missing,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Wall time (ms) of `node -e <code>` in a fresh process, median of `runs`. */
function nodeStartupMs(code, { cwd, runs = 5, env = {} }) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['-e', code], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`node -e ${code} failed: ${result.stderr}`);
    times.push(ms);
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

module.exports = { installedSize, nodeStartupMs, median };
