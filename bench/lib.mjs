// Shared pieces of the benchmarks: processes, /proc readings, the endpoint
// child, temp dirs, statistics. Everything listens on 127.0.0.1 only, every
// wait is bounded, and every process and temp dir is cleaned up by cleanup().
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist/cli/main.js');
/** The daemon to run: BENCH_CLI (another build, for a before/after in one session) or this tree's. */
const daemonCli = () => process.env.BENCH_CLI || CLI;
export const QUICK = process.env.BENCH_QUICK === '1';
const CLK_TCK = 100; // USER_HZ on Linux
const PAGE = 4096;

const children = new Set();
const dirs = new Set();

export function now() {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A number from the environment, or the quick / full default. */
export function knob(name, full, quick = full) {
  const v = process.env[name];
  return v !== undefined && v !== '' ? Number(v) : QUICK ? quick : full;
}

export function tempDir(prefix) {
  const base = process.env.BENCH_DIR || tmpdir();
  const path = mkdtempSync(join(base, `dht-bench-${prefix}-`));
  dirs.add(path);
  return path;
}

export function removeDir(path) {
  rmSync(path, { recursive: true, force: true });
  dirs.delete(path);
}

/** The filesystem type of a path (statfs magic), for RESULTS.md. */
export function fsType(path) {
  const magic = { 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };
  const t = statfsSync(path).type;
  return magic[t] ?? `0x${t.toString(16)}`;
}

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of [...dirs]) removeDir(d);
}

/** Resolves with the exit code; SIGKILLs after timeoutMs. */
export function exited(child, timeoutMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

export async function stop(child, timeoutMs = 15_000) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  return exited(child, timeoutMs);
}

/** RSS in bytes (VmRSS). */
export function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** user + system CPU in ms. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

export function ioBytes(pid) {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (k) => Number(new RegExp(`${k}: (\\d+)`).exec(io)?.[1] ?? NaN);
  return { write: get('write_bytes'), cancelled: get('cancelled_write_bytes') };
}

export { PAGE };

/**
 * The one environment every process of the bench starts with, daemons and baselines alike:
 * nothing inherited from the runner. An inherited NODE_EXTRA_CA_CERTS, for one, added 78 ms
 * to start-up and 1.8 MiB of RSS to whichever side inherited it (issue 17).
 */
