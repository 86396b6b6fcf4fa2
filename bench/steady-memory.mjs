// #1 Steady-state memory: RSS of the daemon sampling the simulator every 2 s and
// delivering to the local endpoint, after BENCH_STEADY_S (120 s; 20 s with
// BENCH_QUICK=1), against an idle `node` running an empty HTTP server for the
// same time. The runs go side by side (2 s readings cost next to no CPU), so
// the scenario takes one steady-state period whatever the repeat count.
import { spawn } from 'node:child_process';
import { daemonEnv, knob, removeDir, rss, sleep, spawnDaemon, startEndpointChild, stop, tempDir, track, result } from './lib.mjs';

const EMPTY_SERVER = "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1')";

export async function run() {
  const seconds = knob('BENCH_STEADY_S', 120, 20);
  const runs = knob('BENCH_RUNS', 3);
  const endpoint = await startEndpointChild();
  const dirs = Array.from({ length: runs }, () => tempDir('steady'));
  const daemons = dirs.map((dir) => spawnDaemon(daemonEnv(endpoint.url, dir, { INTERVAL: '2s' })));
  const bases = Array.from({ length: runs }, () => track(spawn(process.execPath, ['-e', EMPTY_SERVER], { stdio: 'ignore' })));
  await sleep(seconds * 1000);
  for (const d of daemons) if (d.exitCode !== null) throw new Error(`daemon exited early: ${d.output.slice(-500)}`);
  const ours = daemons.map((d) => rss(d.pid) / 2 ** 20);
  const base = bases.map((b) => rss(b.pid) / 2 ** 20);
  const { accepted } = await endpoint.stats();
  await Promise.all([...daemons, ...bases].map((c) => stop(c)));
  await endpoint.close();
  dirs.forEach(removeDir);
  return result({
    name: `1 steady RSS after ${seconds}s @2s`,
    unit: 'MiB',
    ours,
    base,
    target: '<= 1.4x',
    pass: (r) => r <= 1.4,
    note: `${accepted} readings delivered by ${runs} daemons`,
  });
}
