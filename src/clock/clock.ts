// The clock boundary: everything that waits or stamps time goes through a Clock,
// so tests can drive time (FakeClock) instead of sleeping.
//
// Two clocks, one rule: every wait, interval, age, deadline and rate limit runs on
// `now()`, the MONOTONIC clock (CLOCK_MONOTONIC, ms since boot: it never steps, so
// an NTP step on a Pi without an RTC neither stalls a wait nor fires every timer at
// once). `wallNow()`, the epoch clock, only stamps readings and shows dates.

export interface Clock {
  /** Monotonic milliseconds since boot: for waits, intervals, ages, deadlines. */
  now(): number;
  /** Milliseconds since the Unix epoch: only to stamp readings and show dates. */
  wallNow(): number;
  /** Resolves after `ms` of monotonic time, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Node timers take at most 2^31 - 1 ms (24.8 days); a longer delay fires after 1 ms.
 * Longer waits are chained from timers of at most this length.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The wall time a monotonic instant had, as the wall clock reads now. */
export function wallTimeOf(clock: Clock, mono: number): number {
  return clock.wallNow() - (clock.now() - mono);
}

const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export const systemClock: Clock = {
  now: monotonicMs,
  wallNow: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const until = monotonicMs() + Math.max(0, ms);
      let timer: NodeJS.Timeout;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const arm = (): void => {
        const left = until - monotonicMs();
        if (left <= 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
      };
      timer = setTimeout(arm, Math.min(Math.max(0, ms), MAX_TIMER_MS));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Sleeps that never throw: an abort just ends the wait early. */
export async function sleepQuietly(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch {
    // aborted: the caller checks the signal
  }
}

const WOKEN = new Error('woken');

/**
 * A sleep that ends early when `signal` aborts or when `wake()` is called, and never
 * throws. It listens on the long-lived signal instead of building AbortSignal.any() per
 * wait, and aborts with a shared reason: on Node 20 each any() stays registered on its
 * source signal, and a reason-less abort() builds a DOMException with a stack — in a loop
 * that waits once per delivery that was ~10% of the CPU and most of the garbage.
 */
export function wakeableSleep(clock: Clock, ms: number, signal: AbortSignal): { done: Promise<void>; wake: () => void } {
  const woken = new AbortController();
  const wake = (): void => woken.abort(WOKEN);
  if (signal.aborted) return { done: Promise.resolve(), wake };
  signal.addEventListener('abort', wake, { once: true });
  const done = sleepQuietly(clock, ms, woken.signal).finally(() => signal.removeEventListener('abort', wake));
  return { done, wake };
}
