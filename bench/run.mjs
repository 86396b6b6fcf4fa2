// `npm run bench`: runs the scenarios of issue 17 and prints one table. Every daemon and
// every baseline starts with the same clean environment (lib.mjs cleanEnv); the drains post
// to a cheap receiver in its own process (receiver-child.mjs). Ratios are the median of
// paired runs (daemon and baseline one right after the other), with their spread.
// The machine's load (1-minute loadavg, and the rate of a fixed CPU loop) is printed at the
// start, between scenarios and at the end. Full run: ~9 minutes on a quiet 2-core machine, ~12 on a loaded one. Knobs (environment):
//   BENCH_QUICK=1          short durations for development (~3 min)
//   BENCH_ONLY=1,3         run only these rows (1+5 run together, as do 2+3)
//   BENCH_RUNS=N           daemons side by side for 1 and 5 (default 3)
//   BENCH_STEADY_S, BENCH_WRITES_INTERVAL, BENCH_DRAIN_EVENTS, BENCH_DRAIN_RUNS,
//   BENCH_DRAIN0_EVENTS, BENCH_DRAIN0_RUNS, BENCH_ENDPOINT_EVENTS, BENCH_ENDPOINT_RUNS, BENCH_READY_RUNS,
//   BENCH_BACKLOG_EVENTS, BENCH_BACKLOG_RUNS, BENCH_DURABLE_RUNS
//   BENCH_DIR=/path        where the data dirs go (default os.tmpdir(); must not be tmpfs for 5)
//   BENCH_DAEMON_FLAGS='--flag …' | none   replace the shebang's node flags (to compare flags)
//   BENCH_CLI=/other/tree/dist/cli/main.js   run another build as the daemon (before/after)
//   BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'   flags added for every daemon (profiling)
//   BENCH_JSON=file        also write the raw results as JSON
// Everything listens on 127.0.0.1; processes and temp dirs are removed on exit.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cleanup, fsType, machineLoad, QUICK, shippedNodeFlags } from './lib.mjs';

const GROUPS = [
  { ids: ['1', '5'], file: './steady-memory.mjs', fn: 'run' },
  { ids: ['2', '3'], file: './backlog-drain.mjs', fn: 'run' },
  { ids: ['7'], file: './backlog-drain.mjs', fn: 'runWindow0' },
  { ids: ['8'], file: './backlog-drain.mjs', fn: 'runProjectEndpoint' },
  { ids: ['9'], file: './backlog-drain.mjs', fn: 'runDurableLoop' },
  { ids: ['4'], file: './start-to-ready.mjs', fn: 'run' },
  { ids: ['6'], file: './backlog-memory.mjs', fn: 'run' },
];

const fmt = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(Math.abs(x) >= 10 ? 1 : 2));
const spread = (xs) => (xs.length ? `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}` : '—');
const ratioSpread = (xs) => (xs.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}` : '—');

function table(results) {
  const rows = [['row', 'ours (median)', 'baseline (median)', 'ratio', 'ratio spread', 'target', 'result', 'spread ours', 'spread baseline']];
  for (const r of results) {
    if (r.error) {
      rows.push([r.name, 'ERROR', '', '', '', '', 'MISS', r.error.split('\n')[0].slice(0, 80), '']);
      continue;
    }
    rows.push([
      r.name,
      `${fmt(r.mo)} ${r.unit}`,
      Number.isNaN(r.mb) ? '—' : `${fmt(r.mb)} ${r.baseUnit}`,
      r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`,
      ratioSpread(r.ratios),
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

const loadLine = (l) => `loadavg ${l.load1.toFixed(2)}, calibration loop ${(l.calibration / 1000).toFixed(0)}k iterations/ms`;

const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const results = [];
const loads = [];
const started = Date.now();
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
try {
  const dir = process.env.BENCH_DIR || tmpdir();
  console.log(`dht-telemetry bench${QUICK ? ' (BENCH_QUICK: short durations)' : ''}; data dirs in ${dir} (${fsType(dir)}); daemon flags: ${shippedNodeFlags().join(' ') || '(none)'}`);
  loads.push(await machineLoad());
  console.log(`machine at the start: ${loadLine(loads[0])}`);
  for (const group of GROUPS) {
    const ids = only.length ? group.ids.filter((id) => only.includes(id)) : group.ids;
    if (!ids.length) continue;
    const t0 = Date.now();
    process.stdout.write(`rows ${ids.join('+')}... `);
    try {
      const mod = await import(group.file);
      const steady = results.find((r) => r.name.startsWith('1 ') && !r.error);
      const rows = await mod[group.fn]({ only: ids, steadyMiB: steady?.mo });
      results.push(...rows.filter((r) => ids.includes(r.name.split(' ')[0])));
      const l = await machineLoad();
      loads.push(l);
      console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s; ${loadLine(l)}`);
      for (const r of rows) console.log(`  ${r.pass ? 'pass' : 'MISS'} ${r.name}: ${r.ratio === null ? fmt(r.mo) + ' ' + r.unit : r.ratio.toFixed(2) + 'x'} ${r.note}`);
    } catch (err) {
      results.push({ name: `${ids.join('+')} ${group.file}`, error: String(err?.stack ?? err) });
      console.log(`ERROR: ${err?.stack ?? err}`);
    } finally {
      cleanup();
    }
  }
  results.sort((a, b) => parseInt(a.name) - parseInt(b.name));
  const cal = loads.map((l) => l.calibration);
  console.log(`\n${table(results)}\n\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`machine: loadavg ${loads.map((l) => l.load1.toFixed(1)).join(' → ')}; calibration loop ${(Math.min(...cal) / 1000).toFixed(0)}k–${(Math.max(...cal) / 1000).toFixed(0)}k iterations/ms (start ${(cal[0] / 1000).toFixed(0)}k, end ${(cal.at(-1) / 1000).toFixed(0)}k)`);
  for (const r of results) if (r.note) console.log(`- ${r.name}: ${r.note}`);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ results, loads }, null, 2));
} finally {
  cleanup();
}
