/**
 * What the adapter needs to know about express-session's cookie, as pure
 * functions of stored data.
 */

/** A session's `cookie` as stored: express-session's `Cookie.toJSON()`. */
export type StoredCookie = Record<string, unknown> & { expires?: unknown };

/**
 * Whether `cookie` is an object express-session can turn back into a `Cookie`.
 * Anything else (missing, `null`, a string, an array) makes its
 * `createSession` throw, a 500 on every request that carries the session id.
 */
export function isUsableCookie(cookie: unknown): cookie is StoredCookie {
  return typeof cookie === 'object' && cookie !== null && !Array.isArray(cookie);
}

/**
 * The stored cookie with its `expires` moved to the stored expiry (epoch ms)
 * when the two disagree, so that the session express-session loads expires
 * when the store says it does.
 *
 * Why: a touch moves the stored expiry and leaves the stored cookie as the
 * last full save wrote it. Loaded as it is, that cookie is stale after
 * unchanged requests adding up to more than `maxAge`; an explicit
 * `req.session.save()` would then find it expired and delete a live session.
 *
 * They agree when they name the same second (the precision DynamoDB keeps).
 * A browser-session cookie (`expires` null or absent) stays as it is: its
 * stored expiry comes from `ttl`, not from the cookie. Returns `cookie` itself
 * when nothing changes, else a copy.
 */
export function cookieWithStoredExpiry(cookie: StoredCookie, storedExpiresAt: number): StoredCookie {
  const { expires } = cookie;
  if (expires === undefined || expires === null || expires === '') return cookie;
  const ms = expires instanceof Date ? expires.getTime() : new Date(expires as string | number).getTime();
  if (Number.isFinite(ms) && Math.floor(ms / 1000) === Math.floor(storedExpiresAt / 1000)) return cookie;
  return { ...cookie, expires: new Date(storedExpiresAt).toISOString() };
}
