import { readFileSync } from 'node:fs';
const m = process.argv[2] ?? '';
const t0 = performance.now();
if (m) await import(m.startsWith('./') ? '/work/main/' + m.slice(2) : m);
const t = performance.now() - t0;
await new Promise((r) => setTimeout(r, 300));
const kb = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1];
console.log((m || '(none)').padEnd(40), String(kb).padStart(7), 'kB  heap', Math.round(process.memoryUsage().heapUsed / 1024), 'kB  import', t.toFixed(0), 'ms');
