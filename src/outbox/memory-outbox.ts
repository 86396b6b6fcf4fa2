// The outbox in memory: the fallback when the disk is away, and the fake for users' tests.
// Same contract as SqliteOutbox (one suite tests both), nothing survives the process.
import { systemClock, type Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import { reportPruned } from './dead-letter-table.js';
import {
  DEFAULT_DEAD_LETTER_LIMIT,
  newEntry,
  payloadBytes,
  type DeadLetter,
  type Outbox,
  type OutboxEntry,
  type OutboxRecord,
  type OutboxStats,
} from './outbox.js';
import { PendingQueue } from './pending-queue.js';
import { SeqCounter } from './seq-counter.js';

export interface MemoryOutboxOptions {
  maxBytes: number;
  /** Dead letters kept; the oldest are forgotten beyond this. Default 1000. */
  maxDeadLetters?: number;
  counters?: Counters;
  /** Says when dead letters are pruned. */
  logger?: Logger;
  /** The events_dropped_total reason label. Default "outbox_full". */
  dropReason?: string;
  clock?: Clock;
  seqs?: SeqCounter;
}

interface MemoryItem {
  readonly seq: number;
  readonly time: number;
  readonly bytes: number;
  readonly id: string;
  readonly payload: string;
  readonly mono: number | null;
  readonly bootId: string | null;
  attempts: number;
}

export class MemoryOutbox implements Outbox {
  private readonly queue = new PendingQueue<MemoryItem>();
  private dead: DeadLetter[] = [];
  private droppedCount = 0;
  private readonly maxBytes: number;
  private readonly maxDeadLetters: number;
  private readonly counters: Counters | undefined;
  private readonly logger: Logger | undefined;
  private readonly dropReason: string;
  private readonly clock: Clock;
  private readonly seqs: SeqCounter;

  constructor(options: MemoryOutboxOptions) {
    this.maxBytes = options.maxBytes;
    this.maxDeadLetters = options.maxDeadLetters ?? 1000;
    this.counters = options.counters;
    this.logger = options.logger;
    this.dropReason = options.dropReason ?? 'outbox_full';
    this.clock = options.clock ?? systemClock;
    this.seqs = options.seqs ?? new SeqCounter();
  }

  append(record: OutboxRecord): { dropped: number } {
    this.queue.insert(toItem(newEntry(record, this.seqs.next())));
    const victims = this.queue.victimsToFit(this.maxBytes);
    this.queue.remove(victims.map((v) => v.seq));
    if (victims.length > 0) {
      this.droppedCount += victims.length;
      this.counters?.inc('events_dropped_total', { reason: this.dropReason }, victims.length);
    }
    return { dropped: victims.length };
  }

  take(limit: number): OutboxEntry[] {
    return this.queue.take(limit).map(toEntry);
  }

  ack(seqs: readonly number[]): void {
    this.queue.remove(seqs.filter((seq) => this.queue.isLeased(seq)));
  }

  release(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const item = this.queue.get(seq);
      if (!item || !this.queue.isLeased(seq)) continue;
      item.attempts += 1;
      this.queue.unlease(seq);
    }
  }

  deadLetter(seq: number, status: number | null, reason: string): void {
    if (!this.queue.isLeased(seq)) return;
    const [item] = this.queue.remove([seq]);
    if (!item) return;
    this.dead.push({ ...toEntry(item), status, reason, failedAt: this.clock.wallNow() });
    const excess = this.dead.length - this.maxDeadLetters;
    if (excess > 0) {
      this.dead = this.dead.slice(excess);
      reportPruned(excess, this.maxDeadLetters, this.counters, this.logger);
    }
  }

  deadLetters(limit = DEFAULT_DEAD_LETTER_LIMIT): DeadLetter[] {
    return this.dead
      .slice(-limit)
      .reverse()
      .map((d) => ({ ...d }));
  }

  stats(): OutboxStats {
    return {
      depth: this.queue.depth,
      bytes: this.queue.bytes,
      inFlight: this.queue.inFlight,
      deadLettered: this.dead.length,
      dropped: this.droppedCount,
      storage: 'memory',
    };
  }

  close(): void {
    // nothing to release; the contents are simply gone with the process
  }

  /** Puts taken entries back without counting an attempt (a take that was not used). */
  unlease(seqs: readonly number[]): void {
    for (const seq of seqs) this.queue.unlease(seq);
  }

  /** Entries not in flight, oldest first: what a recovered disk takes over. */
  movable(): OutboxEntry[] {
    return this.queue.unleased().map(toEntry);
  }

  /** Takes over entries another store could not keep, with their seqs (so their place in the order). */
  adopt(entries: readonly OutboxEntry[]): void {
    for (const e of entries) this.queue.insert(toItem(e));
  }

  /** Removes entries another store now holds. */
  forget(seqs: readonly number[]): void {
    this.queue.remove(seqs);
  }

  /** Dead letters, oldest first, for a recovered disk to take over. */
  movableDeadLetters(): DeadLetter[] {
    return this.dead.map((d) => ({ ...d }));
  }

  /** Forgets the oldest `count` dead letters (another store now holds them). */
  forgetDeadLetters(count: number): void {
    this.dead = this.dead.slice(count);
  }
}

function toItem(entry: OutboxEntry): MemoryItem {
  return { seq: entry.seq, time: entry.time, bytes: payloadBytes(entry.payload), id: entry.id, payload: entry.payload, mono: entry.mono, bootId: entry.bootId, attempts: entry.attempts };
}

function toEntry(item: MemoryItem): OutboxEntry {
  return { seq: item.seq, id: item.id, time: item.time, payload: item.payload, mono: item.mono, bootId: item.bootId, attempts: item.attempts };
}
