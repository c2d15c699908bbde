/**
 * User hooks (`err`, `log`, `onLargeSession`) are called from request paths,
 * from the cleanup timer and from background initialisation. A hook that
 * throws, or returns a promise that rejects, must neither change the outcome of
 * the operation that called it nor become an unhandled rejection that takes the
 * process down. Every hook is wrapped once, when the options are resolved, so
 * no call site has to remember.
 */

/**
 * `hook`, guarded: the wrapper never throws and returns nothing. A throw or a
 * rejection of the hook goes to `onFailure` (which must itself never throw:
 * pass a guarded hook or {@link warnOnce}).
 */
export function guardHook<A extends unknown[]>(
  name: string,
  hook: (...args: A) => unknown,
  onFailure: (message: string, error: unknown) => void,
): (...args: A) => void {
  const fail = (error: unknown): void => onFailure(`the "${name}" hook threw: ${describeError(error)}`, error);
  return (...args: A): void => {
    try {
      const result = hook(...args);
      // An async hook's rejection would otherwise be unhandled.
      if (isThenable(result)) result.then(undefined, fail);
    } catch (error) {
      fail(error);
    }
  };
}

/**
 * Where the failures of the last hook in a chain (`err`) go: one process
 * warning per hook, so the bug is visible on stderr without flooding it. The
 * hook's own error is not passed on: it may quote what the hook was given.
 */
export function warnOnce(): (message: string, error: unknown) => void {
  let warned = false;
  return (message) => {
    if (warned) return;
    warned = true;
    try {
      process.emitWarning(`${message} (connect-dynamodb-session ignores it; later failures of this hook are not reported)`, {
        code: 'CDS_HOOK_FAILED',
      });
    } catch {
      // A throwing 'warning' listener: nothing more can be done, and the operation goes on.
    }
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The error's class name only: its message is the app's and may hold anything (so may a `name` that is not an identifier). */
function describeError(error: unknown): string {
  if (error instanceof Error) return /^[A-Za-z_$][\w$]{0,40}$/.test(error.name) ? error.name : 'Error';
  return error === null ? 'null' : typeof error;
}
