// #2 CPU per delivered reading: the daemon's user+system CPU over a window
// divided by the readings the endpoint accepted in that window, with the
// simulator at a fast interval (BENCH_CPU_INTERVAL, default 10ms, the least the config allows), against a
// bare undici loop posting the same bytes to the same endpoint one at a time at
// the same interval (the same work pattern: one POST per tick). The unpaced
// loop (as fast as it goes) is reported in the note for reference.
// Both are measured from outside (/proc/PID/stat) after a warm-up, so process
// start-up is not counted in either.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuMs, daemonEnv, knob, median, removeDir, result, sleep, spawnDaemon, startEndpointChild, stop, tempDir, track, until, ROOT } from './lib.mjs';
import { records, writeMessages } from './messages.mjs';

function parseDuration(text) {
  const m = /^(\d+)(ms|s)$/.exec(text);
  if (!m) throw new Error(`BENCH_CPU_INTERVAL: expected e.g. 10ms or 1s (got ${text})`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

export function postUrl(endpointUrl) {
  const url = new URL(`${endpointUrl}/v1/foo`);
  url.searchParams.set('data_schema', 'urn:drogue:iot:temperature');
  return url.href;
}

async function measure(endpoint, child, warmupEvents, windowMs) {
  const start0 = (await endpoint.stats()).accepted;
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}): ${(child.output ?? '').slice(-500)}`);
    return (await endpoint.stats()).accepted >= start0 + warmupEvents;
  }, 30_000, 'warm-up events');
  const a = await endpoint.stats();
  const c0 = cpuMs(child.pid);
  await sleep(windowMs);
  const c1 = cpuMs(child.pid);
  const b = await endpoint.stats();
  const delivered = b.accepted - a.accepted;
  return { perReadingUs: ((c1 - c0) * 1000) / delivered, delivered, rate: delivered / (windowMs / 1000) };
}

function bareLoop(endpoint, messages, windowMs, intervalMs) {
  const args = [join(ROOT, 'bench/bare-loop.mjs'), postUrl(endpoint.url), messages, '1', String(windowMs / 1000 + 5), String(intervalMs)];
  return track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] }));
}

export async function run() {
  const runs = knob('BENCH_RUNS', 3);
  const windowMs = knob('BENCH_CPU_WINDOW_S', 15, 6) * 1000;
  const interval = process.env.BENCH_CPU_INTERVAL || '10ms';
  const endpoint = await startEndpointChild();
  const ours = [];
  const base = [];
  const rates = [];
  const tights = [];
  const intervalMs = parseDuration(interval);
  const dir = tempDir('cpu-msg');
  const messages = writeMessages(dir, records(500));
  for (let i = 0; i < runs; i++) {
    const data = tempDir('cpu');
    const daemon = spawnDaemon(daemonEnv(endpoint.url, data, { INTERVAL: interval }));
    const o = await measure(endpoint, daemon, 100, windowMs);
    await stop(daemon);
    removeDir(data);
    const paced = bareLoop(endpoint, messages, windowMs, intervalMs);
    const b = await measure(endpoint, paced, 100, windowMs);
    await stop(paced);
    const tight = bareLoop(endpoint, messages, windowMs / 3, 0);
    const t = await measure(endpoint, tight, 100, windowMs / 3);
    await stop(tight);
    ours.push(o.perReadingUs);
    base.push(b.perReadingUs);
    tights.push(t.perReadingUs);
    rates.push(`${o.rate.toFixed(0)}/s vs ${b.rate.toFixed(0)}/s`);
  }
  await endpoint.close();
  removeDir(dir);
  return result({
    name: `2 CPU per reading @${interval}`,
    unit: 'µs',
    ours,
    base,
    target: '<= 2x',
    pass: (r) => r <= 2,
    note: `rates ${rates.join(', ')}; unpaced loop ${tights.map((x) => x.toFixed(0)).join('/')} µs (ratio ${(median(ours) / median(tights)).toFixed(1)}x)`,
  });
}
