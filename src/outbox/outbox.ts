// The outbox boundary: events wait here, durable, between the event builder and the sender.
//
// Invariants every implementation keeps (test/outbox/outbox-contract.test.ts checks them):
// - Durability: a reading is durable within OUTBOX_SYNC_WINDOW of being taken; a SIGKILL or
//   power cut loses at most readings younger than that, none of which was ever sent. The
//   outbox keeps this by itself (SqliteOutbox syncs at the end of each window by its own
//   timer, whatever the sender does), and `take` hands out only what is synced, so a reading
//   is on stable storage before its first send. With a window of 0 `append` returns only once
//   the record is synced. (MemoryOutbox keeps nothing across the process: it is the fallback
//   while the disk is away, and a fake.)
// - `take` hands out the oldest entries first, by seq: seqs only grow and are handed out as
//   records are appended, and readings are appended as they are measured, so seq order is
//   measurement order. `time` is carried, never sorted on: a wall clock stepped backwards
//   (NTP on a Pi without an RTC) must not reorder the queue. A taken entry is leased: no
//   later `take` returns it until the caller settles it with `ack` (delivered, deleted),
//   `release` (failed, retried later in its original place, attempts + 1) or `deadLetter`
//   (refused for good, kept aside).
//   Leases live in memory: after a crash every stored entry is pending again, so at most the
//   entries in flight at the crash are sent twice, with the same id.
// - Settling a seq that is not leased is ignored, so a stale or repeated ack never deletes an
//   entry that was not sent.
// - Bounded by bytes (sum of payload lengths in UTF-8): an append that goes over drops the
//   oldest entries that are not in flight, counts them in events_dropped_total and returns
//   how many it dropped. That is the only counter an outbox touches: what is queued, sent and
//   dead-lettered is counted by its callers (daemon.ts, the forwarder).

export interface OutboxRecord {
  /** The CloudEvent id, kept across every retry. */
  id: string;
  /** Measurement time, ms since the epoch (the wall clock; not the queue order, see above). */
  time: number;
  /** The encoded HTTP message (event/event-shape.ts HttpMessage) as JSON: headers without credentials, and body. */
  payload: string;
  /** The reading's monotonic time (ms), when known: lets a later wall-clock fix re-stamp it (src/time/time-keeper.ts). */
  mono?: number | null;
  /** The boot the monotonic time belongs to (/proc/sys/kernel/random/boot_id), when known. */
  bootId?: string | null;
}

export interface OutboxEntry extends OutboxRecord {
  seq: number;
  /** Absent in the append input: null. */
  mono: number | null;
  bootId: string | null;
  /** Failed attempts so far (releases). */
  attempts: number;
}

export interface DeadLetter extends OutboxEntry {
  /** HTTP status of the refusal, or null when there was none. */
  status: number | null;
  reason: string;
  /** When it was dead-lettered, ms since the epoch. */
  failedAt: number;
}

export interface OutboxStats {
  /** Entries held, in flight included. */
  depth: number;
  /** Sum of payload lengths (UTF-8 bytes) of the entries held. */
  bytes: number;
  /** Entries taken and not yet settled. */
  inFlight: number;
  /** Dead letters held. */
  deadLettered: number;
  /** Entries dropped to keep the byte bound, since this outbox was opened. */
  dropped: number;
  storage: 'disk' | 'memory';
}

export interface Outbox {
  /** Durable within the sync window (see the header); before it returns when the window is 0. */
  append(record: OutboxRecord): { dropped: number };
  /** Oldest first by seq (append order); leases what it returns. */
  take(limit: number): OutboxEntry[];
  /** Delivered: delete. */
  ack(seqs: readonly number[]): void;
  /** Failed, retry later: attempts + 1, back in the queue in its original order. */
  release(seqs: readonly number[]): void;
  /** Refused for good: move to the dead letters. */
  deadLetter(seq: number, status: number | null, reason: string): void;
  /** Most recent first; `limit` defaults to 100. */
  deadLetters(limit?: number): DeadLetter[];
  stats(): OutboxStats;
  close(): void;
}

export const DEFAULT_DEAD_LETTER_LIMIT = 100;

export function payloadBytes(payload: string): number {
  return Buffer.byteLength(payload, 'utf8');
}

/** The entry an append makes of its input: no attempts yet, unknown times as null. */
export function newEntry(record: OutboxRecord, seq: number): OutboxEntry {
  return { id: record.id, time: record.time, payload: record.payload, mono: record.mono ?? null, bootId: record.bootId ?? null, seq, attempts: 0 };
}
