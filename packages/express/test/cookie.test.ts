// The pure cookie rules of the adapter: which stored cookies express-session
// can load, and the loaded cookie's expiry against the stored one.
import { cookieWithStoredExpiry, isUsableCookie } from '../src/cookie';

const T = Date.UTC(2030, 0, 1, 12, 0, 0); // a whole second

describe('isUsableCookie', () => {
  it.each([
    [{}, true],
    [{ expires: null }, true],
    [undefined, false],
    [null, false],
    ['x', false],
    [42, false],
    [[], false],
  ])('%p: %p', (cookie, usable) => {
    expect(isUsableCookie(cookie)).toBe(usable);
  });
});

describe('cookieWithStoredExpiry', () => {
  const cookie = (expires: unknown) => ({ originalMaxAge: 60_000, httpOnly: true, path: '/', expires });

  it('moves a stale expires to the stored expiry, keeping the rest, without touching the input', () => {
    const stale = cookie(new Date(T - 30_000).toISOString());
    const frozen = structuredClone(stale);
    expect(cookieWithStoredExpiry(stale, T)).toEqual({ ...stale, expires: new Date(T).toISOString() });
    expect(stale).toEqual(frozen);
  });

  it('moves an expires later than the stored one down to it too (the stored expiry is the truth)', () => {
    expect(cookieWithStoredExpiry(cookie(new Date(T + 5_000).toISOString()), T).expires).toBe(new Date(T).toISOString());
  });

  it('keeps a cookie that names the same second as the stored expiry (DynamoDB keeps whole seconds)', () => {
    const exact = cookie(new Date(T + 999).toISOString());
    expect(cookieWithStoredExpiry(exact, T)).toBe(exact);
    const asDate = cookie(new Date(T + 1));
    expect(cookieWithStoredExpiry(asDate, T + 500)).toBe(asDate);
  });

  it('keeps a browser-session cookie as it is (expires null, absent or empty)', () => {
    for (const expires of [null, undefined, '']) {
      const c = cookie(expires);
      expect(cookieWithStoredExpiry(c, T)).toBe(c);
    }
  });

  it('repairs an unreadable expires to the stored expiry', () => {
    expect(cookieWithStoredExpiry(cookie('not a date'), T).expires).toBe(new Date(T).toISOString());
  });
});
