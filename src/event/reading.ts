/** A trustworthy reading, ready to become an event. */
export interface Reading {
  /** UUID made when the reading is taken; the event id, kept across every retry. */
  id: string;
  sensor: string;
  /** °C */
  temperature: number;
  /** %RH */
  humidity: number;
  /** Measurement time, ms since the epoch. */
  time: number;
}
