/** A trustworthy reading, ready to become an event. */
export interface Reading {
  /** UUID made when the reading is taken; the event id, kept across every retry. */
  id: string;
  sensor: string;
  /** °C */
  temperature: number;
  /** %RH */
  humidity: number;
  /** Measurement time, ms since the epoch (the wall clock; see src/time/time-keeper.ts). */
  time: number;
  /**
   * Monotonic ms (since boot) when it was measured: ages, and re-stamping after a clock
   * step. The sampler always sets it and `bootId`; one-shot readings (`check`) may not.
   */
  mono?: number;
  /** The boot `mono` counts in; null where the kernel does not tell. */
  bootId?: string | null;
}
