// No import cycles in src/, between files or between modules (the folders under src/;
// each file directly in src/ is a module of its own). Type-only and dynamic imports
// count: a cycle through types is still two modules that cannot be understood apart.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?\sfrom\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

/** Every relative import of every .ts file under src/, as paths relative to src/. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const rel of readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path.join(SRC, rel), 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      deps.add(path.normalize(path.join(path.dirname(rel), spec)).replace(/\.js$/, '.ts'));
    }
    graph.set(rel, deps);
  }
  return graph;
}

/** The strongly connected components with more than one member: each is a cycle. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The same graph between modules: a file's module is its folder, or the file itself directly in src/. */
function moduleGraph(files: Map<string, Set<string>>): Map<string, Set<string>> {
  const moduleOf = (file: string): string => (path.dirname(file) === '.' ? file : path.dirname(file).split(path.sep)[0]!);
  const graph = new Map<string, Set<string>>();
  for (const [file, deps] of files) {
    const from = moduleOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const dep of deps) if (moduleOf(dep) !== from) edges.add(moduleOf(dep));
  }
  return graph;
}

describe('import cycles in src/', () => {
  const files = importGraph();

  it('reads the imports it is meant to (a check that found nothing would pass anything)', () => {
    expect(files.size).toBeGreaterThan(50);
    expect(files.get('daemon.ts')).toContain('config/config.ts');
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])]]))).toEqual([['a', 'b']]);
  });

  it('has none between files', () => {
    expect(cycles(files)).toEqual([]);
  });

  it('has none between modules (config, sensor, status, ...)', () => {
    expect(cycles(moduleGraph(files))).toEqual([]);
  });
});
