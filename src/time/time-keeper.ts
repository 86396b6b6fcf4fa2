// Which wall time a reading gets, and when it may be sent.
//
// A Pi has no real-time clock: it boots at 1970 or at the time fake-hwclock saved,
// and NTP steps the clock minutes or years later. Every reading therefore keeps its
// monotonic time and the boot id beside its wall stamp, and this module decides at
// send time (the Forwarder's `prepare` hook):
//   floor   a wall clock below this release's build time is unsynchronized: nothing is
//           sent (readings are still taken and queued);
//   sync    where systemd-timesyncd's flag directory is visible, nothing is sent until
//           its `synchronized` file exists, for at most `syncWaitMs` after start;
//   step    the offset wall − monotonic is what a reading's stamp was made from; when
//           it differs by more than STEP_MS from the offset now, the clock was stepped
//           since, and a reading of THIS boot is re-stamped from its monotonic time
//           (ce-time, structured `time` and `data.time` together). A reading of an
//           earlier boot cannot be placed on this boot's monotonic clock: it keeps its time.
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import { wallTimeOf, type Clock } from '../clock/clock.js';
import { readStored, writeStored } from '../sender/stored-message.js';
import type { HostTime } from './host-time.js';

/** How long a "the host clock is synchronized" answer is reused before the host is asked again. */
const HOST_SYNC_RECHECK_MS = 1000;

/** A change of wall − monotonic larger than this is a step, not NTP slewing. */
export const STEP_MS = 1000;

/** What the keeper needs of an outbox entry (src/outbox/outbox.ts OutboxEntry). */
export interface TimedEntry {
  id: string;
  /** The wall stamp the payload carries, ms since the epoch. */
  time: number;
  payload: string;
  /** Monotonic ms when the reading was taken, or null/absent (rows written before this was kept). */
  mono?: number | null;
  bootId?: string | null;
}

/** The stamp of a new reading. */
export interface Stamp {
  time: number;
  mono: number;
  bootId: string | null;
}

export interface ClockState {
  /** The host's word: true/false where its sync flag is visible, null where it is not. */
  synced: boolean | null;
  /** The wall clock is below this release's build time. */
  belowFloor: boolean;
  /** Build time of this release, ISO. */
  floor: string;
  /** Sending waits for the host's sync flag (still within the bounded wait). */
  waitingForSync: boolean;
  /** When the last step was seen (wall time after it, ISO), and by how much, or null. */
  steppedAt: string | null;
  lastStepMs: number | null;
  steps: number;
}

export interface TimeKeeperOptions {
  clock: Clock;
  host: HostTime;
  /** Build time of this release, epoch ms (src/clock/build-time.ts). */
  floorMs: number;
  /** Longest wait for the host's sync flag, counted from start; 0 = do not wait. */
  syncWaitMs: number;
  counters: Counters;
  logger: Logger;
}

/** Remembered ids, so a reading retried after its re-stamp is counted once. */
const COUNTED_IDS_MAX = 10_000;

export class TimeKeeper {
  readonly bootId: string | null;
  private readonly o: TimeKeeperOptions;
  private readonly startedAt: number;
  private offset: number;
  private steppedAt: number | null = null;
  private lastStepMs: number | null = null;
  private steps = 0;
  private belowFloorLogged = false;
  private syncWaitOver = false;
  /** Until when (Clock.now()) the host's "synchronized" answer is taken as still true. */
  private hostSyncedUntil = -Infinity;
  private readonly counted = new Set<string>();

  constructor(options: TimeKeeperOptions) {
    this.o = options;
    this.bootId = options.host.bootId();
    this.startedAt = options.clock.now();
    this.offset = options.clock.wallNow() - this.startedAt;
  }

  /** The stamp of a reading taken at monotonic `mono`. */
  stamp(mono: number): Stamp {
    this.observe();
    // Whole milliseconds: the outbox stores epoch ms as an integer (sqlite-schema.ts checks it).
    return { time: Math.round(wallTimeOf(this.o.clock, mono)), mono, bootId: this.bootId };
  }

  /** Notices a step of the wall clock; cheap, called on every stamp and every send. */
  observe(): void {
    const { clock, logger } = this.o;
    const offset = clock.wallNow() - clock.now();
    const delta = offset - this.offset;
    if (Math.abs(delta) <= STEP_MS) return;
    this.offset = offset;
    this.steps++;
    this.steppedAt = clock.wallNow();
    this.lastStepMs = delta;
    logger.warn({ step_ms: Math.round(delta), wall_time: new Date(this.steppedAt).toISOString() }, 'wall clock stepped; unsent readings of this boot will be re-stamped');
  }

