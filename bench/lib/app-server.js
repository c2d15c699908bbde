// Child process: an Express 5 app with express-session and one store, in a
// process of its own so that one store's CPU never disturbs another's.
// Configured by env: BENCH_STORE, BENCH_ENDPOINT, BENCH_TABLE, BENCH_THROTTLE_MS (optional).
//
// Routes:
//   POST /login   puts a typical logged-in session in place (~0.5 KB of JSON)
//   GET  /page    reads the session and does not change it (read-mostly browsing)
//   POST /cart    changes the session on every request (write-heavy)
//   POST /logout  destroys the session
//
// IPC: {cmd: 'usage'} returns this process's CPU time, RSS and error count.

const crypto = require('node:crypto');
const express = require('express');
const session = require('express-session');
const { storeById, ONE_DAY_MS } = require('./stores');

const storeDef = storeById(process.env.BENCH_STORE);
const throttleMs = process.env.BENCH_THROTTLE_MS ? Number(process.env.BENCH_THROTTLE_MS) : undefined;
const store = storeDef.create(session, { endpoint: process.env.BENCH_ENDPOINT, table: process.env.BENCH_TABLE, throttleMs });

let errors = 0;
let lastError = '';
let logins = 0;
// Requests that reached the app. autocannon counts only the responses it saw
// before it stopped; requests still in flight then do their DynamoDB work all
// the same, so per-request ratios divide by this count.
let requests = 0;

const app = express();
app.use((_req, _res, next) => {
  requests += 1;
  next();
});
app.use(
  session({
    secret: 'benchmark secret, not a real one',
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: ONE_DAY_MS },
  }),
);

app.post('/login', (req, res) => {
  logins += 1;
  req.session.user = {
    id: `user-${process.pid}-${logins}`,
    name: 'Ada Lovelace',
    email: `ada.${logins}@example.com`,
    roles: ['reader', 'editor'],
    locale: 'en-GB',
    timeZone: 'Europe/London',
  };
  req.session.csrfSecret = crypto.randomBytes(18).toString('base64url');
  req.session.preferences = { theme: 'dark', pageSize: 25, beta: false };
  req.session.cart = {
    items: [
      { sku: 'SKU-0001', qty: 1 },
      { sku: 'SKU-0002', qty: 1 },
      { sku: 'SKU-0003', qty: 1 },
    ],
    changes: 0,
  };
  res.send('logged in');
});

app.get('/page', (req, res) => {
  if (!req.session.user) return res.status(401).send('not logged in');
  res.send(`hello ${req.session.user.name}`);
});

app.post('/cart', (req, res) => {
  if (!req.session.user) return res.status(401).send('not logged in');
  const cart = req.session.cart;
  cart.changes += 1;
  cart.items[cart.changes % cart.items.length] = {
    sku: `SKU-${String(cart.changes % 10000).padStart(4, '0')}`,
    qty: (cart.changes % 5) + 1,
  };
  res.send(`cart changed ${cart.changes} times`);
});

app.post('/logout', (req, res, next) => {
  req.session.destroy((error) => (error ? next(error) : res.send('logged out')));
});

app.use((error, _req, res, _next) => {
  errors += 1;
  lastError = String(error?.stack || error).slice(0, 500);
  res.status(500).send('error');
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});
server.keepAliveTimeout = 60000;

process.on('message', (message) => {
  if (message.cmd === 'usage') {
    process.send({ type: 'reply', id: message.id, cpu: process.cpuUsage(), rss: process.memoryUsage().rss, requests, errors, lastError });
  }
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
