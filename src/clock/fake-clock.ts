import type { Clock } from './clock.js';

interface Sleeper {
  at: number;
  resolve: () => void;
}

/**
 * A manually driven clock for tests: time moves only on `advance`, which moves the
 * monotonic and the wall clock together; `stepWall` steps only the wall clock, as NTP
 * does on a Pi. Monotonic time starts at the same number as the wall clock, so tests
 * that never step read one time for both.
 */
export class FakeClock implements Clock {
  private current: number;
  private wallOffset = 0;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.current + this.wallOffset;
  }

  /** Steps the wall clock by `deltaMs` (negative: back); monotonic time and sleepers are untouched. */
  stepWall(deltaMs: number): void {
    this.wallOffset += deltaMs;
  }

  /** Sets the wall clock to `epochMs` without moving monotonic time. */
  setWall(epochMs: number): void {
    this.wallOffset = epochMs - this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason as Error);
      };
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward, waking sleepers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.current = next.at;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  get pendingSleeps(): number {
    return this.sleepers.length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
