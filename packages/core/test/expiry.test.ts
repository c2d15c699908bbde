import {
  cookieExpiresAt,
  decideTouch,
  effectiveTouchAfter,
  InvalidOptionError,
  isExpired,
  MAX_EXPIRES_AT,
  MAX_TTL,
  resolveExpiresAt,
  resolveExpiry,
} from '@connect-dynamodb-session/core';

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

  it.each([
    ['NaN', Number.NaN, /got NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /got Infinity/],
    ['a string of digits (issue 12.6: it deleted the session)', '60000', /got "60000"/],
    ['1e300 (issue 12.6: a raw DynamoDB ValidationException)', 1e300, /got 1e\+300/],
    ['more than MAX_TTL', MAX_TTL + 1, /got 100000000000001/],
    ['0', 0, /got 0/],
    ['a negative number', -1, /got -1/],
    ['undefined', undefined, /got undefined/],
  ])('refuses a ttl function returning %s, naming ttl, the value and the unit', (_name, value, got) => {
    let thrown: unknown;
    try {
      resolveExpiresAt({}, now, () => value as number);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe('ttl');
    expect((thrown as Error).message).toMatch(
      /option "ttl" must be a function returning a finite number from 1 to 100000000000000 \(milliseconds\)/,
    );
    expect((thrown as Error).message).toMatch(got);
  });

  it('accepts a ttl function returning MAX_TTL', () => {
    expect(resolveExpiresAt({}, now, () => MAX_TTL)).toBe(now + MAX_TTL);
  });

  it('keeps a far-future cookie expiry such as 9999-12-31 as it is', () => {
    const forever = Date.UTC(9999, 11, 31, 23, 59, 59);
    expect(resolveExpiry({ cookie: { expires: new Date(forever) } }, now, HOUR)).toEqual({ expiresAt: forever });
  });

  it('clamps a cookie expiry beyond MAX_EXPIRES_AT, and says from what', () => {
    const beyond = 8.64e15; // the latest Date
    expect(resolveExpiry({ cookie: { expires: new Date(beyond) } }, now, HOUR)).toEqual({ expiresAt: MAX_EXPIRES_AT, clampedFrom: beyond });
    expect(resolveExpiresAt({ cookie: { expires: MAX_EXPIRES_AT } }, now, HOUR)).toBe(MAX_EXPIRES_AT);
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

  it('shortens the stored expiry when the cookie lifetime was cut by touchAfter or more (issue 12.10)', () => {
    // "Remember me" turned off: maxAge 30 days -> 1 hour. The stored expiry must follow, or the session outlives its cookie.
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: now + 30 * 24 * HOUR })).toBe('write');
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: now + HOUR + 10_000 })).toBe('write');
  });

  it('does not write for a shortening under touchAfter (clock skew between instances)', () => {
    expect(decideTouch({ ...base, newExpiresAt: now + HOUR, storedExpiresAt: now + HOUR + 9_999 })).toBe('skip-fresh');
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
