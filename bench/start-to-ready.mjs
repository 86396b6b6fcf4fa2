// #4 Start to READY: from spawning the daemon (simulator) to READY=1 arriving on a
// real NOTIFY_SOCKET (a unix datagram socket bound with unix-dgram, as systemd and
// `podman --sdnotify=container` provide), against spawning `node -e ''` until it
// exits, both with the same clean environment. Paired runs, one right after the other,
// so drift on the shared machine hits both; the ratio is the median of the pairs'.
import { join } from 'node:path';
import { cpuMs, daemonEnv, exited, knob, median, now, removeDir, result, spawnDaemon, spawnNode, startCounter, stop, tempDir } from './lib.mjs';
import { loadUnixDgram } from '../dist/systemd/unix-dgram.js';

const CPU_AT_EXIT = "process.on('exit', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000)); })";

async function listen(path) {
  const addon = await loadUnixDgram();
  const socket = addon.createSocket('unix_dgram');
  let waiter = null;
  socket.on('message', (msg) => {
    if (msg && msg.toString('utf8').split('\n').includes('READY=1')) waiter?.(now());
  });
  socket.bind(path);
  return {
    next: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no READY=1 within ${timeoutMs} ms`)), timeoutMs);
        waiter = (t) => {
          clearTimeout(timer);
          waiter = null;
          resolve(t);
        };
      }),
    close: () => socket.close(),
  };
}

export async function run() {
  const runs = knob('BENCH_READY_RUNS', 9, 5);
  const endpoint = await startCounter('receiver');
  const sockDir = tempDir('notify');
  const path = join(sockDir, 'notify.sock');
  const listener = await listen(path);
  const ours = [];
  const base = [];
  const oursCpu = [];
  const baseCpu = [];
  const daemonOnce = async () => {
    const data = tempDir('ready');
    const ready = listener.next(30_000);
    const t0 = now();
    const daemon = spawnDaemon(daemonEnv(endpoint.url, data, { INTERVAL: '2s', NOTIFY_SOCKET: path }));
    try {
      ours.push((await ready) - t0);
      oursCpu.push(cpuMs(daemon.pid));
    } catch (err) {
      throw new Error(`${err.message}: ${daemon.output.slice(-500)}`);
    }
    await stop(daemon);
    removeDir(data);
  };
  const bareOnce = async () => {
    const t1 = now();
    await exited(spawnNode(['-e', ''], { stdio: 'ignore' }));
    base.push(now() - t1);
    // The CPU of the same empty script, as the process reports it at exit (not timed).
    const cpu = spawnNode(['-e', CPU_AT_EXIT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    cpu.stdout.on('data', (d) => (out += d));
    await exited(cpu);
    baseCpu.push(Number(out));
  };
  // Pairs, the order alternating, so drift on the shared machine hits both sides alike.
  for (let i = 0; i < runs; i++) {
    if (i % 2) await bareOnce().then(daemonOnce);
    else await daemonOnce().then(bareOnce);
  }
  listener.close();
  await endpoint.close();
  removeDir(sockDir);
  const cpuRatios = oursCpu.map((c, i) => c / baseCpu[i]);
  return [result({
    name: '4 start to READY=1',
    unit: 'ms',
    ours,
    base,
    paired: true,
    target: '<= 4x',
    pass: (r) => r <= 4,
    note: `CPU (user+sys) at READY=1 ${median(oursCpu).toFixed(0)} ms against ${median(baseCpu).toFixed(0)} ms for node -e '', ${median(cpuRatios).toFixed(2)}x (${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)}; 10 ms clock ticks)`,
  })];
}
