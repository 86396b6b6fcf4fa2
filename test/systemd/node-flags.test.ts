// The daemon's node flags live in one place, the executable's shebang; everything that starts
// the daemon must get them: the executable run directly (the image's ENTRYPOINT) and the
// native unit, which names node itself.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const executable = resolve(root, 'dist/cli/main.js');

function shebangFlags(): string[] {
  const first = readFileSync(executable, 'utf8').split('\n')[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=\S+)?)*)$/.exec(first);
  expect(match, `shebang: ${first}`).not.toBeNull();
  return (match?.[1] ?? '').trim().split(' ');
}

describe('node flags', () => {
  it('the executable runs by its shebang, with flags this node accepts', () => {
    const flags = shebangFlags();
    expect(flags).toContain('--max-semi-space-size=1');
    expect(flags).toContain('--expose-gc'); // the drain's HeapGovernor needs it
    const run = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the native unit passes node the same flags, and the image runs the executable itself', () => {
    const unit = readFileSync(resolve(root, 'systemd/dht-telemetry-native.service'), 'utf8');
    const execStart = /^ExecStart=\/opt\/dht-telemetry\/bin\/node (.*) \/opt\/dht-telemetry\/lib\/node_modules\/dht-telemetry\/dist\/cli\/main\.js run$/m.exec(unit);
    expect(execStart?.[1]?.split(' ')).toEqual(shebangFlags());
    const containerfile = readFileSync(resolve(root, 'Containerfile'), 'utf8');
    expect(containerfile).toMatch(/^ENTRYPOINT \["\/app\/dist\/cli\/main\.js"\]$/m);
  });
});
