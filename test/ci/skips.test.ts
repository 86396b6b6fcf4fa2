// .ci/run's skip accounting (.ci/skips.mjs): skipped tests and smoke steps are counted
// and, on CI, any skip missing from the allow-list fails the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../.ci/skips.mjs', import.meta.url).pathname;
let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function report(): string {
  const file = join(dir, 'vitest.json');
  writeFileSync(file, JSON.stringify({
    testResults: [
      { name: join(dir, 'test/a.test.ts'), status: 'passed', assertionResults: [
        { status: 'passed', fullName: 'a works' },
        { status: 'skipped', fullName: 'a in chromium' },
        { status: 'todo', fullName: 'a later' },
      ] },
      { name: join(dir, 'test/b.test.ts'), status: 'failed', assertionResults: [] },
      { name: join(dir, 'test/c.test.ts'), status: 'failed', assertionResults: [{ status: 'failed', fullName: 'c' }, { status: 'pending', fullName: 'c pending' }] },
    ],
  }));
  return file;
}

describe('.ci/skips.mjs', () => {
  it('counts skipped, todo and pending tests as skips, and a file that did not load as a failure', () => {
    dir = mkdtempSync(join(tmpdir(), 'ci-skips-'));
    const r = run('vitest', report(), 'skips.txt');
    expect(r.out.trim()).toBe('1 2 3');
    expect(readFileSync(join(dir, 'skips.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual([
      'test:test/a.test.ts > a in chromium',
      'test:test/a.test.ts > a later',
      'test:test/c.test.ts > c pending',
    ]);
  });

  it("takes smoke.sh's closing line and its SKIP steps", () => {
    dir = mkdtempSync(join(tmpdir(), 'ci-skips-'));
    writeFileSync(join(dir, 'smoke.log'), 'PASS build: ok\nSKIP prerequisites: not root\nsmoke: 1 passed, 0 failed, 1 skipped\n');
    expect(run('smoke', 'smoke.log', 'skips.txt').out.trim()).toBe('1 0 1');
    expect(readFileSync(join(dir, 'skips.txt'), 'utf8')).toBe('smoke:prerequisites\tnot root\n');
  });

  it('fails on a skip that is not allowed, passes on one that is, and refuses an entry without a reason', () => {
    dir = mkdtempSync(join(tmpdir(), 'ci-skips-'));
    writeFileSync(join(dir, 'skips.txt'), 'test:test/a.test.ts > a in chromium\tskipped (vitest)\ncheck:units\tno podman\n');
    writeFileSync(join(dir, 'allowed'), '# comment\ntest:test/a.test.ts > a in * | chromium cannot run on this arch\n');
    const some = run('check', 'allowed', 'skips.txt');
    expect(some.code).toBe(1);
    expect(some.out).toContain('FAIL unexpected skip check:units: no podman');
    expect(some.out).not.toContain('FAIL unexpected skip test:');

    writeFileSync(join(dir, 'allowed'), 'test:test/a.test.ts > a in * | chromium cannot run on this arch\ncheck:units | no systemd in this runner\n');
    expect(run('check', 'allowed', 'skips.txt').code).toBe(0);

    writeFileSync(join(dir, 'allowed'), 'check:units\n');
    const bad = run('check', 'allowed', 'skips.txt');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/line 1 has no reason/);
  });
});
