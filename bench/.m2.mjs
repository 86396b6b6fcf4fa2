import { createRequire } from 'node:module'; import { readFileSync } from 'node:fs';
const require = createRequire('/work/main/package.json');
const t0 = performance.now();
const Agent = require('undici/lib/dispatcher/agent.js'); const Dispatcher = require('undici/lib/dispatcher/dispatcher.js'); Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));
const t = performance.now()-t0; await new Promise(r=>setTimeout(r,300));
console.log('agent+api', /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status','utf8'))[1], 'kB', t.toFixed(0),'ms heap', Math.round(process.memoryUsage().heapUsed/1024));
