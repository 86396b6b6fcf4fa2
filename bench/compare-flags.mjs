// Interleaved drains of the daemon under several node-flag sets (and the bare loop), for the
// flag and governor trade-off in RESULTS.md; not part of `npm run bench`.
//   node bench/compare-flags.mjs <events> <rounds> bare 'shipped=' 'nogov=--max-semi-space-size=1 …' 'plain=none'
// Each argument is name=flags (empty: the shebang's flags; 'none': no flags), or
// name@/path/to/dist/cli/main.js=flags to run another build (a before/after in one session);
// `bare` is the bare undici loop. Every round runs each in turn, the order reversing each round, against the cheap
// receiver at c=4; prints the median and every round's CPU per event, drain rate and peak RSS.
import { knob, median, rss, startCounter, tempDir, cleanup } from './lib.mjs';
import { bareOnce, drainOnce } from './backlog-drain.mjs';
import { records, writeMessages } from './messages.mjs';

const [nArg, roundsArg, ...specs] = process.argv.slice(2);
const n = Number(nArg ?? knob('BENCH_DRAIN_EVENTS', 20_000));
const rounds = Number(roundsArg ?? 4);
const configs = specs.map((spec) => {
  const eq = spec.indexOf('=');
  const [name, cli = ''] = (eq < 0 ? spec : spec.slice(0, eq)).split('@');
  return { name, cli, flags: eq < 0 ? '' : spec.slice(eq + 1) };
});
if (!configs.length) throw new Error('usage: node bench/compare-flags.mjs <events> <rounds> bare name=flags …');
const counter = await startCounter('receiver');
const recs = records(n);
const messages = writeMessages(tempDir('flags-msg'), recs);
const ids = recs.map((r) => r.id);
const res = Object.fromEntries(configs.map((c) => [c.name, { cpu: [], rate: [], peak: [] }]));
try {
  for (let r = 0; r < rounds; r++) {
    for (const c of r % 2 ? [...configs].reverse() : configs) {
      let peak = 0;
      let o;
      if (c.name === 'bare') o = await bareOnce(counter, messages, ids, 4);
      else {
        process.env.BENCH_DAEMON_FLAGS = c.flags;
        process.env.BENCH_CLI = c.cli;
        o = await drainOnce(counter, n, { concurrency: 4, onTick: (d) => (peak = Math.max(peak, rss(d.pid))) });
      }
      if (o.problem) console.log(`${c.name}: ${o.problem}`);
      res[c.name].cpu.push(Math.round(o.cpuPerEventUs));
      res[c.name].rate.push(Math.round(o.rate));
      if (peak) res[c.name].peak.push(+(peak / 2 ** 20).toFixed(1));
    }
  }
  for (const [name, v] of Object.entries(res)) {
    console.log(`${name.padEnd(12)} CPU/event ${median(v.cpu)} µs [${v.cpu}]  rate ${median(v.rate)} ev/s [${v.rate}]  peak [${v.peak}] MiB`);
  }
} finally {
  delete process.env.BENCH_DAEMON_FLAGS;
  await counter.close();
  cleanup();
}
