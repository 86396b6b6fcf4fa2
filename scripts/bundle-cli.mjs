// Build step (npm run build, after tsc): bundles the executable, dist/cli/main.js, with every
// dist/ module and the pure-JavaScript packages it imports into that one file. Starting the
// daemon then reads one file instead of resolving, statting and compiling ~150 (the dist/
// modules, pino's and prom-client's), which was most of the time to READY=1 (bench row 4).
// The other dist/ files stay as tsc wrote them: the tests and the benchmarks import them.
// Left outside, loaded by node at run time: the native addons (they cannot be inlined)
// and undici (src/sender/undici-agent.ts loads its Agent on the first send; `health` imports it
// when it runs). An import of a package left outside is hoisted to the bundle's top and loads
// at every start, so such packages are imported where they are used (`await import`).
// The commands stay lazily evaluated: esbuild keeps each `await import()` as a module that
// is initialised when it is first imported.
//
// Node's own modules and the packages left outside are loaded through require(), not `import`:
// node answers an `import` of a CommonJS module or a builtin with an ES-module facade, and to
// build it reads every export (for `fs` that loads its streams, ~10 ms), and it scans a
// package's source for its export names; the facades were ~25 ms of CPU before READY=1.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

const entry = new URL('../dist/cli/main.js', import.meta.url).pathname;
const external = ['better-sqlite3', 'node-dht-sensor', 'unix-dgram', 'onoff', 'epoll', 'undici'];
const builtins = new Set(builtinModules);

/** `import x from 'node:fs'` becomes a bundled `module.exports = require('node:fs')`. */
const importsViaRequire = {
  name: 'imports-via-require',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      const isBuiltin = builtins.has(args.path.replace(/^node:/, ''));
      if (!isBuiltin && !external.includes(args.path)) return undefined;
      return { path: args.path, namespace: 'via-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'via-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

// prom-client, ~110 KB that V8 would parse at every start (~3 ms of CPU) and keep as source, is
// needed only at the first /metrics scrape: dist/status/status-metrics.js becomes a bundle of
// its own (prom-client inside), which the executable imports then, by the path
// ../status/status-metrics.js (the same from dist/status/ and from dist/cli/). It shares no state
// with the executable: it reads counters and durations through the objects it is given.
const statusMetrics = new URL('../dist/status/status-metrics.js', import.meta.url).pathname;

/** The executable leaves status-metrics.js to its own bundle. */
const statusMetricsOutside = {
  name: 'status-metrics-outside',
  setup(b) {
    b.onResolve({ filter: /\/status-metrics\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: '../status/status-metrics.js', external: true } : undefined));
  },
};

const common = {
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  legalComments: 'none',
  // Whitespace and syntax only (names stay, for stack traces and profiles): a 400 KB file instead
  // of 600 KB, whose source V8 keeps for the daemon's life; steady RSS ~0.5 MiB under the
  // unbundled files' instead of ~1 MiB over (two daemons each, side by side, 90 s).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// The executable is CommonJS: an ES-module entry makes node load and run its ES-module loader
// (~10 ms of CPU under the shebang's flags: an empty .mjs against an empty .cjs). dist/cli/ gets
// a package.json saying so; tsc's own files there, ES modules that nothing imports (the bundle
// has them all), are removed so that none is left to be misread. import.meta.url, which the
// bundled modules use to find files beside them, becomes the file's URL.
await build({
  ...common,
  format: 'cjs',
  banner: { js: "'use strict'; const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundleUrl' },
  entryPoints: [entry],
  outfile: entry,
  plugins: [statusMetricsOutside, importsViaRequire],
});
const cliDir = new URL('../dist/cli/', import.meta.url).pathname;
for (const file of readdirSync(cliDir)) if (!file.startsWith('main.js')) rmSync(cliDir + file);
writeFileSync(`${cliDir}package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`);
await build({
  ...common,
  format: 'esm',
  // The bundled CommonJS package (prom-client) calls require() for node's own modules; an ES
  // module has no require, so the bundle makes one, as node would give a CommonJS file.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  entryPoints: [statusMetrics],
  outfile: statusMetrics,
  plugins: [importsViaRequire],
});
