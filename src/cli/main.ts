#!/usr/bin/env -S node --max-semi-space-size=1 --liftoff-only --optimize-for-size --expose-gc --v8-pool-size=1
// The executable: the only place that hands process.env to the code and exits.
// The shebang is the one place the daemon's node flags live (the image runs this file; the
// native unit and the benchmarks read the same flags, a test keeps the unit's equal): a 1 MiB
// young generation instead of V8's up to 16 MiB (RSS settled 8-10 MiB higher, and by chance:
// it grows with allocation bursts); undici's HTTP parser (WebAssembly) compiled by Liftoff
// only, since optimizing it cost ~10 MiB of malloc'd compiler memory in half the runs and is
// worth nothing for a few responses a minute; optimize-for-size, which held the old
// generation to ~15 MiB during a backlog drain instead of ~30; expose-gc, for the
// HeapGovernor that holds it closer still (runtime/heap-governor.ts); and one V8 worker thread
// instead of four: each worker that helps the GC during a drain keeps a glibc malloc arena of
// ~0.8 MiB, and one is as fast for a daemon that mostly sleeps. Measured in bench/RESULTS.md.
// Reconsidered for issue 17: without any of them a drain costs ~20 % less CPU per event, but
// the daemon settles ~10 MiB higher and peaks ~40 MiB higher while draining (without
// --liftoff-only alone, ~96 instead of ~66 MiB): the memory targets would be lost by far more
// than the CPU target gains. The trade-off, measured, is in bench/RESULTS.md.
import { guardProcess } from './process-guards.js';

// Before the rest of the code loads: from here on SIGUSR1 cannot open the inspector.
guardProcess();
// No top-level await: the bundled executable is a CommonJS file (scripts/bundle-cli.mjs).
void import('./cli.js').then(async ({ main }) => process.exit(await main(process.argv.slice(2), process.env)));
