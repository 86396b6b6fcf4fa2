// The limit of row 3: a bare undici loop with the daemon's durability rule and nothing else.
// It drains a prefilled outbox file (the daemon's own format, opened with the same pragmas),
// reading 64 rows per query, `concurrency` POSTs in flight (undici Agent.request, as the bare
// loop), and deletes an event only after its 2xx: 64 deletes per transaction, then an
// fdatasync of the -wal file on the main thread (the daemon runs this one off the event loop);
// a row's payload is read back with the daemon's own parser. No config, no logging, no metrics,
// no retry logic. Its drain rate against the bare loop is the most any durable
// daemon built on these libraries can reach on this machine.
// argv: url dataDir concurrency
import { closeSync, fdatasyncSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { parseStoredMessage } from '../dist/sender/stored-message.js';
import { openWalDatabase } from './wal-database.mjs';

const [url, dataDir, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const { db, walFd: wal } = openWalDatabase(join(dataDir, 'outbox.db'), 'PRAGMA cache_size = -256');
const select = db.prepare('SELECT seq, id, time, payload FROM events WHERE seq > ? ORDER BY seq LIMIT 64');
const remove = db.prepare('DELETE FROM events WHERE seq = ?');
const flush = db.transaction((seqs) => {
  for (const seq of seqs) remove.run(seq);
});
const target = new URL(url);
const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
const authorization = process.env.BENCH_AUTHORIZATION;
let cursor = 0;
let rows = [];
let acked = [];
let failures = 0;

function sync() {
  flush(acked);
  acked = [];
  fdatasyncSync(wal);
}

async function worker() {
  for (;;) {
    if (rows.length === 0) {
      rows = select.all(cursor);
      if (rows.length === 0) return;
      cursor = rows[rows.length - 1].seq;
    }
    const row = rows.shift();
    const m = parseStoredMessage(row.payload, row);
    const res = await agent.request({ origin: target.origin, path: target.pathname + target.search, method: 'POST', headers: { ...m.headers, authorization }, body: m.body });
    await res.body.arrayBuffer();
    if (res.statusCode < 200 || res.statusCode > 299) {
      failures++;
      continue;
    }
    acked.push(row.seq);
    if (acked.length >= 64) sync();
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
sync();
closeSync(wal);
db.close();
await agent.close();
if (failures > 0) {
  process.stderr.write(`durable-loop: ${failures} non-2xx answers\n`);
  process.exit(1);
}
