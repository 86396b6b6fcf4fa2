// The clock floor: this release's build time. A Pi without an RTC boots at 1970 or at
// the time fake-hwclock saved; a wall clock earlier than the build of the software it
// runs cannot be right (systemd applies the same rule to its own build time at boot).
// `npm run build` writes dist/build-time.json (scripts/stamp-build-time.mjs, honouring
// SOURCE_DATE_EPOCH); run from source (tests), the floor is the date below, which the
// release process moves forward.
import { readFileSync } from 'node:fs';

/** Used when no build stamp is found (running from src/). */
export const SOURCE_FLOOR_MS = Date.UTC(2026, 10, 1);

export function buildTimeMs(stampFile = new URL('../build-time.json', import.meta.url)): number {
  try {
    const { builtAt } = JSON.parse(readFileSync(stampFile, 'utf8')) as { builtAt?: unknown };
    const ms = typeof builtAt === 'string' ? Date.parse(builtAt) : NaN;
    return Number.isFinite(ms) ? ms : SOURCE_FLOOR_MS;
  } catch {
    return SOURCE_FLOOR_MS;
  }
}
