// #3 Backlog drain, and #2 CPU per delivered event. BENCH_DRAIN_EVENTS (20,000) events
// queued in the outbox while the endpoint was away (written through the daemon's own
// SqliteOutbox), then the daemon starts with the receiver up. Baseline: the bare undici
// loop (bare-loop.mjs) at the same concurrency posting the same kind of messages to the
// same receiver. Both sides post to the cheap receiver (receiver-child.mjs), run with the
// same clean environment, and are measured the same way, in pairs one right after the
// other (the order alternating), so that each pair's ratio sees the same machine:
//   rate      accepted ÷ (last − first arrival at the receiver)
//   CPU/event the sender's user+system CPU (/proc/PID/stat) ÷ events accepted, between the
//             100 ms polls where 10 % and 95 % of the events had arrived (start-up and
//             JIT warm-up excluded on both sides)
// Every drain checks exactly-once: every queued id arrived (0 missing), none twice
// (0 duplicates), and the daemon's outbox file is empty after SIGTERM. The receiver's and
// this runner's CPU over the same window are reported, to show neither was the bottleneck.
import { join } from 'node:path';
import { cpuMs, daemonEnv, exited, knob, removeDir, result, spawnDaemon, spawnNode, startCounter, stop, tempDir, until, ROOT } from './lib.mjs';
import { AUTHORIZATION, outboxDepth, prefill, records, writeMessages } from './messages.mjs';

const MAX_BYTES = 512 * 2 ** 20;
const POLL_MS = 100;

export function postUrl(endpointUrl) {
  const url = new URL(`${endpointUrl}/v1/foo`);
  url.searchParams.set('data_schema', 'urn:drogue:iot:temperature');
  return url.href;
}

/** One poll: the sender's CPU, the receiver's count and CPU, this runner's CPU. */
async function sample(counter, pid, countOnly) {
  const st = await counter.stats();
  const u = process.cpuUsage();
  let cpu = NaN;
  try {
    cpu = cpuMs(pid);
  } catch {
    // the bare loop exited between two polls: this sample has no sender CPU
  }
  return { t: performance.now(), cpu, got: countOnly ? (st.bySource[countOnly] ?? 0) : st.accepted, rcpu: st.cpuMs, hcpu: (u.user + u.system) / 1000, st };
}

/** CPU per event and the receiver's / runner's share of a core between 10 % and 95 % of n. */
function window(samples, n) {
  const ok = samples.filter((s) => Number.isFinite(s.cpu));
  const a = ok.find((s) => s.got >= 0.1 * n);
  const b = [...ok].reverse().find((s) => s.got <= 0.95 * n);
  if (!a || !b || b.got - a.got < 0.2 * n) return { cpuPerEventUs: NaN, receiverShare: NaN, runnerShare: NaN };
  const dt = b.t - a.t;
  return {
    cpuPerEventUs: ((b.cpu - a.cpu) * 1000) / (b.got - a.got),
    senderShare: (b.cpu - a.cpu) / dt,
    receiverShare: (b.rcpu - a.rcpu) / dt,
    runnerShare: (b.hcpu - a.hcpu) / dt,
  };
}

async function checkOnce(counter, ids, st, who) {
  const missing = await counter.missing(ids);
  return missing > 0 || st.duplicates > 0 ? `${who}: ${missing} missing, ${st.duplicates} duplicates` : null;
}

/**
 * Drains a prefilled outbox of n events with the daemon. `countOnly` counts one source only
 * (another daemon posts to the same receiver). Returns rate, CPU figures, and a problem or null.
 */
