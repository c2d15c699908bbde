import type { SessionBackend } from '../contract';

/** Counts of calls per backend method. */
export type CallCounts = Record<string, number>;

/**
 * Wraps a backend so that every call is counted (to assert, for example, how
 * many writes touchAfter lets through). The wrapper forwards everything else.
 */
export function countingBackend<B extends SessionBackend>(backend: B): { backend: B; calls: CallCounts; reset(): void } {
  const calls: CallCounts = {};
  const proxy = new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    backend: proxy,
    calls,
    reset: () => {
      for (const k of Object.keys(calls)) delete calls[k];
    },
  };
}
