// Bytes allocated, promoted and collected per delivered event, and deopts, for one drain per
// config: the daemon under given node flags / builds, and the bare undici loop, each with
// --trace-gc-nvp (and --trace-deopt for the daemon). The sums cover the whole process,
// start-up included (small beside 20,000 deliveries). Not part of `npm run bench`.
//   node bench/alloc-per-event.mjs <events> bare 'shipped=' 'x=<flags>' 'y@/b/dist/cli/main.js='
// BENCH_ALLOC_LOG=<dir> keeps each daemon's trace as <dir>/<name>.log.
// Each spec is as in compare-flags.mjs: name=flags (empty: the shebang's), name@cli=flags.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, daemonEnv, exited, removeDir, spawnDaemon, startCounter, stop, tempDir, track, until, cleanup, ROOT } from './lib.mjs';
import { prefill, records, writeMessages } from './messages.mjs';
import { postUrl } from './backlog-drain.mjs';

const [nArg, ...specs] = process.argv.slice(2);
const n = Number(nArg);
const MAX_BYTES = 512 * 2 ** 20;
const counter = await startCounter('receiver');

/** Sums of --trace-gc-nvp lines (bytes) and counts, and --trace-deopt bailouts. */
function tally(output) {
  const t = { scavenges: 0, full: 0, allocated: 0, promoted: 0, deopts: 0, marked: 0, reasons: {} };
  for (const line of output.split('\n')) {
    const bailout = /^\[bailout \(kind: [^,]+, reason: ([^)]+)\)/.exec(line);
    // Code thrown away by a GC or a map change is marked first and deoptimised lazily.
    const marked = /^\[marking dependent code .*reason: ([^\]]+)\]/.exec(line);
    if (bailout) t.deopts++;
    if (marked) t.marked++;
    const reason = (bailout ?? marked)?.[1];
    if (reason) t.reasons[reason] = (t.reasons[reason] ?? 0) + 1;
    const gc = /gc=(\w+)/.exec(line);
    if (!gc) continue;
    if (gc[1] === 's') t.scavenges++;
    else t.full++;
    const allocated = Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0);
    // V8 prints an underflowed size_t for a collection right after another (no allocation between).
    if (allocated < 2 ** 40) t.allocated += allocated;
    t.promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return t;
}

function print(name, t, ms) {
  console.log(
    `${name.padEnd(10)} ${(ms / 1000).toFixed(1)} s; allocated ${Math.round(t.allocated / n)} B/event, promoted ${Math.round(t.promoted / n)} B/event; ` +
      `scavenges ${t.scavenges}, full ${t.full}, bailouts ${t.deopts}, code marked ${t.marked} ${JSON.stringify(t.reasons)}`,
  );
}

try {
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const [name, cli = ''] = (eq < 0 ? spec : spec.slice(0, eq)).split('@');
    const flags = eq < 0 ? '' : spec.slice(eq + 1);
    await counter.reset();
    const t0 = performance.now();
    if (name === 'bare') {
      const dir = tempDir('alloc-msg');
      const recs = records(n);
      const messages = writeMessages(dir, recs);
      const loop = track(
        spawn(process.execPath, ['--trace-gc-nvp', join(ROOT, 'bench/bare-loop.mjs'), postUrl(counter.url), messages, '4', '0'], {
          env: cleanEnv(),
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      );
      let out = '';
      loop.stdout.on('data', (d) => (out += d));
      if ((await exited(loop, 900_000)) !== 0) throw new Error('bare loop failed');
      print(name, tally(out), performance.now() - t0);
      removeDir(dir);
      continue;
    }
    process.env.BENCH_DAEMON_FLAGS = flags;
    process.env.BENCH_CLI = cli;
    const data = tempDir('alloc');
    await prefill(data, n, MAX_BYTES);
    await counter.reset();
    const t1 = performance.now();
    const daemon = spawnDaemon(daemonEnv(counter.url, data, { INTERVAL: '1h', OUTBOX_MAX_BYTES: String(MAX_BYTES), SEND_CONCURRENCY: '4' }), ['--trace-gc-nvp', '--trace-deopt']);
    await until(async () => (await counter.stats()).accepted >= n + 1, 900_000, 'drained', 100);
    const ms = performance.now() - t1;
    await stop(daemon, 30_000);
    removeDir(data);
    print(name, tally(daemon.output), ms);
    if (process.env.BENCH_ALLOC_LOG) writeFileSync(join(process.env.BENCH_ALLOC_LOG, `${name}.log`), daemon.output);
  }
} finally {
  delete process.env.BENCH_DAEMON_FLAGS;
  delete process.env.BENCH_CLI;
  await counter.close();
  cleanup();
}