export async function drainOnce(counter, n, { concurrency = 4, env = {}, onTick, countOnly } = {}) {
  const data = tempDir('drain');
  const ids = (await prefill(data, n, MAX_BYTES)).map((r) => r.id);
  await counter.reset();
  // INTERVAL 1h: the one reading taken at start (READY needs it) is the only new event.
  const daemon = spawnDaemon(daemonEnv(counter.url, data, { INTERVAL: '1h', OUTBOX_MAX_BYTES: String(MAX_BYTES), SEND_CONCURRENCY: String(concurrency), ...env }));
  const samples = [];
  const last = await until(async () => {
    if (daemon.exitCode !== null) throw new Error(`daemon exited (${daemon.exitCode}): ${daemon.output.slice(-500)}`);
    onTick?.(daemon);
    const s = await sample(counter, daemon.pid, countOnly);
    samples.push(s);
    return s.got >= n + 1 ? s : null;
  }, 900_000, `${n} events at the receiver`, POLL_MS);
  const code = await stop(daemon, 30_000);
  const left = await outboxDepth(data);
  removeDir(data);
  if (code !== 0) throw new Error(`daemon exit code ${code}: ${daemon.output.slice(-500)}`);
  const st = last.st;
  let problem = await checkOnce(counter, ids, st, 'daemon');
  if (left > 0) problem = `${problem ?? 'daemon'}: ${left} left in the outbox`;
  return { rate: (st.accepted / (st.lastAt - st.firstAt)) * 1000, ...window(samples, n), problem };
}

