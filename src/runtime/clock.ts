/** Time as services see it; tests pass a controllable clock instead of the wall clock. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
