// Where an app server's CPU goes, from a V8 CPU profile (node --cpu-prof):
// self time per layer, by the file each sampled function lives in.

const fs = require('node:fs');
const path = require('node:path');

const LAYERS = [
  ['connect-dynamodb-session (core, dynamodb, express adapter)', (url) => /\/packages\/(core|dynamodb|express)\//.test(url)],
  ['AWS SDK v3 (@aws-sdk, @smithy)', (url) => /node_modules\/(@aws-sdk|@smithy)\//.test(url)],
  ['Express, express-session and their dependencies', (url) => /node_modules\//.test(url)],
  ['benchmark app (bench/lib)', (url) => /\/bench\/lib\//.test(url)],
  ['Node.js core in JavaScript (HTTP, streams, timers)', (url) => url.startsWith('node:')],
];
const NATIVE = 'native: socket writes and reads, hashing, garbage collection';

/** {shares: {layer: share of busy samples}, busyMicros} from every .cpuprofile in `dir`; idle time is left out. */
function layerShares(dir) {
  const totals = new Map(LAYERS.map(([name]) => [name, 0]));
  totals.set(NATIVE, 0);
  let busy = 0;
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const selfTime = new Map();
    profile.samples.forEach((nodeId, i) => {
      selfTime.set(nodeId, (selfTime.get(nodeId) || 0) + (profile.timeDeltas[i] || 0));
    });
    for (const node of profile.nodes) {
      const time = selfTime.get(node.id) || 0;
      if (time === 0 || node.callFrame.functionName === '(idle)') continue;
      busy += time;
      // Native functions (writev, Hmac, ...) and the GC have no URL.
      const layer = LAYERS.find(([, test]) => test(node.callFrame.url));
      const name = layer ? layer[0] : NATIVE;
      totals.set(name, totals.get(name) + time);
    }
  }
  return { shares: Object.fromEntries([...totals].map(([name, time]) => [name, busy > 0 ? time / busy : 0])), busyMicros: busy };
}

module.exports = { layerShares };
