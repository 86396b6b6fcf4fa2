// Drains the outbox through a Sender: oldest first, at most `concurrency` POSTs
// in flight. After a failure only one probe request goes out until the endpoint
// answers again, then the backlog drains at full concurrency, so a device never
// hammers an endpoint that is down. The wait after a failure is
// min(RETRY_MAX, max(full-jitter backoff, Retry-After)): an endpoint may ask for more
// patience, never for less. An answer that condemns the endpoint or the credentials
// keeps every event and pauses RETRY_MAX. A backlog found at start waits a random delay
// first, so a fleet restarting after the same outage does not stampede. Nothing read
// back from the outbox can throw out of here: a payload that does not parse is moved to
// the dead letters as `unreadable`.
import { MAX_TIMER_MS, wakeableSleep, type Clock } from '../clock/clock.js';
import type { HttpMessage } from '../event/event-shape.js';
import { parseStoredMessage } from './stored-message.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import { fullJitterDelay } from './backoff.js';
import type { Command, SendResult } from './send-result.js';
import type { Sender } from './http-sender.js';

export interface ForwarderOptions {
  outbox: Outbox;
  sender: Sender;
  clock: Clock;
  logger: Logger;
  counters: Counters;
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  drainJitterMs: number;
  random?: () => number;
  onDelivered?: (entry: OutboxEntry, result: Extract<SendResult, { outcome: 'delivered' }>) => void;
  onCommand?: (command: Command) => void;
  /** A send failed (will be retried or was refused). */
  onFailed?: () => void;
  /** Every send, timed: the latency histogram. */
  onSendDone?: (durationMs: number, outcome: SendResult['outcome']) => void;
  /** Called whenever the loop makes progress or waits on purpose (the watchdog's heartbeat). */
  onAlive?: () => void;
  /**
   * The payload to send for a taken entry (e.g. re-stamped), or null when it is not sendable
   * yet: the entry goes back and the forwarder waits NOT_SENDABLE_WAIT_MS on purpose, with no
   * failure counted. Default: the stored payload.
   */
  prepare?: (entry: OutboxEntry) => string | null;
}

export interface DeliveryState {
  lastDeliveryAt: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** Time (Clock.now()) before which no request is sent: backoff, Retry-After, a refusing endpoint, not sendable yet. */
  pausedUntil: number;
  inFlight: number;
  /** The last answer condemned the endpoint or the configuration (3xx, 404, 410, ...): events are kept, someone must look. */
  endpointRefused: boolean;
}

const IDLE_POLL_MS = 1000;
/** How long entries that `prepare` found not sendable yet wait before the next try. */
export const NOT_SENDABLE_WAIT_MS = 1000;

