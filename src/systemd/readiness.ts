// The READY=1 gate. systemd (Type=notify) and `podman auto-update` (via
// --sdnotify=container) take READY=1 as "this image works": auto-update rolls a new
// image back only when it fails to come up. So READY=1 goes out once, and only when
// every required condition is met (configuration valid, outbox open, a first
// trustworthy reading). If that takes longer than timeoutMs, whenReady() rejects with
// the missing conditions and READY=1 is never sent: the daemon exits non-zero
// rather than hang.
import { TelemetryError } from '../errors.js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from './notifier.js';

export interface ReadinessOptions {
  notifier: Notifier;
  /** Time from construction to READY=1 before whenReady() rejects. */
  timeoutMs: number;
  clock: Clock;
  logger: Logger;
}

type GateState = 'waiting' | 'ready' | 'failed';

export class Readiness {
  private readonly notifier: Notifier;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly startedAt: number;
  private readonly conditions: string[] = [];
  private readonly pending = new Set<string>();
  private readonly timer = new AbortController();
  private readonly settled: Promise<void>;
  private resolveSettled!: () => void;
  private rejectSettled!: (err: Error) => void;
  private state: GateState = 'waiting';

  constructor(opts: ReadinessOptions) {
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
      throw new TelemetryError(
        'E_NOTIFY',
        `readiness timeout must be a positive number of milliseconds (got ${opts.timeoutMs})`,
      );
    }
    this.notifier = opts.notifier;
    this.timeoutMs = opts.timeoutMs;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.startedAt = opts.clock.now();
    this.settled = new Promise<void>((resolve, reject) => {
      this.resolveSettled = resolve;
      this.rejectSettled = reject;
    });
    // Whoever awaits whenReady() sees the rejection; nobody awaiting is not a crash.
    this.settled.catch(() => undefined);
    void this.expireAfterTimeout();
  }

  /** Adds a condition READY=1 waits for; call the returned function once it holds. */
  require(name: string): () => void {
    if (this.state !== 'waiting') {
      throw new TelemetryError('E_NOTIFY', `readiness condition "${name}" added after the gate was ${this.state}`);
    }
    if (this.conditions.includes(name)) {
      throw new TelemetryError('E_NOTIFY', `readiness condition "${name}" is already required`);
    }
    this.conditions.push(name);
    this.pending.add(name);
    return () => this.met(name);
  }

  /** Resolves after READY=1 was sent; rejects on timeout (E_NOTIFY, naming what is missing) or stop(). */
  whenReady(): Promise<void> {
    if (this.state === 'waiting' && this.conditions.length === 0) void this.becomeReady();
    return this.settled;
  }

  /** Conditions not met yet. */
  missing(): string[] {
    return [...this.pending];
  }

  /** Cancels the start timeout (shutdown before ready); a pending whenReady() rejects. */
  stop(): void {
    this.timer.abort();
    if (this.state !== 'waiting') return;
    this.state = 'failed';
    this.rejectSettled(new TelemetryError('E_NOTIFY', 'stopped before the daemon was ready'));
  }

  private met(name: string): void {
    if (!this.pending.delete(name)) return;
    if (this.state !== 'waiting') {
      this.logger.debug({ condition: name, gate: this.state }, 'readiness condition met too late');
      return;
    }
    this.logger.debug({ condition: name, missing: this.missing() }, 'readiness condition met');
    if (this.pending.size === 0) void this.becomeReady();
  }

  private async becomeReady(): Promise<void> {
    this.state = 'ready';
    this.timer.abort();
    await this.send('READY=1');
    const conditions = this.conditions.length > 0 ? this.conditions.join(', ') : 'no conditions';
    await this.send(`STATUS=Ready (${conditions})`);
    this.logger.info(
      { conditions: this.conditions, startup_ms: this.clock.now() - this.startedAt },
      'ready: sent READY=1',
    );
    this.resolveSettled();
  }

  private async send(state: string): Promise<void> {
    try {
      await this.notifier.notify(state);
    } catch (err) {
      this.logger.warn({ err, state }, 'systemd notification failed');
    }
  }

  private async expireAfterTimeout(): Promise<void> {
    try {
      await this.clock.sleep(this.timeoutMs, this.timer.signal);
    } catch {
      return; // ready or stopped first
    }
    if (this.state !== 'waiting') return;
    this.state = 'failed';
    const missing = this.missing();
    this.logger.error({ missing, timeout_ms: this.timeoutMs }, 'not ready in time; READY=1 not sent');
    this.rejectSettled(
      new TelemetryError(
        'E_NOTIFY',
        `not ready within ${this.timeoutMs} ms: still waiting for ${missing.join(', ')}`,
      ),
    );
  }
}
