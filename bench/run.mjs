// `npm run bench`: runs the scenarios of issue 7 in turn and prints one table.
// Each figure is the median of several runs with its spread (min-max), next to a
// baseline measured in the same run on the same machine. Knobs (environment):
//   BENCH_QUICK=1          short durations for development (20 s steady state, fewer events)
//   BENCH_ONLY=1,3         run only these scenarios
//   BENCH_RUNS=N           repeats for 1, 2, 3, 5 (default 3)
//   BENCH_STEADY_S, BENCH_CPU_WINDOW_S, BENCH_CPU_INTERVAL, BENCH_DRAIN_EVENTS,
//   BENCH_READY_RUNS, BENCH_WRITES_READINGS, BENCH_WRITES_INTERVAL,
//   BENCH_BACKLOG_EVENTS, BENCH_BACKLOG_RUNS, SEND_CONCURRENCY
//   BENCH_DIR=/path        where the data dirs go (default os.tmpdir(); must not be tmpfs for 5)
//   BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'   flags for every daemon (profiling)
//   BENCH_JSON=file        also write the raw results as JSON
// Everything listens on 127.0.0.1; processes and temp dirs are removed on exit.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cleanup, fsType, QUICK } from './lib.mjs';

const SCENARIOS = [
  ['1', './steady-memory.mjs'],
  ['2', './cpu-per-reading.mjs'],
  ['3', './backlog-drain.mjs'],
  ['4', './start-to-ready.mjs'],
  ['5', './storage-writes.mjs'],
  ['6', './backlog-memory.mjs'],
];

const fmt = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(Math.abs(x) >= 10 ? 1 : 2));
const spread = (xs) => (xs.length ? `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}` : '—');

function table(results) {
  const rows = [['scenario', 'ours (median)', 'baseline (median)', 'ratio', 'target', 'result', 'spread ours', 'spread baseline']];
  for (const r of results) {
    if (r.error) {
      rows.push([r.name, 'ERROR', '', '', '', 'MISS', r.error.split('\n')[0].slice(0, 80), '']);
      continue;
    }
    rows.push([
      r.name,
      `${fmt(r.mo)} ${r.unit}`,
      Number.isNaN(r.mb) ? '—' : `${fmt(r.mb)} ${r.baseUnit}`,
      r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`,
      r.target,
      r.pass ? 'pass' : 'MISS',
      spread(r.ours),
      spread(r.base),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  const line = (row) => `| ${row.map((v, c) => String(v).padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const results = [];
const started = Date.now();
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
try {
  console.log(`dht-telemetry bench${QUICK ? ' (BENCH_QUICK: short durations)' : ''}; data dirs in ${process.env.BENCH_DIR || tmpdir()} (${fsType(process.env.BENCH_DIR || tmpdir())})`);
  for (const [id, file] of SCENARIOS) {
    if (only.length && !only.includes(id)) continue;
    const t0 = Date.now();
    process.stdout.write(`scenario ${id}... `);
    try {
      const { run } = await import(file);
      const steady = results.find((r) => r.name.startsWith('1 ') && !r.error);
      const r = await run(id === '6' && steady ? { steadyMiB: steady.mo } : {});
      results.push(r);
      console.log(`${r.pass ? 'pass' : 'MISS'} (${((Date.now() - t0) / 1000).toFixed(0)} s) ${r.note}`);
    } catch (err) {
      results.push({ name: `${id} ${file}`, error: String(err?.stack ?? err) });
      console.log(`ERROR: ${err?.message ?? err}`);
    } finally {
      cleanup();
    }
  }
  console.log(`\n${table(results)}\n\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const r of results) if (r.note) console.log(`- ${r.name}: ${r.note}`);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
} finally {
  cleanup();
}
