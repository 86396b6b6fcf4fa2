// The image carries only what runs: production code never imports a devDependency
// (the CloudEvents SDK and its validator are the tests' oracle, test/event/sdk-oracle.ts).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const runtime = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);

/** Every bare package name imported (statically or dynamically, types excluded) by a file under src/. */
function packagesImportedBySrc(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const src = path.join(ROOT, 'src');
  for (const rel of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path.join(src, rel), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'";]*?\sfrom\s*'([^'.][^']*)'|import\(\s*'([^'.][^']*)'\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
      found.set(name, [...(found.get(name) ?? []), rel]);
    }
  }
  return found;
}

describe('dependencies', () => {
  it('src/ imports only runtime dependencies (never a devDependency such as cloudevents)', () => {
    const imported = packagesImportedBySrc();
    expect(imported.has('pino')).toBe(true); // the scan sees imports at all
    const notRuntime = [...imported].filter(([name]) => !runtime.has(name)).map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(notRuntime).toEqual([]);
  });

  it('the CloudEvents SDK is a devDependency', () => {
    expect(pkg.dependencies).not.toHaveProperty('cloudevents');
    expect(pkg.devDependencies).toHaveProperty('cloudevents');
  });
});
