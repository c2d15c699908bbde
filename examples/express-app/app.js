// The example Express app: a visit counter, a pretend log-in and log-out, and a
// page showing the session. Viewing a page stores nothing (saveUninitialized:
// false): a session is written only once the visitor presses a button. It takes the session store as an argument, so the
// same app runs on DynamoDB (start.js), on DynamoDB Local, or in a test.
const express = require('express');
const session = require('express-session');

const COOKIE_NAME = 'sid';
/** Idle timeout: the session expires after 30 minutes without a request. */
const DEFAULT_MAX_AGE = 30 * 60 * 1000;

/**
 * @param {object} options
 * @param {import('express-session').Store} options.store the session store
 * @param {string | string[]} options.secret the cookie signing secret
 * @param {number} [options.maxAge] cookie lifetime in ms (sliding, because rolling is on)
 * @param {boolean} [options.secureCookie] send the cookie over HTTPS only (set behind TLS)
 */
function createApp({ store, secret, maxAge = DEFAULT_MAX_AGE, secureCookie = false }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false, limit: '2kb' }));
  app.use(
    session({
      name: COOKIE_NAME,
      secret,
      store,
      // The recommended settings: touch (not rewrite) unchanged sessions, create
      // none for visitors who store nothing, and slide the expiry on each request.
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { maxAge, httpOnly: true, sameSite: 'lax', secure: secureCookie },
    }),
  );

  // Reading the page changes nothing: a visitor who only looks gets no cookie and no item.
  app.get('/', (req, res) => {
    res.type('html').send(page(describeSession(req)));
  });

  app.post('/visit', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.redirect(303, '/');
  });

  // The same facts as JSON, for scripts and tests. Reading it changes nothing.
  app.get('/api/session', (req, res) => {
    res.json(describeSession(req));
  });

  app.post('/login', (req, res, next) => {
    const name = String(req.body?.name ?? '')
      .trim()
      .slice(0, 40);
    if (!name)
      return res
        .status(400)
        .type('html')
        .send(page(describeSession(req), 'Type a name to log in.'));
    // A new session id on login, so an id planted before login is worthless (session fixation).
    req.session.regenerate((regenerateError) => {
      if (regenerateError) return next(regenerateError);
      req.session.user = name;
      req.session.views = 0;
      req.session.save((saveError) => (saveError ? next(saveError) : res.redirect(303, '/')));
    });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((destroyError) => {
      if (destroyError) return next(destroyError);
      res.clearCookie(COOKIE_NAME, { httpOnly: true, sameSite: 'lax', secure: secureCookie });
      res.redirect(303, '/');
    });
  });

  app.use((error, req, res, _next) => {
    // The error is the store's (e.g. DynamoDB unreachable); its message holds no session data.
    console.error(`${req.method} ${req.path} failed: ${error.message}`);
    res.status(500).type('text').send('Something went wrong with the session store. See the server log.');
  });

  return app;
}

/** What the page shows. Only the first characters of the id: a whole id is a credential. */
function describeSession(req) {
  const s = req.session;
  const exists = Boolean(s && (s.views !== undefined || s.user !== undefined));
  return {
    exists,
    user: s?.user ?? null,
    views: s?.views ?? 0,
    sessionIdPrefix: exists ? req.sessionID.slice(0, 6) : null,
    // rolling: express-session resets the expiry to now + maxAge when this response is sent.
    expiresAt: exists ? new Date(Date.now() + s.cookie.originalMaxAge).toISOString() : null,
  };
}

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(info, message = '') {
  const who = info.user
    ? `<p>Logged in as <strong>${escapeHtml(info.user)}</strong>.</p>
       <form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login">
         <label>Name <input name="name" maxlength="40" autocomplete="username" required></label>
         <button>Log in</button>
       </form>
       <p class="hint">No password: this only shows the session being regenerated on log-in and destroyed on log-out.</p>`;
  const facts = info.exists
    ? `<dl>
         <dt>Visits in this session</dt><dd>${info.views}</dd>
         <dt>Session id</dt><dd><code>${escapeHtml(info.sessionIdPrefix)}…</code> (first characters only)</dd>
         <dt>Expires</dt><dd><time datetime="${info.expiresAt}">${info.expiresAt}</time>, unless you come back before then</dd>
       </dl>`
    : `<p>No session yet: nothing is stored for you, and your browser got no cookie. This is
       <code>saveUninitialized: false</code> at work: a session is written only once it holds something.
       Press a button to make one.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>connect-dynamodb-session example</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  dt { font-weight: 600; } dd { margin: 0 0 .5rem; } .hint { color: #666; font-size: .9rem; }
  .message { color: #a00; } code { background: #f3f3f3; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>Sessions in DynamoDB</h1>
${message ? `<p class="message">${escapeHtml(message)}</p>` : ''}
${facts}
<form method="post" action="/visit"><button>Count a visit</button></form>
${who}
<p>Reloading this page stores nothing. Restart the server: your session is still there.</p>
</body>
</html>
`;
}

module.exports = { createApp, COOKIE_NAME };
