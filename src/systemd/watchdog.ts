// The systemd watchdog, fed only while the daemon's loops make progress.
//
// systemd (WatchdogSec=, WATCHDOG_USEC) restarts a service that sends no WATCHDOG=1
// for a whole interval. A timer that pings regardless would keep a wedged daemon
// alive forever, so each loop registers a Heartbeat and beats it whenever it makes
// progress.
//
// Liveness follows what each loop is doing NOW. A loop's next deadline is the later of
//   - its last beat plus the quiet time it announced with that beat (a sampler about to
//     wait its current interval, whatever `set-interval` made it), and
//   - the end of its current pause, when it has one (the Forwarder's `pausedUntil`:
//     backoff, Retry-After, refused credentials),
// and it is wedged only when it misses that deadline by its margin (`maxSilenceMs`, the
// time one round of its work may take). So a healthy loop is never taken for a wedged
// one however long it waits on purpose, and a truly wedged one is caught within its
// margin plus half an interval of that deadline. All on the monotonic clock.
//
// Every half interval the watchdog checks all loops: if none is wedged it pings,
// otherwise it withholds the ping and logs the loop once, and systemd restarts the
// service. Each check tells the truth at that moment: a loop that beats again before
// systemd acts resumes the pings. With no loops registered it pings as long as the
// event loop runs. /healthz reports wedgedLoops().
import { TelemetryError } from '../errors.js';
import { sleepQuietly, type Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from './notifier.js';

export interface WatchdogOptions {
  notifier: Notifier;
  /** The full watchdog interval (WATCHDOG_USEC / 1000, or what the unit passes in). */
  intervalMs: number;
  clock: Clock;
  logger: Logger;
}

export interface Heartbeat {
  /**
   * Called by the loop each time it makes progress; `quietMs` is how long it now means to
   * wait on purpose before it beats again (default 0).
   */
  beat(quietMs?: number): void;
  /** The loop ended on purpose (shutdown): stop watching it. */
  retire(): void;
}

interface WatchedLoop {
  maxSilenceMs: number;
  lastBeat: number;
  quietMs: number;
  pausedUntil: (() => number) | undefined;
  wedged: boolean;
}

export class Watchdog {
  /** Pings go at half the interval, as sd_watchdog_enabled(3) recommends. */
  readonly pingEveryMs: number;
  private readonly notifier: Notifier;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly loops = new Map<string, WatchedLoop>();
  private running: { controller: AbortController; done: Promise<void> } | undefined;

  constructor(opts: WatchdogOptions) {
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs <= 0) {
      throw new TelemetryError(
        'E_NOTIFY',
        `watchdog interval must be a positive number of milliseconds (got ${opts.intervalMs})`,
      );
    }
    this.pingEveryMs = opts.intervalMs / 2;
    this.notifier = opts.notifier;
    this.clock = opts.clock;
    this.logger = opts.logger;
  }

  /**
   * Watches a loop from now on; it counts as having beaten at registration. `maxSilenceMs`
   * is its margin past its next deadline; `pausedUntil` (monotonic ms), when given, is
   * read at every check: the loop may be silent until then on purpose.
   */
  register(name: string, maxSilenceMs: number, pausedUntil?: () => number): Heartbeat {
    if (this.loops.has(name)) {
      throw new TelemetryError('E_NOTIFY', `watchdog loop "${name}" is already registered`);
    }
    if (!Number.isFinite(maxSilenceMs) || maxSilenceMs <= 0) {
      throw new TelemetryError(
        'E_NOTIFY',
        `watchdog loop "${name}": maxSilenceMs must be a positive number (got ${maxSilenceMs})`,
      );
    }
    const loop: WatchedLoop = { maxSilenceMs, lastBeat: this.clock.now(), quietMs: 0, pausedUntil, wedged: false };
    this.loops.set(name, loop);
    return {
      beat: (quietMs = 0) => {
        loop.lastBeat = this.clock.now();
        loop.quietMs = Number.isFinite(quietMs) ? Math.max(0, quietMs) : 0;
      },
      retire: () => {
        if (this.loops.get(name) === loop) this.loops.delete(name);
      },
    };
  }

  /** Names of the loops past their next deadline by more than their margin, right now (/healthz). */
  wedgedLoops(): string[] {
    const now = this.clock.now();
    return [...this.loops].filter(([, loop]) => overdueMs(loop, now) > loop.maxSilenceMs).map(([name]) => name);
  }

  /** Pings at once, then every half interval, until stop() or `signal` aborts. */
  start(signal?: AbortSignal): void {
    if (this.running) throw new TelemetryError('E_NOTIFY', 'watchdog already started');
    const controller = new AbortController();
    if (signal?.aborted) controller.abort();
    else signal?.addEventListener('abort', () => controller.abort(), { once: true });
    this.running = { controller, done: this.run(controller.signal) };
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.controller.abort();
    await running.done;
  }

  private async run(signal: AbortSignal): Promise<void> {
    this.logger.info(
      { ping_every_ms: this.pingEveryMs, loops: [...this.loops.keys()] },
      'watchdog started',
    );
    while (!signal.aborted) {
      // The next sleep starts with the check, not after the send: the cadence stays
      // at half the interval whatever the notifier's latency.
      const checked = this.check();
      const slept = sleepQuietly(this.clock, this.pingEveryMs, signal);
      await checked;
      await slept;
    }
    this.logger.debug('watchdog stopped');
  }

  private async check(): Promise<void> {
    const now = this.clock.now();
    let healthy = true;
    for (const [name, loop] of this.loops) {
      const silentMs = now - loop.lastBeat;
      if (overdueMs(loop, now) > loop.maxSilenceMs) {
        healthy = false;
        if (!loop.wedged) {
          loop.wedged = true;
          this.logger.error(
            { loop: name, silent_ms: silentMs, max_silence_ms: loop.maxSilenceMs, quiet_ms: loop.quietMs },
            'loop is wedged; withholding WATCHDOG=1 so systemd restarts the service',
          );
        }
      } else if (loop.wedged) {
        loop.wedged = false;
        this.logger.warn({ loop: name, silent_ms: silentMs }, 'loop made progress again; resuming WATCHDOG=1');
      }
    }
    if (!healthy) return;
    try {
      await this.notifier.notify('WATCHDOG=1');
    } catch (err) {
      // Notifier promises not to reject; a custom one that does must not end the loop.
      this.logger.warn({ err }, 'watchdog ping failed');
    }
  }
}

/** How far past its next deadline a loop is (negative: not due yet). */
function overdueMs(loop: WatchedLoop, now: number): number {
  const due = Math.max(loop.lastBeat + loop.quietMs, loop.pausedUntil?.() ?? -Infinity);
  return now - due;
}