  /** Whether readings may be sent now: the clock is plausible and, where visible, the host has synced. */
  sendable(): boolean {
    const { clock, host, floorMs, syncWaitMs, logger } = this.o;
    if (clock.wallNow() < floorMs) {
      if (!this.belowFloorLogged) {
        this.belowFloorLogged = true;
        logger.warn({ wall_time: new Date(clock.wallNow()).toISOString(), floor: new Date(floorMs).toISOString() }, 'wall clock is below the release build time; readings are queued, not sent, until it is set');
      }
      return false;
    }
    if (this.belowFloorLogged) {
      this.belowFloorLogged = false;
      logger.info({ wall_time: new Date(clock.wallNow()).toISOString() }, 'wall clock is plausible again; sending queued readings with corrected times');
    }
    if (this.syncWaitOver || clock.now() < this.hostSyncedUntil) return true;
    if (!host.syncVisible() || host.synced()) {
      // A yes is kept for HOST_SYNC_RECHECK_MS: asking the host is one or two stat() calls, and
      // this runs for every send (2 % of a backlog drain's CPU). A no is asked again each time.
      this.hostSyncedUntil = clock.now() + HOST_SYNC_RECHECK_MS;
      return true;
    }
    if (clock.now() - this.startedAt < syncWaitMs) return false;
    this.syncWaitOver = true;
    logger.warn({ time_sync_wait_ms: syncWaitMs }, 'host clock still not synchronized after TIME_SYNC_WAIT; sending with the clock as it is');
    return true;
  }

  /**
   * The Forwarder's `prepare`: the payload to send (re-stamped when the clock was stepped
   * since the reading was stamped), or null while nothing may be sent.
   */
  prepare(entry: TimedEntry): string | null {
    this.observe();
    if (!this.sendable()) return null;
    const mono = this.monoOf(entry);
    if (mono === null) return entry.payload;
    const time = Math.round(wallTimeOf(this.o.clock, mono));
    if (Math.abs(time - entry.time) <= STEP_MS) return entry.payload;
    const payload = restamp(entry.payload, new Date(time).toISOString());
    if (payload === null) return entry.payload;
    if (!this.counted.has(entry.id)) {
      if (this.counted.size >= COUNTED_IDS_MAX) this.counted.clear();
      this.counted.add(entry.id);
      this.o.counters.inc('readings_restamped_total');
      this.o.logger.debug({ event_id: entry.id, from: new Date(entry.time).toISOString(), to: new Date(time).toISOString() }, 'reading re-stamped after a clock step');
    }
    return payload;
  }

  /** The entry's monotonic time on THIS boot's clock, or null when it has none or is from another boot. */
  private monoOf(entry: TimedEntry): number | null {
    const mono = entry.mono ?? null;
    return mono !== null && entry.bootId != null && entry.bootId === this.bootId ? mono : null;
  }

  state(): ClockState {
    const { clock, host, floorMs, syncWaitMs } = this.o;
    const visible = host.syncVisible();
    const synced = visible ? host.synced() : null;
    return {
      synced,
      belowFloor: clock.wallNow() < floorMs,
      floor: new Date(floorMs).toISOString(),
      waitingForSync: synced === false && !this.syncWaitOver && clock.now() - this.startedAt < syncWaitMs,
      steppedAt: this.steppedAt === null ? null : new Date(this.steppedAt).toISOString(),
      lastStepMs: this.lastStepMs === null ? null : Math.round(this.lastStepMs),
      steps: this.steps,
    };
  }
}

/**
 * The stored HTTP message with every time it carries set to `iso`: `ce-time` and the
 * body's `time` (binary), or the event's `time` and `data.time` (structured). Null when
 * the payload is not one this daemon wrote.
 */
export function restamp(payload: string, iso: string): string | null {
  try {
    const message = readStored(payload);
    const body = JSON.parse(message.body) as Record<string, unknown>;
    if (message.binary) {
      message.headers['ce-time'] = iso;
      if ('time' in body) body.time = iso;
    } else {
      body.time = iso;
      const data = body.data;
      if (data && typeof data === 'object' && 'time' in data) (data as Record<string, unknown>).time = iso;
    }
    message.body = JSON.stringify(body);
    return writeStored(message);
  } catch {
    return null;
  }
}
