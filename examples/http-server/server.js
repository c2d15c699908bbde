// Sessions on a plain node:http server with the core store alone: no
// framework, no session middleware. Cookie parsing, signing and the
// getEntry / set / touch / destroy calls are all written out here, which is
// what an adapter for another framework has to do: keep what each request read
// (its revision, stored expiry and snapshot) and pass it to the save or touch
// of that same request.
//
//   DYNAMODB_ENDPOINT=http://localhost:8000 SESSION_SECRET=... node examples/http-server/server.js
//
// Routes: GET / counts views (changes the session), GET /me reads it (does
// not), POST /login?name=ada starts a signed-in session under a new id,
// POST /logout destroys it.

const http = require('node:http');
const { createHmac, randomBytes, timingSafeEqual } = require('node:crypto');
const { SessionStore, redactId } = require('@connect-dynamodb-session/core');
const { DynamoDBBackend } = require('@connect-dynamodb-session/dynamodb');

const COOKIE_NAME = 'sid';
const DEFAULT_MAX_AGE = 30 * 60 * 1000; // 30 minutes, renewed by each request (sliding)

/** `<id>.<HMAC-SHA-256 of id>`: a forged or altered id is refused before the store is asked. */
function sign(id, secret) {
  return `${id}.${createHmac('sha256', secret).update(id).digest('base64url')}`;
}

/** The id inside a signed cookie value, or null when the signature does not match. */
function unsign(value, secret) {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return null;
  const id = value.slice(0, dot);
  const expected = Buffer.from(sign(id, secret));
  const given = Buffer.from(value);
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : null;
}

/** The value of cookie `name` in a Cookie header (the first one, as browsers send the most specific first). */
function readCookie(header, name) {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // malformed escape: as if there were no cookie
      }
    }
  }
  return undefined;
}

/** 32 random bytes: the session id is a bearer credential, so it must be unguessable. */
const newSessionId = () => randomBytes(32).toString('base64url');

/**
 * @param {object} options
 * @param {import('@connect-dynamodb-session/core').SessionStore} options.store
 * @param {string} options.secret signs the session cookie
 * @param {number} [options.maxAge] session lifetime since the last request, ms
 * @param {() => number} [options.now] the clock, epoch ms (the store's, so both agree)
 */
function createServer({ store, secret, maxAge = DEFAULT_MAX_AGE, now = () => store.options.now() }) {
  /**
   * Loads the request's session: `{ id, data, loaded, read }`, where `loaded` is the JSON the store returned
   * (null: new) and `read` what the store says this request read (revision, stored expiry, snapshot).
   */
  async function loadSession(req) {
    const value = readCookie(req.headers.cookie, COOKIE_NAME);
    const id = value ? unsign(value, secret) : null;
    const read = id ? await store.getEntry(id) : null;
    if (!read) return { id: newSessionId(), data: {}, loaded: null, read: undefined };
    const { cookie: _cookie, ...data } = read.session;
    return { id, data, loaded: JSON.stringify(data), read };
  }

  /** Saves what the handler left, and sets the cookie. Sliding expiry: every response pushes it back by maxAge. */
  async function saveSession(res, session) {
    if (session.destroyed) {
      await store.destroy(session.id);
      res.setHeader('Set-Cookie', `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
      return;
    }
    const empty = Object.keys(session.data).length === 0;
    if (session.loaded === null && empty) return; // nothing to keep: no store write, no cookie
    const expires = new Date(now() + maxAge);
    const record = { ...session.data, cookie: { expires } };
    if (session.loaded === JSON.stringify(session.data)) {
      // Unchanged: extend the expiry only, at most once per touchAfter of the expiry this request read.
      // 'missing' (destroyed or expired meanwhile) is not an error, and is never revived.
      await store.touch(session.id, record, session.read);
    } else {
      // Conditional on the revision this request read: a concurrent request's changes are merged, not lost,
      // and a logout meanwhile wins ({ status: 'destroyed' }: nothing written; the cookie is then useless).
      await store.set(session.id, record, session.read);
    }
    res.setHeader(
      'Set-Cookie',
      `${COOKIE_NAME}=${encodeURIComponent(sign(session.id, secret))}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(maxAge / 1000)}`,
    );
  }

  /** The app: reads and changes `session.data`; may replace `session.id` (login) or set `session.destroyed`. */
  async function handle(req, url, session) {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') {
      session.data.views = (session.data.views ?? 0) + 1;
      return { views: session.data.views };
    }
    if (route === 'GET /me') return { user: session.data.user ?? null, views: session.data.views ?? 0 };
    if (route === 'POST /login') {
      // A new id at every change of privilege (session fixation): the old record goes.
      if (session.loaded !== null) await store.destroy(session.id);
      Object.assign(session, { id: newSessionId(), loaded: null, read: undefined });
      session.data.user = url.searchParams.get('name') ?? 'anonymous';
      return { user: session.data.user };
    }
    if (route === 'POST /logout') {
      session.destroyed = true;
      return { loggedOut: true };
    }
    return undefined;
  }

  return http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let session;
    try {
      session = await loadSession(req);
      const body = await handle(req, url, session);
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      await saveSession(res, session);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    } catch (error) {
      // A store failure (a BackendError, whose cause is the AWS SDK error). Log
      // its code, never the session or the whole id.
      console.error(`session store failed for sid:${redactId(session?.id)}: ${error.code ?? error.name}: ${error.message}`);
      if (!res.headersSent) res.writeHead(503, { 'Retry-After': '1' }).end();
    }
  });
}

/** Runs the example against DynamoDB: a local server when DYNAMODB_ENDPOINT is set, else AWS (AWS_REGION, default credentials). */
async function main() {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const backend = new DynamoDBBackend({
    tableName: process.env.SESSION_TABLE ?? 'http-server-example-sessions',
    region: process.env.AWS_REGION ?? 'us-east-1',
    // Locally, make the table and use dummy credentials; on AWS, create the table beforehand.
    ...(endpoint ? { endpoint, autoCreate: true, clientConfig: { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } } : {}),
  });
  const store = new SessionStore({ backend, err: (message, error) => console.error(message, error?.code ?? '') });
  await store.ready();
  let secret = process.env.SESSION_SECRET;
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    console.log('SESSION_SECRET is not set: using a random one, so sessions end when this process does');
  }
  const server = createServer({ store, secret });
  server.listen(Number(process.env.PORT ?? 3000), () => console.log(`listening on http://localhost:${server.address().port}`));
  const stop = () => server.close(() => store.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

module.exports = { createServer, sign, unsign, readCookie };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