export class Forwarder {
  readonly state: DeliveryState = { lastDeliveryAt: null, lastError: null, consecutiveFailures: 0, pausedUntil: 0, inFlight: 0, endpointRefused: false };
  private readonly o: ForwarderOptions;
  private readonly random: () => number;
  private wake: (() => void) | null = null;
  private readonly sendAborts = new AbortController();
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: ForwarderOptions) {
    this.o = options;
    this.random = options.random ?? Math.random;
  }

  /** Tells an idle forwarder that the outbox has something new. */
  notify(): void {
    this.wake?.();
  }

  start(signal: AbortSignal): void {
    this.loop = this.run(signal);
  }

  /** Resolves when the loop has stopped: in-flight sends finished, or cut off after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.notify();
    if (!this.loop) return;
    const timer = setTimeout(() => this.sendAborts.abort(new Error('stop timeout')), timeoutMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { outbox, clock } = this.o;
    if (outbox.stats().depth > 0 && this.o.drainJitterMs > 0) {
      const delay = Math.floor(this.random() * this.o.drainJitterMs);
      this.o.logger.info({ depth: outbox.stats().depth, delay_ms: delay }, 'backlog found at start, draining after a random delay');
      await this.idle(delay, signal);
    }
    const inFlight = this.inFlight;
    while (!signal.aborted) {
      this.o.onAlive?.();
      const wait = this.state.pausedUntil - clock.now();
      if (wait > 0) {
        await this.idle(wait, signal);
        continue;
      }
      const slots = (this.state.consecutiveFailures > 0 ? 1 : this.o.concurrency) - inFlight.size;
      const batch = slots > 0 ? this.take(slots) : [];
      for (const entry of batch) this.launch(entry, signal);
      if (batch.length === 0) await this.idle(inFlight.size > 0 ? IDLE_POLL_MS * 60 : IDLE_POLL_MS, signal);
    }
    await Promise.allSettled(inFlight);
    this.state.inFlight = 0;
  }

  private take(limit: number): OutboxEntry[] {
    try {
      return this.o.outbox.take(limit);
    } catch (err) {
      this.o.logger.error({ err: errorMessage(err) }, 'outbox take failed');
      return [];
    }
  }

  private launch(entry: OutboxEntry, signal: AbortSignal): void {
    const message = this.messageOf(entry);
    if (!message) {
      this.notify();
      return;
    }
    const task = this.deliver(entry, message).finally(() => {
      this.inFlight.delete(task);
      this.state.inFlight = this.inFlight.size;
      this.next(signal);
    });
    this.inFlight.add(task);
    this.state.inFlight = this.inFlight.size;
  }

  /**
   * A slot came free. While a backlog drains it goes straight to the next entry, without
   * waking the loop (a timer and an abort per delivery, ~5% of a drain's CPU in a profile).
   * Anything else (a failure, a pause, stopping, an empty outbox) is the loop's to decide.
   */
  private next(signal: AbortSignal): void {
    const ready = !signal.aborted && this.state.consecutiveFailures === 0 && this.state.pausedUntil <= this.o.clock.now();
    const entry = ready ? this.take(1)[0] : undefined;
    if (!entry) {
      this.notify();
      return;
    }
    this.o.onAlive?.();
    this.launch(entry, signal);
  }

  /** The message to send for `entry`, or null when the entry was settled here instead (not sendable yet, unreadable). */
  private messageOf(entry: OutboxEntry): HttpMessage | null {
    const { outbox, counters, logger, clock } = this.o;
    let payload: string | null;
    try {
      payload = this.o.prepare ? this.o.prepare(entry) : entry.payload;
      if (payload !== null) return parseStoredMessage(payload, entry);
    } catch (err) {
      outbox.deadLetter(entry.seq, null, `unreadable: ${errorMessage(err)}`);
      counters.inc('events_dead_lettered_total', { status: 'unreadable' });
      logger.error({ event_id: entry.id, seq: entry.seq, err: errorMessage(err) }, 'stored event is unreadable, moved to the dead-letter table');
      return null;
    }
    outbox.release([entry.seq]);
    this.state.pausedUntil = Math.max(this.state.pausedUntil, clock.now() + NOT_SENDABLE_WAIT_MS);
    logger.debug({ event_id: entry.id, seq: entry.seq, retry_in_ms: NOT_SENDABLE_WAIT_MS }, 'event not sendable yet, kept');
    return null;
  }

  private async deliver(entry: OutboxEntry, message: HttpMessage): Promise<void> {
    const { outbox, counters, logger, clock } = this.o;
    const started = performance.now();
    const result = await this.o.sender.send(message, this.sendAborts.signal);
    this.o.onSendDone?.(performance.now() - started, result.outcome);
    const log = { event_id: entry.id, seq: entry.seq, attempts: entry.attempts + 1 };
    switch (result.outcome) {
      case 'delivered':
        outbox.ack([entry.seq]); // staged by the outbox, written with its next sync
        counters.inc('events_sent_total');
        if (this.state.consecutiveFailures > 0) {
          logger.info({ ...log, depth: outbox.stats().depth }, 'endpoint reachable again, draining');
          this.notify(); // the loop opens the other slots; next() only refills the one this send held
        }
        this.state.consecutiveFailures = 0;
        this.state.lastError = null;
        this.state.endpointRefused = false;
        this.state.lastDeliveryAt = clock.now();
        // Guarded: the spread would be built for every delivery even with debug off.
        if (logger.isLevelEnabled('debug')) logger.debug({ ...log, status: result.status }, 'event delivered');
        this.o.onDelivered?.(entry, result);
        if (result.command) this.o.onCommand?.(result.command);
        return;
      case 'rejected':
        outbox.deadLetter(entry.seq, result.status, result.reason);
        counters.inc('events_dead_lettered_total', { status: result.status === null ? 'invalid_request' : String(result.status) });
        if (result.status === null) logger.error({ ...log, reason: result.reason }, 'event cannot be put on the wire, moved to the dead-letter table');
        else logger.error({ ...log, status: result.status, reason: result.reason }, 'endpoint refused the event for good, moved to the dead-letter table');
        return;
      case 'unauthorized':
        outbox.release([entry.seq]);
        counters.inc('auth_failures_total');
        this.fail(`${result.status} ${result.reason}`, this.o.retryMaxMs);
        logger.error({ ...log, status: result.status, retry_in_ms: this.o.retryMaxMs }, 'endpoint refused the credentials: check APP_ID, DEVICE_ID and DEVICE_PASSWORD; events stay queued');
        return;
      case 'endpoint_fault':
        outbox.release([entry.seq]);
        counters.inc('events_retried_total', { reason: result.reason });
        this.fail(`${result.status} ${result.reason}`, this.o.retryMaxMs);
        this.state.endpointRefused = true;
        logger.error(
          { ...log, status: result.status, ...(result.location !== null ? { location: result.location } : {}), retry_in_ms: this.o.retryMaxMs },
          'endpoint answered with a status that means ENDPOINT or the configuration is wrong: check ENDPOINT; events stay queued',
        );
        return;
      case 'retry': {
        outbox.release([entry.seq]);
        if (this.sendAborts.signal.aborted) return;
        counters.inc('events_retried_total', { reason: result.reason });
        const backoff = fullJitterDelay(this.state.consecutiveFailures, this.o.retryBaseMs, this.o.retryMaxMs, this.random);
        const delay = Math.min(this.o.retryMaxMs, Math.max(backoff, result.retryAfterMs ?? 0));
        this.fail(result.status ? `${result.status} ${result.reason}` : result.reason, delay);
        logger.warn({ ...log, status: result.status, reason: result.reason, retry_in_ms: delay, retry_after: result.retryAfterMs !== null }, 'send failed, will retry');
      }
    }
  }

  private fail(reason: string, delayMs: number): void {
    this.o.onFailed?.();
    this.state.consecutiveFailures++;
    this.state.lastError = reason;
    this.state.endpointRefused = false; // set again by the caller when this failure is the endpoint's
    this.state.pausedUntil = Math.max(this.state.pausedUntil, this.o.clock.now() + Math.min(delayMs, MAX_TIMER_MS));
  }

  private async idle(ms: number, signal: AbortSignal): Promise<void> {
    const sleep = wakeableSleep(this.o.clock, Math.min(ms, MAX_TIMER_MS), signal);
    this.wake = sleep.wake;
    await sleep.done;
    this.wake = null;
  }
}
