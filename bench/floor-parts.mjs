// What each part of the daemon's steady RSS costs (issue 17, row 1): not a row of the bench, a
// measurement for bench/RESULTS.md. Side by side, with the same clean environment, posting to
// the cheap receiver every 2 s: idle node HTTP servers (row 1's baseline; also with the daemon's
// node flags), floor-child.mjs in its variants (undici or node's own http client, with or without
// pino, with or without better-sqlite3), and the daemon as shipped. After FLOOR_PARTS_S (90 s),
// VmRSS and /proc/PID/smaps_rollup (anonymous memory against file-backed pages: mostly the node
// binary's code, shared) of each, the median of FLOOR_PARTS_RUNS (2) processes per kind.
// Run it alone, under the bench lock:
//   flock /work/notes/s19/bench.lock -c 'node bench/floor-parts.mjs'
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { postUrl } from './backlog-drain.mjs';
import { records, writeMessages } from './messages.mjs';
import { ROOT, daemonEnv, median, removeDir, rss, shippedNodeFlags, sleep, spawnDaemon, spawnNode, startCounter, stop, tempDir } from './lib.mjs';

const EMPTY_SERVER = "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1')";
const seconds = Number(process.env.FLOOR_PARTS_S || 90);
const runs = Number(process.env.FLOOR_PARTS_RUNS || 2);

function smaps(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { anon: kib('Anonymous') / 1024, file: (kib('Rss') - kib('Anonymous')) / 1024 };
}

const counter = await startCounter('receiver');
const dirs = [];
const dir = () => {
  const d = tempDir('parts');
  dirs.push(d);
  return d;
};
const messages = writeMessages(dir(), records(10));
const flags = shippedNodeFlags();
const floor = (variant) => () => spawnNode([...flags, join(ROOT, 'bench/floor-child.mjs'), postUrl(counter.url), messages, dir(), variant]);
const kinds = [
  ['idle node HTTP server (row 1 baseline)', () => spawnNode(['-e', EMPTY_SERVER])],
  ["idle node HTTP server, the daemon's flags", () => spawnNode([...flags, '-e', EMPTY_SERVER])],
  ['floor: undici + better-sqlite3 + pino (row 1 floor)', floor('')],
  ["floor: node's http + better-sqlite3 + pino", floor('http')],
  ["floor: node's http + better-sqlite3", floor('http,no-pino')],
  ["floor: node's http + pino, a plain file", floor('http,no-sqlite')],
  ["floor: node's http, a plain file", floor('http,no-pino,no-sqlite')],
  ['floor: undici, a plain file', floor('no-pino,no-sqlite')],
  ['the daemon, as shipped', () => spawnDaemon(daemonEnv(counter.url, dir(), { INTERVAL: '2s' }))],
];
const procs = kinds.map(([, start]) => Array.from({ length: runs }, start));
await sleep(seconds * 1000);
for (const p of procs.flat()) if (p.exitCode !== null) throw new Error(`a process exited early (${p.spawnargs.join(' ')})`);
const rows = kinds.map(([name], k) => {
  const ps = procs[k];
  return { name, rss: ps.map((p) => rss(p.pid) / 2 ** 20), parts: ps.map((p) => smaps(p.pid)) };
});
await Promise.all(procs.flat().map((p) => stop(p)));
await counter.close();
dirs.forEach(removeDir);

const base = median(rows[0].rss);
console.log(`after ${seconds} s, ${runs} of each side by side; loadavg ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| process | RSS, MiB | against the idle server | anonymous, MiB | file-backed, MiB |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const m = median(r.rss);
  const anon = median(r.parts.map((p) => p.anon));
  const file = median(r.parts.map((p) => p.file));
  console.log(`| ${r.name} | ${m.toFixed(1)} (${r.rss.map((x) => x.toFixed(1)).join(' / ')}) | ${(m / base).toFixed(2)}x | ${anon.toFixed(1)} | ${file.toFixed(1)} |`);
}
