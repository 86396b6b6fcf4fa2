import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeapGovernor, type HeapProbe } from '../../src/runtime/heap-governor.js';

const MiB = 2 ** 20;

/** A heap that grows by what the test says and shrinks to `live` when collected. */
class FakeHeap implements HeapProbe {
  used = 10 * MiB;
  live = 10 * MiB;
  collections = 0;
  usedBytes(): number {
    return this.used;
  }
  collect(): void {
    this.collections += 1;
    this.used = this.live;
  }
}

describe('HeapGovernor', () => {
  it('collects once the heap grew by the slack since the last collection, looking every N deliveries', () => {
    const heap = new FakeHeap();
    let counted = 0;
    const governor = new HeapGovernor(heap, { slackBytes: 3 * MiB, checkEvery: 4, onCollect: () => counted++ });
    const deliver = (n: number, growBy: number): void => {
      for (let i = 0; i < n; i++) {
        heap.used += growBy;
        governor.delivered();
      }
    };
    deliver(4, 0.5 * MiB); // +2 MiB: under the slack
    expect(heap.collections).toBe(0);
    deliver(3, 0.5 * MiB); // +3.5 MiB, but the next look is one delivery away
    expect(heap.collections).toBe(0);
    deliver(1, 0.5 * MiB);
    expect(heap.collections).toBe(1);
    expect(counted).toBe(1);
    expect(heap.used).toBe(10 * MiB);
    deliver(4, 0.5 * MiB);
    expect(heap.collections).toBe(1);
  });

  it('measures growth from a collection V8 made on its own', () => {
    const heap = new FakeHeap();
    const governor = new HeapGovernor(heap, { slackBytes: 3 * MiB, checkEvery: 1 });
    heap.used = 12 * MiB;
    governor.delivered();
    heap.used = 8 * MiB; // V8 collected: the floor drops to 8
    governor.delivered();
    heap.used = 10.5 * MiB; // +2.5 from 8: no collection
    governor.delivered();
    expect(heap.collections).toBe(0);
    heap.used = 11.5 * MiB; // +3.5 from 8
    governor.delivered();
    expect(heap.collections).toBe(1);
  });

  it('never collects a heap that does not grow', () => {
    const heap = new FakeHeap();
    const governor = new HeapGovernor(heap, { checkEvery: 1 });
    for (let i = 0; i < 10_000; i++) governor.delivered();
    expect(heap.collections).toBe(0);
  });
});

describe('v8HeapProbe', () => {
  const module = resolve(import.meta.dirname, '../../dist/runtime/heap-governor.js');
  // Garbage held across young collections (so it is promoted), then let go, while the
  // governor looks after each step: what a draining backlog does to the heap.
  const script = `
    import { HeapGovernor, v8HeapProbe } from ${JSON.stringify(module)};
    const probe = v8HeapProbe();
    if (!probe) { console.log(JSON.stringify({ probe: false })); process.exit(0); }
    let collections = 0;
    const governor = new HeapGovernor(probe, { slackBytes: 4 * 2 ** 20, checkEvery: 1, onCollect: () => collections++ });
    const start = probe.usedBytes();
    let held = [];
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      held.push(Array.from({ length: 500 }, (_, j) => 'x' + i + ':' + j));
      if (held.length > 100) held.shift();
      peak = Math.max(peak, probe.usedBytes() - start);
      governor.delivered();
    }
    console.log(JSON.stringify({ probe: true, collections, peakMiB: peak / 2 ** 20 }));
  `;
  const run = (flags: string[]): { probe: boolean; collections?: number; peakMiB?: number } => {
    const child = spawnSync(process.execPath, [...flags, '--max-semi-space-size=1', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.stderr).toBe('');
    return JSON.parse(child.stdout) as { probe: boolean; collections?: number; peakMiB?: number };
  };

  it('is absent without --expose-gc', () => {
    expect(run([]).probe).toBe(false);
  });

  it('with --expose-gc, holds promoted garbage to the slack', () => {
    const result = run(['--expose-gc']);
    expect(result.probe).toBe(true);
    expect(result.collections).toBeGreaterThan(2);
    // ~2 MiB held plus the 4 MiB slack; left to V8 (a collect() that does nothing) it reaches ~10.
    expect(result.peakMiB).toBeLessThan(7);
  });
});
