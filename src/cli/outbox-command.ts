// `dht-telemetry outbox`: the dead-letter table, newest first, as JSON lines.
// `dht-telemetry outbox replay [--status N] [--since TIME]`: dead letters back into the queue.
import type { DeadLetter } from '../outbox/outbox.js';
import { listDeadLetters } from '../outbox/inspect.js';
import { parseStoredMessage } from '../sender/stored-message.js';
import { replayDeadLetters, type ReplayFilter } from '../outbox/replay.js';
import { UsageError, type ParsedArgs } from './args.js';

export function outboxCommand(dataDir: string, args: Pick<ParsedArgs, 'local' | 'subcommand'>, out: NodeJS.WritableStream): number {
  if (args.subcommand === 'replay') {
    const { replayed } = replayDeadLetters(dataDir, replayFilter(args.local));
    out.write(`replayed ${replayed} dead letter${replayed === 1 ? '' : 's'} to the queue of ${dataDir}; the daemon sends them at its next start\n`);
    return 0;
  }
  if (args.subcommand !== undefined) throw new UsageError(`unknown outbox command "${args.subcommand.slice(0, 80)}" (expected replay)`);
  const letters = listDeadLetters(dataDir, Number(args.local.limit ?? 20));
  for (const l of letters) {
    out.write(`${JSON.stringify({ id: l.id, time: isoOrRaw(l.time), status: l.status, reason: l.reason, failed_at: isoOrRaw(l.failedAt), attempts: l.attempts, ...sentForm(l) })}\n`);
  }
  if (letters.length === 0) out.write(`no dead letters in ${dataDir}\n`);
  return 0;
}

function replayFilter(local: ParsedArgs['local']): ReplayFilter {
  const filter: ReplayFilter = {};
  const status = local.status;
  if (typeof status === 'string') {
    if (!/^[1-5]\d\d$/.test(status)) throw new UsageError(`--status: not an HTTP status (got "${status.slice(0, 80)}", expected e.g. 404)`);
    filter.status = Number(status);
  }
  const since = local.since;
  if (typeof since === 'string') {
    const at = Date.parse(since);
    if (!Number.isFinite(at)) throw new UsageError(`--since: not a time (got "${since.slice(0, 80)}", expected e.g. 2026-11-30T08:00:00Z)`);
    filter.since = at;
  }
  return filter;
}

/** The message as it was sent (headers and body, without authorization); a payload that does not parse, as stored. */
function sentForm(letter: DeadLetter): { message: { headers: Record<string, string>; body: string } } | { payload: string } {
  try {
    return { message: parseStoredMessage(letter.payload, letter) };
  } catch {
    return { payload: letter.payload };
  }
}

/** A dead letter's time as ISO, or as it is when the row holds no valid time (an unreadable row). */
function isoOrRaw(ms: unknown): unknown {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : ms;
}
