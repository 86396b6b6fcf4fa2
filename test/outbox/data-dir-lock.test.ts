// One daemon per DATA_DIR, in-process and across processes: the lock is the OS's, so it holds
// against another process, names its holder, and dies with a SIGKILLed one.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, DataDirLock, HOLDER_FILE, LOCK_FILE } from '../../src/outbox/data-dir-lock.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A child process that takes the lock, prints "locked" and waits to be killed. */
function holderProcess(dataDir: string): Promise<{ kill: () => Promise<void>; pid: number }> {
  const child = spawn(process.execPath, ['--import', join(fixtures, 'ts-loader.mjs'), join(fixtures, 'lock-child.mjs'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('lock child did not take the lock within 20 s'));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('locked')) return;
      clearTimeout(timer);
      resolve({ pid: child.pid ?? -1, kill: async () => void (child.kill('SIGKILL'), await exited) });
    });
  });
}

describe('DataDirLock', () => {
  it('refuses a second holder in the same process, and is free again once released', () => {
    const data = join(dir, 'data');
    const first = DataDirLock.acquire(data);
    expect(() => DataDirLock.acquire(data)).toThrow(DataDirInUseError);
    first.release();
    DataDirLock.acquire(data).release();
  });

  it('refuses while another process holds it, naming its pid; a SIGKILL frees it (no stale lock)', async () => {
    const data = join(dir, 'data');
    const holder = await holderProcess(data);
    try {
      let err: unknown;
      try {
        DataDirLock.acquire(data).release();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataDirInUseError);
      expect((err as Error).message).toContain(`pid ${holder.pid} on host`);
      expect((err as Error).message).not.toContain('\n');
    } finally {
      await holder.kill();
    }
    DataDirLock.acquire(data).release();
  });

  it('makes the directory 0700 and its files 0600', () => {
    const data = join(dir, 'data');
    DataDirLock.acquire(data).release();
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(join(data, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(data, HOLDER_FILE)).mode & 0o777).toBe(0o600);
  });
});
