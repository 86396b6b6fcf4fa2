// #6 Memory under a long backlog: BENCH_BACKLOG_EVENTS (200,000) events in the outbox
// (written through the daemon's own SqliteOutbox), the daemon started with the cheap
// receiver up: its RSS sampled every 100 ms from start until the last event is delivered.
// Reported: the peak, against the steady-state RSS (scenario 1's median when the runner
// has it, otherwise a steady daemon measured side by side). Target: peak no more than
// 10 MB above the steady state. Every drain is checked for exactly-once, as in #3.
import { daemonEnv, knob, result, rss, spawnDaemon, startCounter, stop, tempDir } from './lib.mjs';
import { drainOnce } from './backlog-drain.mjs';

/** The target is in MB, the figures in MiB. */
const TEN_MB_IN_MIB = 10e6 / 2 ** 20;

export async function run({ steadyMiB } = {}) {
  const runs = knob('BENCH_BACKLOG_RUNS', 1, 1);
  const n = knob('BENCH_BACKLOG_EVENTS', 200_000, 50_000);
  const counter = await startCounter('receiver');
  const peaks = [];
  const rates = [];
  const problems = [];
  let steady = steadyMiB;
  for (let i = 0; i < runs; i++) {
    const side = steady === undefined ? spawnDaemon(daemonEnv(counter.url, tempDir('steady6'), { INTERVAL: '2s', DEVICE_ID: 'steady' })) : null;
    let peak = 0;
    const o = await drainOnce(counter, n, {
      countOnly: 'drogue://dejanb/pi',
      onTick: (d) => {
        peak = Math.max(peak, rss(d.pid));
      },
    });
    if (side) {
      steady = rss(side.pid) / 2 ** 20;
      await stop(side);
    }
    if (o.problem) problems.push(`run ${i + 1}: ${o.problem}`);
    peaks.push(peak / 2 ** 20);
    rates.push(o.rate.toFixed(0));
  }
  await counter.close();
  return [result({
    name: `6 peak RSS, ${n} queued`,
    unit: 'MiB',
    ours: peaks,
    base: [steady],
    ratio: null,
    target: '<= steady + 10 MB',
    pass: (_r, mo, mb) => mo - mb <= TEN_MB_IN_MIB && problems.length === 0,
    note: `steady ${steady.toFixed(1)} MiB${steadyMiB === undefined ? ' (side by side)' : ' (scenario 1)'}, peak - steady ${(Math.max(...peaks) - steady).toFixed(1)} MiB at most (10 MB = ${TEN_MB_IN_MIB.toFixed(2)} MiB); drained at ${rates.join('/')} ev/s; ${problems.length ? problems.join('; ') : 'every event once, outbox empty'}`,
  })];
}
