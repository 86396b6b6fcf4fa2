// #1 Steady-state memory and #5 disk writes per reading, side by side (each daemon idles
// between readings, so they barely touch each other, and one steady-state period serves both).
//  1: RSS of BENCH_RUNS daemons sampling the simulator every 2 s after BENCH_STEADY_S (120 s),
//     against as many idle `node` processes running an empty HTTP server for the same time,
//     all started with the same clean environment. Nothing forces a collection: the daemon
//     runs as shipped, and the bench never calls gc(). Pairs: daemon i against server i.
//  5: /proc/PID/io write_bytes of BENCH_RUNS daemons at one reading a second
//     (BENCH_WRITES_INTERVAL), after a 10 s warm-up, ÷ readings the receiver accepted from
//     each. write_bytes counts a 4 KiB page each time a clean page-cache page is dirtied, so
//     the data dir must be on a disk filesystem (tmpfs reads 0): its type is reported.
// Beside them, BENCH_RUNS floor processes (floor-child.mjs: the daemon's libraries doing the
// least a durable sender does, with the daemon's node flags): the lowest RSS a daemon built on
// these libraries could have, reported in the note.
// All post to the cheap receiver (receiver-child.mjs).
import { join } from 'node:path';
import { postUrl } from './backlog-drain.mjs';
import { records, writeMessages } from './messages.mjs';
import { shippedNodeFlags, ROOT, median, daemonEnv, fsType, ioBytes, knob, removeDir, result, rss, sleep, spawnDaemon, spawnNode, startCounter, stop, tempDir } from './lib.mjs';

const EMPTY_SERVER = "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1')";
const WARMUP_MS = 10_000;

export async function run({ only = ['1', '5'] } = {}) {
  const seconds = knob('BENCH_STEADY_S', 120, 30);
  const runs = knob('BENCH_RUNS', 3);
  const interval = process.env.BENCH_WRITES_INTERVAL || '1s';
  const counter = await startCounter('receiver');
  const steadyDirs = only.includes('1') ? Array.from({ length: runs }, () => tempDir('steady')) : [];
  const writeDirs = only.includes('5') ? Array.from({ length: runs }, () => tempDir('writes')) : [];
  const fs = writeDirs.length ? fsType(writeDirs[0]) : '';
  if (fs === 'tmpfs') throw new Error('the data dir is on tmpfs: set BENCH_DIR to a directory on a disk filesystem');
  const daemons = steadyDirs.map((dir, i) => spawnDaemon(daemonEnv(counter.url, dir, { INTERVAL: '2s', DEVICE_ID: `steady${i}` })));
  const servers = steadyDirs.map(() => spawnNode(['-e', EMPTY_SERVER], { stdio: 'ignore' }));
  const floorDirs = steadyDirs.map(() => tempDir('floor'));
  const messages = steadyDirs.length ? writeMessages(floorDirs[0], records(10)) : '';
  const floors = floorDirs.map((dir) => spawnNode([...shippedNodeFlags(), join(ROOT, 'bench/floor-child.mjs'), postUrl(counter.url), messages, dir]));
  const writers = writeDirs.map((dir, i) => spawnDaemon(daemonEnv(counter.url, dir, { INTERVAL: interval, DEVICE_ID: `pi${i}` })));
  const readingsOf = (st, i) => st.bySource[`drogue://dejanb/pi${i}`] ?? 0;

  await sleep(WARMUP_MS);
  const st0 = await counter.stats();
  const io0 = writers.map((d) => ioBytes(d.pid).write);
  // RSS every 2 s over the last minute, for the note: how much it moves in steady state.
  const late = daemons.map(() => []);
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 - WARMUP_MS) {
    await sleep(2000);
    for (const d of [...daemons, ...writers]) if (d.exitCode !== null) throw new Error(`daemon exited early: ${d.output.slice(-500)}`);
    if (performance.now() - t0 > seconds * 1000 - WARMUP_MS - 60_000) daemons.forEach((d, i) => late[i].push(rss(d.pid) / 2 ** 20));
  }
  const ours = daemons.map((d) => rss(d.pid) / 2 ** 20);
  const base = servers.map((s) => rss(s.pid) / 2 ** 20);
  const floor = floors.map((f) => rss(f.pid) / 2 ** 20);
  const io1 = writers.map((d) => ioBytes(d.pid).write);
  const st1 = await counter.stats();
  for (const f of floors) if (f.exitCode !== null) throw new Error('a floor process exited early');
  const floorPosts = st1.bySource.floor ?? 0;
  await Promise.all([...daemons, ...servers, ...floors, ...writers].map((c) => stop(c)));
  await counter.close();
  [...steadyDirs, ...floorDirs, ...writeDirs].forEach(removeDir);

  const out = [];
  if (daemons.length) {
    const lo = Math.min(...late.flat());
    const hi = Math.max(...late.flat());
    out.push(result({
      name: `1 steady RSS after ${seconds}s @2s`,
      unit: 'MiB',
      ours,
      base,
      paired: true,
      target: '<= 1.3x, no forced gc()',
      pass: (r) => r <= 1.3,
      note: `RSS of the daemons over the last minute, every 2 s: ${lo.toFixed(1)}–${hi.toFixed(1)} MiB; the floor (floor-child.mjs, ${floorPosts} posts) ${median(floor).toFixed(1)} MiB (${Math.min(...floor).toFixed(1)}–${Math.max(...floor).toFixed(1)}), ${(median(floor) / median(base)).toFixed(2)}x the idle server`,
    }));
  }
  if (writers.length) {
    const counts = writers.map((_, i) => readingsOf(st1, i) - readingsOf(st0, i));
    out.push(result({
      name: `5 disk writes per reading @${interval}`,
      unit: 'KiB',
      ours: writers.map((_, i) => (io1[i] - io0[i]) / counts[i] / 1024),
      base: [],
      ratio: null,
      target: '<= 6 KiB',
      pass: (_r, mo) => mo <= 6,
      note: `data dir on ${fs}; ${counts.join('/')} readings, ${runs} daemons side by side`,
    }));
  }
  return out;
}
