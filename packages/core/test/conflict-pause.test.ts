// The conflict pause on a slow backend: its range stretches with the refused
// attempt's round trip, so that contenders spread out beyond one read and write.
import { CONFLICT_PAUSE_LATENCY_UNIT_MS, conflictPause } from '@connect-dynamodb-session/core';

describe('conflictPause and the round trip of the refused attempt', () => {
  it('is unchanged for round trips up to the unit (20 ms)', () => {
    for (const roundTrip of [0, 5, CONFLICT_PAUSE_LATENCY_UNIT_MS]) {
      expect(conflictPause(1, 0, roundTrip)).toBe(5);
      expect(conflictPause(1, 1, roundTrip)).toBe(50);
      expect(conflictPause(3, 1, roundTrip)).toBeCloseTo(78.125);
    }
  });

  it('stretches in proportion beyond it: a 200 ms round trip gives 50 to 500 ms before the first retry', () => {
    expect(conflictPause(1, 0, 200)).toBe(50);
    expect(conflictPause(1, 1, 200)).toBe(500);
    expect(conflictPause(2, 1, 100)).toBeCloseTo(50 * 1.25 * 5);
  });
});
