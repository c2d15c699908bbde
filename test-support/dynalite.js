// Starts dynalite (a DynamoDB-compatible server in pure Node) on a free loopback
// port. `path` keeps data on disk (LevelDB); without it data lives in memory.
const dynalite = require('dynalite');

async function startDynalite({ port = 0, path } = {}) {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  return {
    endpoint,
    stop: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

module.exports = { startDynalite };
