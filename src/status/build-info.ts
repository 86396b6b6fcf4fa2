// What is running: the package's version and the Node that runs it. Shown by /healthz, the live
// page, dht_build_info and `--version`, so a user sees which image a `podman auto-update` left
// running (after a rollback: the old version again).
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  version: string;
  node: string;
}

let cached: BuildInfo | undefined;

/** Read once: package.json sits two levels above this file, in src/ as in dist/. */
export function buildInfo(): BuildInfo {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = { version: typeof pkg.version === 'string' ? pkg.version : 'unknown', node: process.version };
  }
  return cached;
}
