import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
const dir = mkdtempSync('/tmp/sq-');
const db = new Database(dir + '/x.db');
db.pragma('page_size = 1024'); db.pragma('journal_mode = WAL'); db.pragma(`synchronous = ${process.argv[2] ?? 'FULL'}`);
db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, time INTEGER, attempts INTEGER, payload TEXT)');
const ins = db.prepare('INSERT INTO events VALUES (?,?,?,?,?)'); const del = db.prepare('DELETE FROM events WHERE seq = ?');
const payload = 'x'.repeat(700);
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < 500; i++) { ins.run(i, 'id', i, 0, payload); db.transaction(() => del.run(i))(); }
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(process.argv[2] ?? 'FULL', 'wall/op', (t / 500).toFixed(2), 'ms  cpu user/op', (c.user / 500 / 1000).toFixed(3), 'sys/op', (c.system / 500 / 1000).toFixed(3), 'ms');
rmSync(dir, { recursive: true });
