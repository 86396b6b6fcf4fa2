// Hardware-in-the-loop harness: a fake /sys/class/gpio that the REAL onoff code
// drives, with no Raspberry Pi.
//
// FakeSysfs.create() builds <tmp>/class/gpio with gpiochipN/{base,label,ngpio}
// and export/unexport, and starts fixtures/fake-kernel.mjs, which makes gpioN/
// {value,direction,edge,active_low} appear on export and go on unexport.
// spawn() runs a command in a private mount namespace where <tmp>/class is
// bind-mounted over /sys/class (`unshare -m`, root only), so code in that process
// sees the fake tree at the real path; the test reads the same files from outside
// through valuePath()/value(). Children cannot run TypeScript: they are .mjs files
// importing the compiled dist/ (npm run build).
//
// readOnly: export/unexport are plain files, no kernel runs, and the tree is
// mounted read-only: what a container with a read-only /sys looks like (EROFS).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES_DIR = path.join(here, 'fixtures');
export const PROJECT_ROOT = path.resolve(here, '..', '..');
export const DIST_DIR = path.join(PROJECT_ROOT, 'dist');

export interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
}

/** A Pi 4 on a 6.6+ kernel: BCM 17 is sysfs 529. */
export const PI4_CHIPS: readonly FakeChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];
/** A Pi 4 before kernel 6.6: BCM 17 is sysfs 17. */
export const PI4_LEGACY_CHIPS: readonly FakeChip[] = [
  { base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];
/** A Pi 5 on a 6.6+ kernel: the header is on the RP1, BCM 17 is sysfs 588. */
export const PI5_CHIPS: readonly FakeChip[] = [
  { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
  { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
  { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
  { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
  { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
];

/** gpioN/value as a process in the namespace sees it (only while the line is exported). */
export function namespaceValuePath(sysfs: number): string {
  return `/sys/class/gpio/gpio${sysfs}/value`;
}

export interface FakeSysfsOptions {
  /** Default PI4_CHIPS. */
  chips?: readonly FakeChip[];
  readOnly?: boolean;
}

export type KernelEvent =
  | { kind: 'export' | 'unexport'; gpio: number }
  | { kind: 'rejected'; file: string; text: string; reason: string };

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface NamespaceSupport {
  ok: boolean;
  /** Why the namespace tests cannot run here (empty when ok). */
  reason: string;
}

let support: NamespaceSupport | undefined;

/** Whether this machine lets us bind-mount over /sys/class in a private mount namespace (probed once). */
export function namespaceSupport(): NamespaceSupport {
  support ??= probeNamespace();
  return support;
}

function probeNamespace(): NamespaceSupport {
  if (process.platform !== 'linux') return { ok: false, reason: 'mount namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'unshare -m and mount --bind need root' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hil-probe-'));
  try {
    writeFileSync(path.join(dir, 'hil-probe'), '');
    const probe = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', MOUNT_RO + ' && test -e /sys/class/hil-probe', 'sh', dir],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (probe.status === 0) return { ok: true, reason: '' };
    const why = probe.error?.message ?? (probe.stderr.trim() || `exit ${String(probe.status ?? probe.signal)}`);
    return { ok: false, reason: `cannot bind-mount over /sys/class in a mount namespace: ${why}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MOUNT_RW = 'mount --bind "$1" /sys/class';
const MOUNT_RO = `${MOUNT_RW} && mount -o remount,bind,ro /sys/class`;
const MOUNT_FAILED = 97;

export class FakeSysfs {
  private readonly children = new Set<NamespaceProcess>();

  private constructor(
    /** The temp dir holding everything. */
    readonly dir: string,
    readonly chips: readonly FakeChip[],
    readonly readOnly: boolean,
    /** What the fake kernel did, in order (export, unexport, rejected writes). */
    readonly events: KernelEvent[],
    private readonly kernel: ChildProcess | undefined,
  ) {}

  static async create(options: FakeSysfsOptions = {}): Promise<FakeSysfs> {
    const chips = options.chips ?? PI4_CHIPS;
    const readOnly = options.readOnly ?? false;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-sysfs-'));
    const gpioDir = path.join(dir, 'class', 'gpio');
    mkdirSync(gpioDir, { recursive: true });
    for (const chip of chips) {
      const chipDir = path.join(gpioDir, `gpiochip${chip.base}`);
      mkdirSync(chipDir);
      writeFileSync(path.join(chipDir, 'base'), `${chip.base}\n`);
      writeFileSync(path.join(chipDir, 'ngpio'), `${chip.ngpio}\n`);
      writeFileSync(path.join(chipDir, 'label'), `${chip.label}\n`);
    }
    const events: KernelEvent[] = [];
    if (readOnly) {
      for (const file of ['export', 'unexport']) writeFileSync(path.join(gpioDir, file), '');
      return new FakeSysfs(dir, chips, true, events, undefined);
    }
    for (const file of ['export', 'unexport']) execFileSync('mkfifo', ['-m', '0200', path.join(gpioDir, file)]);
    try {
      return new FakeSysfs(dir, chips, false, events, await startKernel(dir, events));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** What gets mounted over /sys/class. */
  get classDir(): string {
    return path.join(this.dir, 'class');
  }

  get gpioDir(): string {
    return path.join(this.dir, 'class', 'gpio');
  }

  /** gpioN/value as the test sees it; inside the namespace it is namespaceValuePath(sysfs). */
  valuePath(sysfs: number): string {
    return path.join(this.gpioDir, `gpio${sysfs}`, 'value');
  }

  isExported(sysfs: number): boolean {
    return existsSync(path.join(this.gpioDir, `gpio${sysfs}`));
  }

  /** The level in gpioN/value, or undefined while the line is not exported. */
  value(sysfs: number): 0 | 1 | undefined {
    try {
      return readFileSync(this.valuePath(sysfs), 'utf8').startsWith('1') ? 1 : 0;
    } catch {
      return undefined;
    }
  }

  /** gpioN/direction as the kernel would show it (high/low read back as out). */
  direction(sysfs: number): 'in' | 'out' | undefined {
    try {
      const text = readFileSync(path.join(this.gpioDir, `gpio${sysfs}`, 'direction'), 'utf8').trim();
      return text === 'in' ? 'in' : 'out';
    } catch {
      return undefined;
    }
  }

  /** Polls `check` until it holds; rejects naming `what` after `timeoutMs`. */
  async waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`fake sysfs: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Runs argv (e.g. [process.execPath, 'script.mjs']) with the fake tree over /sys/class.
   * Check namespaceSupport() first. stdin/stdout are pipes (see NamespaceProcess).
   */
  spawn(argv: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): NamespaceProcess {
    const mount = this.readOnly ? MOUNT_RO : MOUNT_RW;
    const script = `${mount} || exit ${MOUNT_FAILED}; shift; exec "$@"`;
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', this.classDir, ...argv], {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc = new NamespaceProcess(child);
    this.children.add(proc);
    void proc.exited.then(() => this.children.delete(proc));
    return proc;
  }

  /** Stops every child still running, the kernel, and removes the tree. */
  async close(): Promise<void> {
    await Promise.all([...this.children].map((c) => c.stop()));
    if (this.kernel && this.kernel.exitCode === null && this.kernel.signalCode === null) {
      const gone = new Promise((resolve) => this.kernel?.once('close', resolve));
      this.kernel.kill('SIGKILL');
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startKernel(dir: string, events: KernelEvent[]): Promise<ChildProcess> {
  const kernel = spawn(process.execPath, [path.join(FIXTURES_DIR, 'fake-kernel.mjs'), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    // onoff gives the kernel ~40 ms to answer an export: let ours go first under load.
    if (kernel.pid) os.setPriority(kernel.pid, -10);
  } catch {
    // not allowed here: the default priority usually answers in time
  }
  let stderr = '';
  kernel.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fake kernel did not start within 10 s')), 10_000);
      kernel.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`fake kernel exited: ${stderr}`));
      });
      onLines(kernel.stdout, (line) => {
        const event = JSON.parse(line) as KernelEvent | { kind: 'ready' };
        if (event.kind !== 'ready') events.push(event);
        else {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (err) {
    kernel.kill('SIGKILL');
    throw err;
  }
  return kernel;
}

/**
 * A process in the namespace. Its stdout is kept line by line; JSON lines can be
 * awaited in order (nextJson) or by content (waitForJson), and send() writes a
 * JSON line to its stdin: enough for a step-by-step protocol with a fixture.
 */
export class NamespaceProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<ExitInfo>;
  private stderrText = '';
  private cursor = 0;
  private readonly listeners = new Set<() => void>();
  private done = false;

  constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderrText += text));
    if (child.stdout) onLines(child.stdout, (line) => {
      this.lines.push(line);
      this.notify();
    });
    child.stdin?.on('error', () => {
      // the child exited first: its exit status says why
    });
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.done = true;
        this.notify();
        resolve({ code, signal, stdout: this.lines.join('\n'), stderr: this.stderr });
      });
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The next JSON line on stdout (other lines are skipped). */
  async nextJson<T = Record<string, unknown>>(timeoutMs = 10_000): Promise<T> {
    return this.waitUntil(timeoutMs, 'the next JSON line', () => {
      while (this.cursor < this.lines.length) {
        const parsed = parseJson(this.lines[this.cursor++] ?? '');
        if (parsed !== undefined) return { value: parsed as T };
      }
      return undefined;
    });
  }

  /** The first JSON line on stdout, ever, that `match` accepts. */
  async waitForJson<T = Record<string, unknown>>(match: (msg: T) => boolean, timeoutMs = 10_000): Promise<T> {
    return this.waitUntil(timeoutMs, 'a matching JSON line', () => {
      for (const line of this.lines) {
        const parsed = parseJson(line) as T | undefined;
        if (parsed !== undefined && match(parsed)) return { value: parsed };
      }
      return undefined;
    });
  }

  send(message: unknown): void {
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ExitInfo> {
    if (!this.done) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** Waits for exit, killing the child after `timeoutMs`. */
  async waitForExit(timeoutMs = 20_000): Promise<ExitInfo> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const info = await this.exited;
    clearTimeout(timer);
    if (info.code === MOUNT_FAILED) throw new Error(`could not mount the fake tree: ${info.stderr}`);
    return info;
  }

  private waitUntil<T>(timeoutMs: number, what: string, found: () => { value: T } | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const hit = found();
        if (hit) finish(() => resolve(hit.value));
        else if (this.done) finish(() => reject(new Error(`child exited before ${what}:\n${this.describe()}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.describe()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private describe(): string {
    return `stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`;
  }
}

function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) onLine(line);
    }
  });
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
