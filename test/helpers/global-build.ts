// Vitest global setup: the e2e tests spawn dist/, so a run never tests a stale build.
// When any build input (src/, scripts/, tsconfig*.json, package.json) is newer than
// dist/cli/main.js, it builds once, before any test file starts. `npm test` builds
// first, so there the check finds dist/ fresh and costs one directory walk.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = path.join(ROOT, 'dist', 'cli', 'main.js');
const BUILD_TIMEOUT_MS = 10 * 60_000;

/** The newest modification time under dir (files only), and the file that has it. */
function newest(dir: string): { mtime: number; file: string } {
  let best = { mtime: 0, file: '' };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const mtime = statSync(file).mtimeMs;
    if (mtime > best.mtime) best = { mtime, file };
  }
  return best;
}

/** Why dist/ is stale, or null when it is at least as new as every build input. */
export function staleReason(): string | null {
  if (!existsSync(BUILT)) return 'dist/cli/main.js does not exist';
  const built = statSync(BUILT).mtimeMs;
  const inputs = [newest(path.join(ROOT, 'src')), newest(path.join(ROOT, 'scripts')), ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => ({ mtime: statSync(path.join(ROOT, f)).mtimeMs, file: path.join(ROOT, f) }))];
  const latest = inputs.reduce((a, b) => (b.mtime > a.mtime ? b : a));
  return latest.mtime > built ? `${path.relative(ROOT, latest.file)} is newer than dist/cli/main.js` : null;
}

export default function setup(): void {
  const why = staleReason();
  if (why === null) return;
  console.log(`dist/ is stale (${why}): running npm run build once before the tests`);
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit', timeout: BUILD_TIMEOUT_MS });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.error?.message ?? `exit ${String(build.status ?? build.signal)}`}): the tests would run against a stale dist/`);
  const still = staleReason();
  if (still !== null) throw new Error(`dist/ is still stale after npm run build: ${still}`);
}
