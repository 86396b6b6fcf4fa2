// #5 Storage writes per delivered reading: /proc/PID/io write_bytes of the daemon
// (bytes it sent towards the block layer: dirtied page-cache pages, so a 100-byte
// commit that is fsynced costs a whole 4 KiB page) divided by the readings the
// endpoint accepted, over at least BENCH_WRITES_READINGS (1,000) readings with the
// endpoint up, after a warm-up. The data dir must be on a real disk filesystem
// (tmpfs never reaches the block layer and would read 0): its type is reported.
// Absolute target (no baseline): <= 4 KiB.
import { daemonEnv, fsType, ioBytes, knob, removeDir, result, sleep, spawnDaemon, startEndpointChild, stop, tempDir, until } from './lib.mjs';

const delivered = (stats, i) => stats.bySource[`drogue://dejanb/pi${i}`] ?? 0;

export async function run() {
  const runs = knob('BENCH_RUNS', 3);
  const readings = knob('BENCH_WRITES_READINGS', 1000, 300);
  const interval = process.env.BENCH_WRITES_INTERVAL || '20ms';
  const endpoint = await startEndpointChild();
  const ours = [];
  let fs = '';
  // Side by side: each daemon has its own file; write_bytes is per process.
  const dirs = Array.from({ length: runs }, () => tempDir('writes'));
  fs = fsType(dirs[0]);
  if (fs === 'tmpfs') throw new Error('the data dir is on tmpfs: set BENCH_DIR to a directory on a disk filesystem');
  const daemons = dirs.map((dir, i) => spawnDaemon(daemonEnv(endpoint.url, dir, { INTERVAL: interval, DEVICE_ID: `pi${i}` })));
  await sleep(2000); // warm-up: file created, first checkpoint behind
  const start = await endpoint.stats();
  const io0 = daemons.map((d) => ioBytes(d.pid).write);
  await until(async () => {
    for (const d of daemons) if (d.exitCode !== null) throw new Error(`daemon exited: ${d.output.slice(-500)}`);
    const now = await endpoint.stats();
    return daemons.every((_, i) => delivered(now, i) - delivered(start, i) >= readings);
  }, 600_000, `${readings * runs} readings`, 200);
  const io1 = daemons.map((d) => ioBytes(d.pid).write);
  const end = await endpoint.stats();
  const counts = daemons.map((_, i) => delivered(end, i) - delivered(start, i));
  for (let i = 0; i < runs; i++) ours.push((io1[i] - io0[i]) / counts[i] / 1024);
  await Promise.all(daemons.map((d) => stop(d)));
  await endpoint.close();
  dirs.forEach(removeDir);
  return result({
    name: `5 disk writes per reading @${interval}`,
    unit: 'KiB',
    ours,
    base: [],
    ratio: null,
    target: '<= 4 KiB',
    pass: (_r, mo) => mo <= 4,
    note: `data dir on ${fs}; ${counts.join('/')} readings, ${runs} daemons side by side`,
  });
}
