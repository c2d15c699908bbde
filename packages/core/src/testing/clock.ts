/** A clock for tests: starts at `start` (epoch ms) and moves only when told. */
export interface FakeClock {
  now(): number;
  advance(ms: number): number;
  set(epochMs: number): void;
}

export function createFakeClock(start = Date.now()): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
      return current;
    },
    set: (epochMs) => {
      current = epochMs;
    },
  };
}
