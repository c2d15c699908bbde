/** A Node-style callback: `(error)` on failure, `(null, value)` on success. */
export type Callback<T = void> = (error: unknown, value?: T) => void;

/**
 * The one bridge between the promise-based core and express-session's
 * callback API: with a callback, hands the outcome to it exactly once; without
 * one, returns the promise.
 *
 * The callback runs on its own tick (`process.nextTick`), outside the promise
 * chain and outside any `try`: a callback that throws surfaces as an uncaught
 * exception, as with any Node callback API. It is never swallowed, and never
 * answered by a second call with its own error (the double-callback bug of
 * `.then(cb).catch(cb)`).
 */
export function callbackOrPromise<T>(operation: () => Promise<T>, callback: Callback<T> | null | undefined): Promise<T> | undefined {
  assertCallback(callback);
  let promise: Promise<T>;
  try {
    promise = operation();
  } catch (error) {
    promise = Promise.reject(error);
  }
  if (!callback) return promise;
  promise.then(
    (value) => process.nextTick(callback, null, value),
    (error: unknown) => process.nextTick(callback, error),
  );
  return undefined;
}

/**
 * An answer known without I/O: with a callback, calls it now, on this tick
 * (what express-session's store API allows, and 1.x did for a skipped touch);
 * a callback that throws throws to the caller. Without one, a resolved promise.
 */
export function answerNow<T>(value: T, callback: Callback<T> | null | undefined): Promise<T> | undefined {
  assertCallback(callback);
  if (!callback) return Promise.resolve(value);
  callback(null, value);
  return undefined;
}

/** Throws a TypeError for a callback that is given but is no function. */
export function assertCallback(callback: unknown): void {
  if (callback !== undefined && callback !== null && typeof callback !== 'function') {
    throw new TypeError(`callback must be a function; got ${typeof callback}`);
  }
}
