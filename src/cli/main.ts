#!/usr/bin/env -S node --max-semi-space-size=1 --liftoff-only --optimize-for-size
// The executable: the only place that hands process.env to the code and exits.
// The shebang is the one place the daemon's V8 flags live (the image, the units and the
// benchmarks run this file): a 1 MiB young generation instead of V8's up to 16 MiB (RSS
// settled 8-10 MiB higher, and by chance: it grows with allocation bursts); undici's HTTP
// parser (WebAssembly) compiled by Liftoff only, since optimizing it cost ~10 MiB of malloc'd
// compiler memory in half the runs and is worth nothing for a few responses a minute; and
// optimize-for-size, which keeps the old generation from growing to twice its live size
// while a backlog drains. Measured in bench/RESULTS.md.
import { main } from './cli.js';

process.exit(await main(process.argv.slice(2), process.env));
