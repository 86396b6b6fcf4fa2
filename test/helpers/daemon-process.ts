// Runs the built daemon (dist/cli/main.js) as a real process for end-to-end tests,
// collecting its JSON log lines. `npm test` builds dist/ first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SEED_ENV } from './seed.js';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export class DaemonProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private exitPromise: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>, options: { cwd?: string; wrap?: string[] } = {}) {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const command = options.wrap ? options.wrap[0] ?? 'node' : process.execPath;
    const argv = options.wrap ? [...options.wrap.slice(1), process.execPath, CLI, ...args] : [CLI, ...args];
    this.child = spawn(command, argv, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exitPromise = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  logs(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  }

  async waitForLog(predicate: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.logs().find(predicate);
      if (found) return found;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`log line not seen within ${timeoutMs} ms; exit=${this.child.exitCode}; stdout tail:\n${this.stdout.slice(-2000)}\nstderr:\n${this.stderr.slice(-1000)}`);
  }

  /** Sends a signal and waits (bounded) for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited(timeoutMs);
  }

  async exited(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`daemon did not exit within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The seed's variables (DESIGN §3) aimed at a local endpoint, with the simulator sampling fast. */
export function seedEnv(endpointUrl: string, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...SEED_ENV,
    ENDPOINT: `${endpointUrl}/v1/foo`,
    SENSOR_TYPE: 'sim',
    INTERVAL: '100ms',
    DATA_DIR: dataDir,
    STATUS_LISTEN: '',
    DRAIN_JITTER: '0',
    RETRY_BASE: '50ms',
    RETRY_MAX: '500ms',
    LOG_LEVEL: 'debug',
    // The test machine's own timesyncd state must not hold the events back (README "Time").
    TIME_SYNC_WAIT: '0',
    ...extra,
  };
}
