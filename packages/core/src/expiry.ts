import { InvalidOptionError } from './errors';
import { describeValue } from './options';

/**
 * Every rule that involves time, as pure functions of their inputs and `now`
 * (epoch milliseconds). Nothing here reads a clock.
 */

/**
 * The latest expiry the store writes, epoch ms: 10^15 ms, the year 33658.
 * Stored as epoch seconds (10^12) it stays below the magnitude at which the
 * DynamoDB backend reads an expiry as 1.x milliseconds, so nothing the store
 * writes is ever read back as a date in the past. A later cookie expiry (a
 * "never expires" cookie such as 9999-12-31 is not one) is clamped to it.
 */
export const MAX_EXPIRES_AT = 1e15;

/**
 * The longest `ttl`, in ms: 10^14 ms (about 3,170 years). Far more than any
 * session needs, and `now + ttl` stays below {@link MAX_EXPIRES_AT} until the
 * year 30000. A longer one is refused, as an option and as the result of a
 * `ttl` function: it is a unit mistake, not a lifetime.
 */
export const MAX_TTL = 1e14;

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

/** When a session expires, and the cookie expiry it was clamped from (beyond {@link MAX_EXPIRES_AT}), if it was. */
export interface ResolvedExpiry {
  expiresAt: number;
  clampedFrom?: number;
}

/**
 * When a session written at `now` expires: the cookie's own expiry when it has
 * one (clamped to {@link MAX_EXPIRES_AT}), else `now + ttl` (the fallback for
 * browser-session cookies).
 *
 * @throws {@link InvalidOptionError} (option `ttl`) when a `ttl` function
 * returns anything but a finite number of ms from 1 to {@link MAX_TTL}: a
 * string such as `"60000"` would otherwise expire the session at once, and
 * 1e300 would be refused by the backend with an unrelated error.
 */
export function resolveExpiry<S extends SessionLike>(session: S, now: number, ttl: TtlOption<S>): ResolvedExpiry {
  const fromCookie = cookieExpiresAt(session.cookie);
  if (fromCookie !== undefined) {
    return fromCookie > MAX_EXPIRES_AT ? { expiresAt: MAX_EXPIRES_AT, clampedFrom: fromCookie } : { expiresAt: fromCookie };
  }
  const lifetime = typeof ttl === 'function' ? ttl(session) : ttl;
  if (typeof lifetime !== 'number' || !isValidTtl(lifetime)) {
    throw new InvalidOptionError(
      'ttl',
      `option "ttl" must ${typeof ttl === 'function' ? 'be a function returning' : 'be'} a finite number from 1 to ${MAX_TTL} (milliseconds); got ${describeValue(lifetime)}`,
    );
  }
  return { expiresAt: Math.min(now + lifetime, MAX_EXPIRES_AT) };
}

/** {@link resolveExpiry}, the expiry alone. */
export function resolveExpiresAt<S extends SessionLike>(session: S, now: number, ttl: TtlOption<S>): number {
  return resolveExpiry(session, now, ttl).expiresAt;
}

/** A `ttl` the store accepts: finite, at least 1 ms, at most {@link MAX_TTL}. */
export function isValidTtl(lifetime: number): boolean {
  return Number.isFinite(lifetime) && lifetime >= 1 && lifetime <= MAX_TTL;
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
 * stored expiry differs from the true sliding expiry by less than that
 * interval (later only when the cookie's lifetime was cut by less), so the
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
  // Either way: a cookie whose lifetime was cut (remember-me turned off) shortens the stored expiry too, so the
  // session does not outlive its cookie on the server; a difference under touchAfter (clock skew) writes nothing.
  return Math.abs(newExpiresAt - storedExpiresAt) >= effectiveTouchAfter(touchAfter, newExpiresAt, now) ? 'write' : 'skip-fresh';
}
