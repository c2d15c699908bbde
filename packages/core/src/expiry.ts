/**
 * Every rule that involves time, as pure functions of their inputs and `now`
 * (epoch milliseconds). Nothing here reads a clock.
 */

/** The part of a session cookie the store looks at (express-session's `Cookie`, or a plain object). */
export interface CookieLike {
  expires?: Date | string | number | null;
  maxAge?: number | null;
  originalMaxAge?: number | null;
}

/** The shape the store needs a session to have: any object, optionally with a cookie. */
export interface SessionLike {
  cookie?: CookieLike | null;
  [key: string]: unknown;
}

/** `ttl` option: a lifetime in ms, or a function of the session giving one. */
export type TtlOption<S = SessionLike> = number | ((session: S) => number);

/**
 * The cookie's absolute expiry in epoch ms, or `undefined` when the cookie has
 * none (a browser-session cookie) or it cannot be read as a date.
 */
export function cookieExpiresAt(cookie: CookieLike | null | undefined): number | undefined {
  const expires = cookie?.expires;
  if (expires === undefined || expires === null || expires === '') return undefined;
  const ms = expires instanceof Date ? expires.getTime() : new Date(expires).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * When a session written at `now` expires: the cookie's own expiry when it has
 * one, else `now + ttl` (the fallback for browser-session cookies).
 */
export function resolveExpiresAt<S extends SessionLike>(session: S, now: number, ttl: TtlOption<S>): number {
  const fromCookie = cookieExpiresAt(session.cookie);
  if (fromCookie !== undefined) return fromCookie;
  const lifetime = typeof ttl === 'function' ? ttl(session) : ttl;
  // A ttl function returning garbage must not produce an immortal session.
  return Number.isFinite(lifetime) ? now + lifetime : now;
}

/** A session is expired at and after its expiry instant. */
export function isExpired(expiresAt: number, now: number): boolean {
  return !(expiresAt > now);
}

/**
 * The throttle interval actually applied: `touchAfter`, but never more than
 * half the session's remaining lifetime, so that a touch interval longer than
 * the session itself (say touchAfter 1 h on a 10 min cookie) cannot let an
 * active session expire.
 */
export function effectiveTouchAfter(touchAfter: number, newExpiresAt: number, now: number): number {
  return Math.min(touchAfter, Math.max(0, (newExpiresAt - now) / 2));
}

export type TouchDecision = 'write' | 'skip-fresh' | 'skip-expired';

/**
 * Whether a touch should write the new expiry.
 *
 * @param storedExpiresAt the expiry the store last read or wrote for this
 *   session, or `undefined` when it does not know it (then it writes).
 *
 * An unchanged session is written at most once per effective touchAfter: the
 * stored expiry lags the true sliding expiry by less than that interval, so the
 * worst-case idle timeout is `lifetime - touchAfter` (never below half the
 * lifetime), and the best case is the full lifetime.
 */
export function decideTouch(args: {
  now: number;
  newExpiresAt: number;
  storedExpiresAt: number | undefined;
  touchAfter: number;
}): TouchDecision {
  const { now, newExpiresAt, storedExpiresAt, touchAfter } = args;
  if (isExpired(newExpiresAt, now)) return 'skip-expired';
  if (storedExpiresAt === undefined) return 'write';
  // The store already knows the session is over: a touch never revives it (and skipping saves a failed conditional write).
  if (isExpired(storedExpiresAt, now)) return 'skip-expired';
  if (touchAfter === 0) return 'write';
  return newExpiresAt - storedExpiresAt >= effectiveTouchAfter(touchAfter, newExpiresAt, now) ? 'write' : 'skip-fresh';
}
