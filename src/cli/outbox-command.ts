// `dht-telemetry outbox`: the dead-letter table, newest first, as JSON lines.
import { listDeadLetters } from '../outbox/inspect.js';

export function outboxCommand(dataDir: string, limit: number, out: NodeJS.WritableStream): number {
  const letters = listDeadLetters(dataDir, limit);
  for (const l of letters) {
    out.write(`${JSON.stringify({ id: l.id, time: new Date(l.time).toISOString(), status: l.status, reason: l.reason, failed_at: new Date(l.failedAt).toISOString(), attempts: l.attempts, payload: l.payload })}\n`);
  }
  if (letters.length === 0) out.write(`no dead letters in ${dataDir}\n`);
  return 0;
}
