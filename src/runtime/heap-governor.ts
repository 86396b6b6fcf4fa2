// Keeps V8's old generation near its live size while a backlog drains.
//
// In the memory-saving mode the daemon runs in (--optimize-for-size, see the shebang of
// cli/main.ts), V8 lets the old generation grow 8 MB past its live size before it collects:
// its minimum growing step, whatever the size of the heap (heap-controller.cc,
// MinimumAllocationLimitGrowingStep). A drain promotes 0.9–1.7 KB of garbage per delivery (what
// survives the 1 MiB young generation; bench/RESULTS.md, round 2), so at a few thousand deliveries a
// second the old generation climbs to live + 8 MB every half second: RSS a Pi Zero 2 pays for
// nothing. Asking for a full collection after every few MB caps that at `slackBytes`, for
// one collection per ~4,500 deliveries (bench/RESULTS.md, scenario 6).
// What it costs, measured again for issue 17 (interleaved 20,000-event drains, bench/RESULTS.md
// "The flags and the governor"): 5-15 % more CPU per delivered event than without it (its
// collections deoptimise code whose weak objects died), for a peak ~5 MiB lower (~65 against
// ~70 MiB at 200,000 queued). Without it the peak target (steady + 10 MB) is missed; with it
// the CPU target is missed either way. A 5 MiB slack or an asynchronous gc() cost the same.
// `gc` exists only under --expose-gc (the shebang passes it); without it there is no governor.
// The used heap comes from process.memoryUsage() (V8's used_heap_size, as node:v8 gives it):
// importing node:v8 cost ~12 ms of CPU before READY=1 under the shebang's flags (bench row 4).

/** The heap as the governor sees it; tests pass a fake. */
export interface HeapProbe {
  usedBytes(): number;
  /** A full, synchronous collection. */
  collect(): void;
}

export interface HeapGovernorOptions {
  /** Growth of the used heap, since the last collection, that calls for one. Default 3 MiB. */
  slackBytes?: number;
  /** Deliveries between two looks at the heap. Default 256. */
  checkEvery?: number;
  onCollect?: () => void;
}

export class HeapGovernor {
  private readonly slackBytes: number;
  private readonly checkEvery: number;
  private floor: number;
  private sinceCheck = 0;

  constructor(
    private readonly probe: HeapProbe,
    private readonly options: HeapGovernorOptions = {},
  ) {
    this.slackBytes = options.slackBytes ?? 3 * 2 ** 20;
    this.checkEvery = options.checkEvery ?? 256;
    this.floor = probe.usedBytes();
  }

  /** One event delivered: every `checkEvery`, collects when the heap grew by `slackBytes`. */
  delivered(): void {
    if (++this.sinceCheck < this.checkEvery) return;
    this.sinceCheck = 0;
    const used = this.probe.usedBytes();
    // V8 collected on its own since the last look: measure growth from there.
    this.floor = Math.min(this.floor, used);
    if (used - this.floor < this.slackBytes) return;
    this.probe.collect();
    this.floor = this.probe.usedBytes();
    this.options.onCollect?.();
  }
}

/** V8's heap, or null when the process runs without --expose-gc. */
export function v8HeapProbe(): HeapProbe | null {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return null;
  return {
    usedBytes: () => process.memoryUsage().heapUsed,
    collect: () => {
      (gc as () => void)();
    },
  };
}
