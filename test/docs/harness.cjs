// Preloaded (node --require) into every README snippet the docs test runs.
// A snippet that listens on a port (app.listen(3000)) gets a free port
// instead, announced on stdout, so the test can talk to it over HTTP and no
// snippet collides with anything running on the machine.
const net = require('node:net');

const MARKER = '__SNIPPET_LISTENING__';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnAFreePort(...args) {
  const [first] = args;
  const numeric = typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first));
  const options = typeof first === 'object' && first !== null && 'port' in first; // fastify: listen({ port, host })
  if (!numeric && !options) return listen.apply(this, args);
  this.once('listening', () => process.stdout.write(`${MARKER} ${this.address().port}\n`));
  const callbacks = args.slice(1).filter((a) => typeof a === 'function');
  return listen.apply(this, options ? [{ ...first, port: 0, host: '127.0.0.1' }, ...callbacks] : [0, '127.0.0.1', ...callbacks]);
};
