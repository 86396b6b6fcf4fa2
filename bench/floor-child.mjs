// The floor of row 1: what the daemon's libraries cost in a process that does the least a
// durable sender can do. It loads what the daemon needs (pino, better-sqlite3, undici's Agent
// alone, as src/sender/undici-agent.ts does), opens a WAL SQLite file, and every 2 s inserts
// one stored message, fdatasyncs the -wal file, POSTs it with the Agent, and deletes it: no
// config, no status server, no sampler, no metrics. Run with the daemon's node flags, side by
// side with the daemons, its RSS is a lower bound for any daemon built on these libraries.
// argv: url messagesFile dataDir
import { closeSync, fdatasyncSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pino } from 'pino';
import { openWalDatabase } from './wal-database.mjs';

const require = createRequire(import.meta.url);
const Agent = require('undici/lib/dispatcher/agent.js');
const [url, messagesFile, dataDir] = process.argv.slice(2);
const messages = JSON.parse(readFileSync(messagesFile, 'utf8'));
const logger = pino({ level: 'warn' }, pino.destination({ fd: 1, sync: true }));
const { db, walFd: wal } = openWalDatabase(
  join(dataDir, 'floor.db'),
  'CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)',
);
const insert = db.prepare('INSERT INTO events (payload) VALUES (?)');
const remove = db.prepare('DELETE FROM events WHERE seq = ?');
const target = new URL(url);
const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
let i = 0;

function post(m) {
  return new Promise((resolve, reject) => {
    agent.dispatch(
      { origin: target.origin, path: target.pathname + target.search, method: 'POST', headers: m.headers, body: m.body },
      {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd: resolve,
        onResponseError: (_c, err) => reject(err),
      },
    );
  });
}

setInterval(async () => {
  const m = messages[i++ % messages.length];
  const { lastInsertRowid } = insert.run(JSON.stringify(m));
  fdatasyncSync(wal);
  try {
    await post({ headers: { ...m.headers, 'ce-id': `${m.headers['ce-id']}-floor-${i}`, 'ce-source': 'floor' }, body: m.body });
    remove.run(lastInsertRowid);
  } catch (err) {
    logger.warn({ err: String(err) }, 'floor post failed');
  }
}, 2000);
process.on('SIGTERM', () => {
  closeSync(wal);
  db.close();
  process.exit(0);
});
