import { cookieExpiresAt, decideTouch, effectiveTouchAfter, isExpired, resolveExpiresAt } from '@connect-dynamodb-session/core';

const now = 1_800_000_000_000;
const HOUR = 3_600_000;

describe('cookieExpiresAt', () => {
  it.each([
    ['a Date', new Date(now + 5000), now + 5000],
    ['an ISO string', new Date(now + 5000).toISOString(), now + 5000],
    ['a number', now + 5000, now + 5000],
    ['null (browser-session cookie)', null, undefined],
    ['undefined', undefined, undefined],
    ['an empty string', '', undefined],
    ['an unparseable string', 'next tuesday', undefined],
  ])('reads %s', (_name, expires, expected) => {
    expect(cookieExpiresAt({ expires: expires as Date | string | number | null | undefined })).toBe(expected);
  });

  it('is undefined without a cookie', () => {
    expect(cookieExpiresAt(undefined)).toBeUndefined();
    expect(cookieExpiresAt(null)).toBeUndefined();
  });
});

describe('resolveExpiresAt', () => {
  it('prefers the cookie expiry over ttl', () => {
    expect(resolveExpiresAt({ cookie: { expires: new Date(now + 1000) } }, now, HOUR)).toBe(now + 1000);
  });

  it('falls back to now + ttl for a browser-session cookie', () => {
    expect(resolveExpiresAt({ cookie: { expires: null, originalMaxAge: null } }, now, HOUR)).toBe(now + HOUR);
    expect(resolveExpiresAt({}, now, HOUR)).toBe(now + HOUR);
  });

  it('calls a ttl function with the session', () => {
    const session = { cookie: null, admin: true };
    const ttl = jest.fn((s: typeof session) => (s.admin ? 60_000 : HOUR));
    expect(resolveExpiresAt(session, now, ttl)).toBe(now + 60_000);
    expect(ttl).toHaveBeenCalledWith(session);
  });

  it('treats a ttl function returning garbage as already expired, never immortal', () => {
    expect(resolveExpiresAt({}, now, () => Number.NaN)).toBe(now);
    expect(resolveExpiresAt({}, now, () => Number.POSITIVE_INFINITY)).toBe(now);
  });

  it('can give a past expiry (the store then deletes instead of writing)', () => {
    expect(isExpired(resolveExpiresAt({ cookie: { expires: new Date(now - 1) } }, now, HOUR), now)).toBe(true);
  });
});

describe('isExpired', () => {
  it('is expired at and after the expiry instant', () => {
    expect(isExpired(now, now)).toBe(true);
    expect(isExpired(now - 1, now)).toBe(true);
    expect(isExpired(now + 1, now)).toBe(false);
    expect(isExpired(Number.NaN, now)).toBe(true);
  });
});

describe('effectiveTouchAfter', () => {
  it('is touchAfter when the session lives much longer', () => {
    expect(effectiveTouchAfter(10_000, now + HOUR, now)).toBe(10_000);
  });

  it('is capped at half the remaining lifetime', () => {
    expect(effectiveTouchAfter(HOUR, now + 10 * 60_000, now)).toBe(5 * 60_000);
  });
});

describe('decideTouch', () => {
  const base = { now, touchAfter: 10_000 };

  it('writes when the store does not know the stored expiry', () => {
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: undefined })).toBe('write');
  });

  it('writes on every touch when touchAfter is 0', () => {
    expect(decideTouch({ ...base, touchAfter: 0, newExpiresAt: now + HOUR, storedExpiresAt: now + HOUR })).toBe('write');
  });

  it('skips while the stored expiry is within touchAfter of the new one', () => {
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: now + HOUR - 9_999 })).toBe('skip-fresh');
  });

  it('writes once touchAfter has passed', () => {
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: now + HOUR - 10_000 })).toBe('write');
  });

  it('never revives: a stored expiry at or before now is skipped', () => {
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: now })).toBe('skip-expired');
    expect(decideTouch({ ...base, touchAfter: 0, newExpiresAt: now + HOUR, storedExpiresAt: now - 1 })).toBe('skip-expired');
  });

  it('skips a touch whose new expiry is already past', () => {
    expect(decideTouch({ ...base, newExpiresAt: now, storedExpiresAt: undefined })).toBe('skip-expired');
  });

  it('keeps a browser-session cookie (ttl fallback) alive with a touchAfter longer than its ttl', () => {
    // ttl 60 s, touchAfter 1 h: capped to 30 s, so a request every 20 s keeps it alive.
    const ttl = 60_000;
    let stored = now + ttl;
    let writes = 0;
    for (let t = now + 20_000; t <= now + 600_000; t += 20_000) {
      expect(isExpired(stored, t)).toBe(false);
      if (decideTouch({ now: t, touchAfter: HOUR, newExpiresAt: t + ttl, storedExpiresAt: stored }) === 'write') {
        stored = t + ttl;
        writes++;
      }
    }
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(30);
  });

  it('bounds the idle timeout: the stored expiry never lags the true one by touchAfter or more', () => {
    const maxAge = HOUR;
    let stored = now + maxAge;
    for (let t = now; t <= now + 5 * HOUR; t += 1_000) {
      const newExpiresAt = t + maxAge;
      if (decideTouch({ now: t, touchAfter: 10_000, newExpiresAt, storedExpiresAt: stored }) === 'write') stored = newExpiresAt;
      expect(newExpiresAt - stored).toBeLessThan(10_000);
    }
  });
});
