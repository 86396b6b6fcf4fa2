// The floor of row 1: what the daemon's libraries cost in a process that does the least a
// durable sender can do. It loads what the daemon needs (pino, better-sqlite3, undici's Agent
// alone, as src/sender/undici-agent.ts does), opens a WAL SQLite file, and every 2 s inserts
// one stored message, fdatasyncs the -wal file, POSTs it with the Agent, and deletes it: no
// config, no status server, no sampler, no metrics. Run with the daemon's node flags, side by
// side with the daemons, its RSS is a lower bound for any daemon built on these libraries.
// argv: url messagesFile dataDir [variant]
// variant (bench/floor-parts.mjs measures what each part costs): a comma list of
//   http       node's own http.request with a keep-alive Agent instead of undici
//   no-pino    log lines written with writeSync instead of pino
//   no-sqlite  the message appended to a plain file and fdatasync'd instead of SQLite
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openWalDatabase } from './wal-database.mjs';

const require = createRequire(import.meta.url);
const [url, messagesFile, dataDir, variant = ''] = process.argv.slice(2);
const parts = new Set(variant.split(',').filter(Boolean));
const messages = JSON.parse(readFileSync(messagesFile, 'utf8'));
const target = new URL(url);
const logger = parts.has('no-pino') ? plainLogger() : pinoLogger();
const store = parts.has('no-sqlite') ? plainFileStore() : sqliteStore();
const post = parts.has('http') ? nodeHttpPost() : undiciPost();
let i = 0;

function pinoLogger() {
  const { pino } = require('pino');
  return pino({ level: 'warn' }, pino.destination({ fd: 1, sync: true }));
}

function plainLogger() {
  return { warn: (fields, msg) => writeSync(1, `${JSON.stringify({ ...fields, msg })}\n`) };
}

function sqliteStore() {
  const { db, walFd: wal } = openWalDatabase(
    join(dataDir, 'floor.db'),
    'CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO events (payload) VALUES (?)');
  const remove = db.prepare('DELETE FROM events WHERE seq = ?');
  return {
    add: (text) => {
      const { lastInsertRowid } = insert.run(text);
      fdatasyncSync(wal);
      return lastInsertRowid;
    },
    remove: (seq) => remove.run(seq),
    close: () => {
      closeSync(wal);
      db.close();
    },
  };
}

function plainFileStore() {
  const fd = openSync(join(dataDir, 'floor.log'), 'a');
  return {
    add: (text) => {
      writeSync(fd, `${text}\n`);
      fdatasyncSync(fd);
      return 0;
    },
    remove: () => undefined,
    close: () => closeSync(fd),
  };
}

function undiciPost() {
  const Agent = require('undici/lib/dispatcher/agent.js');
  const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  return (m) =>
    new Promise((resolve, reject) => {
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

function nodeHttpPost() {
  const http = require('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  return (m) =>
    new Promise((resolve, reject) => {
      const options = { host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', headers: m.headers, agent, timeout: 10_000 };
      const req = http.request(options, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.end(m.body);
    });
}

setInterval(async () => {
  const m = messages[i++ % messages.length];
  const seq = store.add(JSON.stringify(m));
  try {
    await post({ headers: { ...m.headers, 'ce-id': `${m.headers['ce-id']}-floor-${i}`, 'ce-source': 'floor' }, body: m.body });
    store.remove(seq);
  } catch (err) {
    logger.warn({ err: String(err) }, 'floor post failed');
  }
}, 2000);
process.on('SIGTERM', () => {
  store.close();
  process.exit(0);
});
