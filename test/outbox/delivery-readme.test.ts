// The README's Delivery guarantees each name the test that holds them: those tests must exist.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const section = readme.slice(readme.indexOf('## Delivery: nothing is lost'), readme.indexOf('## Trustworthy readings'));

describe('README "Delivery: nothing is lost"', () => {
  const rows = section.split('\n').filter((l) => l.startsWith('| **'));

  it('backs every guarantee with a test file that exists, and every quoted test name with a test in it', () => {
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const row of rows) {
      const files = [...row.matchAll(/`(test\/[\w/.-]+\.test\.ts)`((?: "[^"]+"(?: and "[^"]+")?)?)/g)];
      expect(files.length, row.slice(0, 80)).toBeGreaterThan(0);
      for (const [, file, names] of files) {
        const path = new URL(file ?? '', root);
        expect(existsSync(path), file).toBe(true);
        const source = readFileSync(path, 'utf8');
        for (const [, name] of (names ?? '').matchAll(/"([^"]+)"/g)) expect(source, `${file}: "${name}"`).toContain(name);
      }
    }
  });
});
