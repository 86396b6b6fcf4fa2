// #3 Backlog drain: BENCH_DRAIN_EVENTS (20,000) events queued in the outbox while the
// endpoint was away (written through the daemon's own SqliteOutbox), then the daemon
// starts with the endpoint up: events per second from the first to the last event the
// endpoint accepts, every queued event exactly once (counted by id at the endpoint),
// and the outbox file empty afterwards. Baseline: the bare undici loop at the same
// concurrency (SEND_CONCURRENCY, default 4) posting the same 20,000 messages to the
// same endpoint, timed the same way.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { daemonEnv, knob, removeDir, result, spawnDaemon, startEndpointChild, stop, exited, tempDir, track, until, ROOT } from './lib.mjs';
import { outboxDepth, prefill, writeMessages } from './messages.mjs';
import { postUrl } from './cpu-per-reading.mjs';

const MAX_BYTES = '512MiB';

/** Drains a prefilled outbox with the daemon; returns { rate, ms, duplicates, left, pid samples }. */
export async function drainOnce(endpoint, n, { onTick, countOnly } = {}) {
  const data = tempDir('drain');
  await prefill(data, n, 512 * 2 ** 20);
  await endpoint.reset();
  const concurrency = process.env.SEND_CONCURRENCY || '4';
  // INTERVAL 1h: the one reading taken at start (READY needs it) is the only new event.
  const daemon = spawnDaemon(daemonEnv(endpoint.url, data, { INTERVAL: '1h', OUTBOX_MAX_BYTES: MAX_BYTES, SEND_CONCURRENCY: concurrency }));
  const s = await until(async () => {
    if (daemon.exitCode !== null) throw new Error(`daemon exited (${daemon.exitCode}): ${daemon.output.slice(-500)}`);
    onTick?.(daemon);
    const st = await endpoint.stats();
    const got = countOnly ? (st.bySource[countOnly] ?? 0) : st.unique;
    return got >= n + 1 ? st : null;
  }, 900_000, `${n} events at the endpoint`, 100);
  const code = await stop(daemon, 30_000);
  const left = await outboxDepth(data);
  removeDir(data);
  if (code !== 0) throw new Error(`daemon exit code ${code}: ${daemon.output.slice(-500)}`);
  return { rate: (s.accepted / (s.lastAt - s.firstAt)) * 1000, ms: s.lastAt - s.firstAt, duplicates: s.duplicates, left };
}

export async function bareDrain(endpoint, messagesFile, n) {
  await endpoint.reset();
  const concurrency = process.env.SEND_CONCURRENCY || '4';
  const loop = track(spawn(process.execPath, [join(ROOT, 'bench/bare-loop.mjs'), postUrl(endpoint.url), messagesFile, concurrency, '0'], { stdio: ['ignore', 'ignore', 'inherit'] }));
  const code = await exited(loop, 900_000);
  const s = await endpoint.stats();
  if (code !== 0 || s.unique !== n) throw new Error(`bare loop: exit ${code}, ${s.unique}/${n} events`);
  return { rate: (s.accepted / (s.lastAt - s.firstAt)) * 1000 };
}

export async function run() {
  const runs = knob('BENCH_RUNS', 3);
  const n = knob('BENCH_DRAIN_EVENTS', 20_000, 5_000);
  const endpoint = await startEndpointChild();
  const msgDir = tempDir('drain-msg');
  const { records } = await import('./messages.mjs');
  const messages = writeMessages(msgDir, records(n));
  const ours = [];
  const base = [];
  const problems = [];
  for (let i = 0; i < runs; i++) {
    const o = await drainOnce(endpoint, n);
    if (o.duplicates > 0 || o.left > 0) problems.push(`run ${i + 1}: ${o.duplicates} duplicates, ${o.left} left in the outbox`);
    ours.push(o.rate);
    base.push((await bareDrain(endpoint, messages, n)).rate);
  }
  await endpoint.close();
  removeDir(msgDir);
  return result({
    name: `3 drain ${n} events, c=${process.env.SEND_CONCURRENCY || 4}`,
    unit: 'ev/s',
    ours,
    base,
    target: '>= 0.8x, exactly once',
    pass: (r) => r >= 0.8 && problems.length === 0,
    note: problems.length ? problems.join('; ') : `every event once, outbox empty after each run`,
  });
}