export function cleanEnv(extra = {}) {
  return { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8', ...extra };
}

/** `node args...` with the clean environment: every baseline process. */
export function spawnNode(args, { env = {}, stdio = ['ignore', 'ignore', 'inherit'] } = {}) {
  return track(spawn(process.execPath, args, { env: cleanEnv(env), stdio }));
}

/**
 * A counting HTTP server in a child process: 'receiver' (receiver-child.mjs, node http, 202,
 * empty body: the drains' receiver) or 'endpoint' (endpoint-child.mjs, the project's own).
 * stats() counts accepted events by id and gives the child's CPU; missing(ids) counts the ids
 * that never arrived.
 */
export async function startCounter(kind = 'receiver') {
  const file = kind === 'endpoint' ? 'bench/endpoint-child.mjs' : 'bench/receiver-child.mjs';
  const child = track(fork(join(ROOT, file), ['0'], { env: cleanEnv(), execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const replies = [];
  const waiting = [];
  child.on('message', (m) => {
    const w = waiting.findIndex((x) => x.reply === m.reply);
    if (w >= 0) waiting.splice(w, 1)[0].resolve(m);
    else replies.push(m);
  });
  const ask = (reply, msg) =>
    new Promise((resolve, reject) => {
      const i = replies.findIndex((x) => x.reply === reply);
      if (i >= 0) return resolve(replies.splice(i, 1)[0]);
      const timer = setTimeout(() => reject(new Error(`${kind} child: no ${reply} within 20 s`)), 20_000);
      waiting.push({ reply, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      if (msg) child.send(msg);
    });
  const ready = await ask('ready');
  return {
    kind,
    url: ready.url,
    port: ready.port,
    pid: child.pid,
    stats: () => ask('stats', { cmd: 'stats' }),
    missing: async (ids) => (await ask('missing', { cmd: 'missing', ids })).missing,
    reset: () => ask('reset', { cmd: 'reset' }),
    close: async () => {
      if (child.connected) child.send({ cmd: 'close' });
      await exited(child, 5000);
    },
  };
}

/** The seed's variables aimed at the endpoint (test/helpers/daemon-process.ts seedEnv). */
export function daemonEnv(endpointUrl, dataDir, extra = {}) {
  return cleanEnv({
    ENDPOINT: `${endpointUrl}/v1/foo`,
    APP_ID: 'dejanb',
    DEVICE_ID: 'pi',
    DEVICE_PASSWORD: 'foobar',
    GEOLOCATION: '{"lat": "44.8166", "lon": "20.4721"}',
    SENSOR_TYPE: 'sim',
    INTERVAL: '2s',
    DATA_DIR: dataDir,
    // The status server on, as by default (port 0: side-by-side daemons never clash).
    STATUS_LISTEN: '127.0.0.1:0',
    DRAIN_JITTER: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

/**
 * The node flags of the executable's shebang: the daemon as shipped runs with them.
 * BENCH_DAEMON_FLAGS='--flag …' (or 'none') replaces them, to measure other flags.
 */
export function shippedNodeFlags() {
  const override = process.env.BENCH_DAEMON_FLAGS;
  if (override !== undefined && override !== '') return override === 'none' ? [] : override.split(' ').filter(Boolean);
  const first = readFileSync(daemonCli(), 'utf8').split('\n')[0];
  const match = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  if (!match) throw new Error(`${daemonCli()}: unexpected shebang ${first}`);
  return match[1].split(' ').filter(Boolean);
}

/** BENCH_NODE_ARGS (space-separated) adds node flags, e.g. --cpu-prof, for profiling a scenario. */
export function spawnDaemon(env, nodeArgs = []) {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...shippedNodeFlags(), ...extra, ...nodeArgs, daemonCli(), 'run'];
  const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.output = '';
  child.stdout.on('data', (d) => (child.output += d));
  child.stderr.on('data', (d) => (child.output += d));
  return child;
}

/** Polls until predicate() is truthy; throws after timeoutMs. */
export async function until(predicate, timeoutMs, what, pollMs = 50) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const spreadOf = (xs) => ({ min: Math.min(...xs), max: Math.max(...xs) });

/**
 * One scenario's result. ours[] and base[] are per-run figures in `unit`. When the runs were
 * paired (ours[i] and base[i] measured one after the other), ratios[] are the per-pair
 * ratios and `ratio` is their median; otherwise ratio is median(ours)/median(base), or the
 * given `ratio` (null: an absolute target).
 */
export function result({ name, unit, ours, base, target, pass, ratio, paired = false, note = '', baseUnit = unit }) {
  const mo = median(ours);
  const mb = base && base.length ? median(base) : NaN;
  const ratios = paired ? ours.map((o, i) => o / base[i]) : [];
  const r = ratio === null ? null : (ratio ?? (paired ? median(ratios) : mo / mb));
  return { name, unit, baseUnit, ours, base: base ?? [], ratios, mo, mb, ratio: r, target, pass: pass(r, mo, mb), note };
}

/**
 * How busy the machine is: the 1-minute load average and the rate of a fixed CPU loop in a
 * fresh node (iterations per ms; a lower rate means less CPU for the bench).
 */
export async function machineLoad() {
  const loop = "let n=0,x=0;const t=performance.now();while(performance.now()-t<1000){for(let i=0;i<1e4;i++)x=(x*31+i)|0;n++}process.stdout.write(String(n*1e4/1000))";
  const child = spawnNode(['-e', loop], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await exited(child, 10_000);
  return { load1: loadavg()[0], calibration: Number(out) };
}
