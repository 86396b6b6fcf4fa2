// How often a drain collects, per build: one drain of `events` per build (BENCH_CLI), with
// --trace-gc, counting the scavenges and the full collections (the HeapGovernor's gc() calls
// are full collections) and their pause time. Not part of `npm run bench`.
//   node bench/gc-count.mjs <events> /a/dist/cli/main.js [/b/dist/cli/main.js …]
import { cleanup, daemonEnv, removeDir, rss, spawnDaemon, startCounter, stop, tempDir, until } from './lib.mjs';
import { prefill } from './messages.mjs';

const [nArg, ...clis] = process.argv.slice(2);
const n = Number(nArg);
const counter = await startCounter('receiver');
try {
  for (const cli of clis) {
    process.env.BENCH_CLI = cli;
    const data = tempDir('gc-count');
    await prefill(data, n, 512 * 2 ** 20);
    await counter.reset();
    const daemon = spawnDaemon(daemonEnv(counter.url, data, { INTERVAL: '1h', OUTBOX_MAX_BYTES: String(512 * 2 ** 20), SEND_CONCURRENCY: '4' }), ['--trace-gc']);
    let peak = 0;
    const t0 = performance.now();
    await until(async () => {
      peak = Math.max(peak, rss(daemon.pid));
      return (await counter.stats()).accepted >= n + 1;
    }, 600_000, 'drained', 100);
    const ms = performance.now() - t0;
    await stop(daemon, 30_000);
    removeDir(data);
    const lines = daemon.output.split('\n');
    const pause = (re) => lines.filter((l) => re.test(l)).reduce((sum, l) => sum + Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(l)?.[1] ?? 0), 0);
    const count = (re) => lines.filter((l) => re.test(l)).length;
    console.log(`${cli}: ${n} in ${(ms / 1000).toFixed(1)} s; scavenges ${count(/Scavenge/)} (${pause(/Scavenge/).toFixed(0)} ms), full ${count(/Mark-Compact/)} (${pause(/Mark-Compact/).toFixed(0)} ms), of them forced ${count(/Mark-Compact.*testing/)}; peak ${(peak / 2 ** 20).toFixed(1)} MiB`);
  }
} finally {
  await counter.close?.();
  cleanup();
}
