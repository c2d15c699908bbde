// The three HTTP workloads, driven by autocannon's programmatic API from the
// orchestrator process. Every client (connection) has its own session.

const autocannon = require('autocannon');

const WORKLOADS = [
  {
    id: 'read-mostly',
    label: 'read-mostly browsing',
    describe: 'each connection logs in once before the run, then GET /page with its own cookie; the session never changes',
  },
  {
    id: 'write-heavy',
    label: 'write-heavy',
    describe: 'each connection logs in once before the run, then POST /cart with its own cookie; every request changes the session',
  },
  {
    id: 'churn',
    label: 'login/logout churn',
    describe: 'each connection loops POST /login (new session, no cookie) then POST /logout with the cookie it just got',
  },
];

/** autocannon hands raw header names to onResponse (\`Set-Cookie\` as Express writes it). */
function headerValue(headers, name) {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function cookieFrom(setCookie) {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return header ? String(header).split(';')[0] : undefined;
}

/** Logs in `count` fresh sessions (a few at a time) and returns their cookies. */
async function createSessions(baseUrl, count) {
  const cookies = [];
  const batch = 8;
  for (let start = 0; start < count; start += batch) {
    const logins = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      logins.push(
        fetch(`${baseUrl}/login`, { method: 'POST' }).then(async (response) => {
          await response.text();
          const cookie = cookieFrom(response.headers.getSetCookie());
          if (response.status !== 200 || !cookie) throw new Error(`login failed: HTTP ${response.status}`);
          return cookie;
        }),
      );
    }
    cookies.push(...(await Promise.all(logins)));
  }
  return cookies;
}

/** autocannon options for one workload; `cookies` are the pre-created sessions (one per connection). */
function autocannonOptions(workloadId, baseUrl, cookies) {
  if (workloadId === 'read-mostly' || workloadId === 'write-heavy') {
    let next = 0;
    return {
      url: `${baseUrl}${workloadId === 'read-mostly' ? '/page' : '/cart'}`,
      method: workloadId === 'read-mostly' ? 'GET' : 'POST',
      setupClient(client) {
        client.setHeaders({ cookie: cookies[next++ % cookies.length] });
      },
    };
  }
  if (workloadId === 'churn') {
    return {
      url: baseUrl,
      requests: [
        {
          method: 'POST',
          path: '/login',
          onResponse(_status, _body, context, headers) {
            context.cookie = cookieFrom(headerValue(headers, 'set-cookie'));
          },
        },
        {
          method: 'POST',
          path: '/logout',
          setupRequest(request, context) {
            // No cookie means the login failed: start the loop again.
            if (!context.cookie) return undefined;
            return { ...request, headers: { ...request.headers, cookie: context.cookie } };
          },
        },
      ],
    };
  }
  if (workloadId === 'warmup') {
    return {
      url: baseUrl,
      requests: [
        {
          method: 'POST',
          path: '/login',
          onResponse(_status, _body, context, headers) {
            context.cookie = cookieFrom(headerValue(headers, 'set-cookie'));
          },
        },
        ...['GET /page', 'POST /cart', 'GET /page', 'POST /logout'].map((line) => {
          const [method, path] = line.split(' ');
          return {
            method,
            path,
            setupRequest(request, context) {
              if (!context.cookie) return undefined;
              return { ...request, headers: { ...request.headers, cookie: context.cookie } };
            },
          };
        }),
      ],
    };
  }
  throw new Error(`unknown workload "${workloadId}"`);
}

/**
 * Runs autocannon; prints one progress line per second through `progress`.
 * Resolves with autocannon's result. `onInstance` receives the instance so a
 * SIGINT handler can stop it.
 */
function runLoad(options, { connections, duration, progress, onInstance }) {
  return new Promise((resolve, reject) => {
    let second = 0;
    const instance = autocannon({ ...options, connections, duration, timeout: 20 }, (error, result) => {
      if (onInstance) onInstance(undefined);
      if (error) reject(error);
      else resolve(result);
    });
    if (onInstance) onInstance(instance);
    instance.on('tick', ({ counter }) => {
      second += 1;
      if (progress) progress(second, counter);
    });
  });
}

module.exports = { WORKLOADS, createSessions, autocannonOptions, runLoad };