/** Polls a loop process until it exits; returns its rate and CPU figures. */
async function watchLoop(counter, loop, n, who) {
  const samples = [];
  const done = exited(loop, 900_000);
  while (loop.exitCode === null && loop.signalCode === null) {
    samples.push(await sample(counter, loop.pid));
    await Promise.race([done, new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  const code = await done;
  const st = await counter.stats();
  if (code !== 0) throw new Error(`${who}: exit ${code}`);
  return { st, rate: (st.accepted / (st.lastAt - st.firstAt)) * 1000, ...window(samples, n) };
}

/** The bare undici loop posting `messages` (n of them, ids `ids`) once each. */
export async function bareOnce(counter, messages, ids, concurrency) {
  await counter.reset();
  const loop = spawnNode([join(ROOT, 'bench/bare-loop.mjs'), postUrl(counter.url), messages, String(concurrency), '0']);
  const r = await watchLoop(counter, loop, ids.length, 'bare loop');
  return { ...r, problem: await checkOnce(counter, ids, r.st, 'bare loop') };
}

/** The durable bare loop (durable-loop.mjs) draining a prefilled outbox of n events. */
export async function durableOnce(counter, n, concurrency) {
  const data = tempDir('durable');
  const ids = (await prefill(data, n, MAX_BYTES)).map((r) => r.id);
  await counter.reset();
  const loop = spawnNode([join(ROOT, 'bench/durable-loop.mjs'), postUrl(counter.url), data, String(concurrency)], { env: { BENCH_AUTHORIZATION: AUTHORIZATION } });
  const r = await watchLoop(counter, loop, n, 'durable loop');
  const left = await outboxDepth(data);
  removeDir(data);
  let problem = await checkOnce(counter, ids, r.st, 'durable loop');
  if (left > 0) problem = `${problem ?? 'durable loop'}: ${left} left in the file`;
  return { ...r, problem };
}

/** Paired drains: runs × (daemon, bare) at one concurrency, order alternating. */
export async function pairedDrains(counter, n, runs, { concurrency, env = {}, ours: oursOnce = () => drainOnce(counter, n, { concurrency, env }) }) {
  const msgDir = tempDir('drain-msg');
  const recs = records(n);
  const messages = writeMessages(msgDir, recs);
  const ids = recs.map((r) => r.id);
  const ours = [];
  const base = [];
  for (let i = 0; i < runs; i++) {
    const pair = [];
    for (const side of i % 2 ? ['bare', 'daemon'] : ['daemon', 'bare']) {
      pair[side === 'daemon' ? 0 : 1] = side === 'daemon' ? await oursOnce() : await bareOnce(counter, messages, ids, concurrency);
    }
    ours.push(pair[0]);
    base.push(pair[1]);
  }
  removeDir(msgDir);
  return { ours, base };
}

const pct = (x) => `${(x * 100).toFixed(0)}%`;

/** What the receiver and this runner used of a core while the daemons drained (max over runs). */
export function bottleneckNote(runs) {
  const max = (k) => Math.max(...runs.map((r) => r[k]).filter(Number.isFinite));
  return `receiver ≤ ${pct(max('receiverShare'))} of a core, runner ≤ ${pct(max('runnerShare'))}, sender ≤ ${pct(max('senderShare'))}`;
}

function drainResults(id, label, c, { ours, base }, min) {
  const problems = [...ours, ...base].map((r) => r.problem).filter(Boolean);
  return result({
    name: `${id} drain ${label}, c=${c}`,
    unit: 'ev/s',
    ours: ours.map((r) => r.rate),
    base: base.map((r) => r.rate),
    paired: true,
    target: `>= ${min}x, exactly once`,
    pass: (r) => r >= min && problems.length === 0,
    note: `${problems.length ? problems.join('; ') : 'every drain exactly once (0 missing, 0 duplicates, outbox empty)'}; ours: ${bottleneckNote(ours)}; bare loop: ${bottleneckNote(base)}`,
  });
}

function cpuResult(c, { ours, base }) {
  return result({
    name: `2 CPU per event in the drain, c=${c}`,
    unit: 'µs',
    ours: ours.map((r) => r.cpuPerEventUs),
    base: base.map((r) => r.cpuPerEventUs),
    paired: true,
    target: '<= 1.5x',
    pass: (r) => r <= 1.5,
    note: `sender CPU ÷ events accepted between 10 % and 95 % of each drain, in the same pairs as the drain row`,
  });
}

/** Rows 2 and 3: c=4 and c=16 against the cheap receiver. */
export async function run() {
  const runs = knob('BENCH_DRAIN_RUNS', 4, 2);
  const n = knob('BENCH_DRAIN_EVENTS', 20_000, 5_000);
  const counter = await startCounter('receiver');
  const out = [];
  for (const c of [4, 16]) {
    const pairs = await pairedDrains(counter, n, runs, { concurrency: c });
    out.push(drainResults('3', `${n} events`, c, pairs, 0.75));
    out.push(cpuResult(c, pairs));
  }
  await counter.close();
  return out;
}

/** Row 7: OUTBOX_SYNC_WINDOW=0 (every delete its own fdatasync), c=4, cheap receiver. */
export async function runWindow0() {
  const runs = knob('BENCH_DRAIN0_RUNS', 3, 2);
  const n = knob('BENCH_DRAIN0_EVENTS', 2_000, 1_000);
  const counter = await startCounter('receiver');
  const pairs = await pairedDrains(counter, n, runs, { concurrency: 4, env: { OUTBOX_SYNC_WINDOW: '0' } });
  await counter.close();
  return [drainResults('7', `${n} events, OUTBOX_SYNC_WINDOW=0`, 4, pairs, 0.3)];
}

/** Row 8: the project's own endpoint as the receiver, for reference (its CPU is the limit). */
export async function runProjectEndpoint() {
  const runs = knob('BENCH_ENDPOINT_RUNS', 2, 1);
  const n = knob('BENCH_ENDPOINT_EVENTS', 10_000, 5_000);
  const counter = await startCounter('endpoint');
  const pairs = await pairedDrains(counter, n, runs, { concurrency: 4 });
  await counter.close();
  const r = drainResults('8', `${n} events to the project endpoint (reference)`, 4, pairs, 0);
  r.target = 'none (receiver-bound)';
  r.pass = [...pairs.ours, ...pairs.base].every((x) => !x.problem);
  return [r];
}

/** Row 9: the durable bare loop against the bare loop, c=4: the limit for a durable daemon. */
export async function runDurableLoop() {
  const runs = knob('BENCH_DURABLE_RUNS', 2, 1);
  const n = knob('BENCH_DRAIN_EVENTS', 20_000, 5_000);
  const counter = await startCounter('receiver');
  const pairs = await pairedDrains(counter, n, runs, { concurrency: 4, ours: () => durableOnce(counter, n, 4) });
  await counter.close();
  const r = drainResults('9', `${n} events, durable bare loop (the limit; reference)`, 4, pairs, 0);
  r.target = 'none (reference)';
  r.pass = [...pairs.ours, ...pairs.base].every((x) => !x.problem);
  return [r, { ...cpuResult(4, pairs), name: '9 CPU per event, durable bare loop (reference), c=4', target: 'none (reference)', pass: true }];
}
