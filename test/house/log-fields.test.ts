// Every field name the daemon logs is snake_case (STYLE: stable snake_case field names).
// The field names are read from src/ with the TypeScript parser: the object literal of
// every logger call (trace ... fatal, and child bindings), nested literals included, and
// what a spread in it stands for (an object literal of that name elsewhere in src/).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'child']);
const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

interface Field {
  name: string;
  where: string;
}

function sources(): ts.SourceFile[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ts.createSourceFile(f, readFileSync(path.join(SRC, f), 'utf8'), ts.ScriptTarget.Latest, true));
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** Object literals assigned to a name anywhere in src/ (`const log = {...}`, `logFields: {...}`): what a spread of that name logs. */
function namedLiterals(files: ts.SourceFile[]): Map<string, ts.ObjectLiteralExpression[]> {
  const named = new Map<string, ts.ObjectLiteralExpression[]>();
  for (const file of files) {
    walk(file, (n) => {
      const pair = ts.isVariableDeclaration(n) || ts.isPropertyAssignment(n) ? n : null;
      if (pair && pair.initializer && ts.isObjectLiteralExpression(pair.initializer) && (ts.isIdentifier(pair.name) || ts.isStringLiteral(pair.name))) {
        named.set(pair.name.text, [...(named.get(pair.name.text) ?? []), pair.initializer]);
      }
    });
  }
  return named;
}

function loggedFields(files: ts.SourceFile[]): { fields: Field[]; unresolved: string[] } {
  const named = namedLiterals(files);
  const fields: Field[] = [];
  const unresolved: string[] = [];
  const collect = (literal: ts.ObjectLiteralExpression, file: ts.SourceFile, seen: Set<ts.Node>): void => {
    if (seen.has(literal)) return;
    seen.add(literal);
    for (const p of literal.properties) {
      const where = `${file.fileName}:${file.getLineAndCharacterOfPosition(p.getStart()).line + 1}`;
      if (ts.isSpreadAssignment(p)) {
        let e: ts.Expression = p.expression;
        while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
        const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : null;
        const targets = name === null ? undefined : named.get(name);
        if (ts.isObjectLiteralExpression(e)) collect(e, file, seen);
        else if (targets) for (const t of targets) collect(t, t.getSourceFile(), seen);
        else if (!ts.isConditionalExpression(e)) unresolved.push(`${where}: ...${p.expression.getText()}`);
        else for (const branch of [e.whenTrue, e.whenFalse]) if (ts.isObjectLiteralExpression(branch)) collect(branch, file, seen);
        continue;
      }
      const key = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : p.name?.getText();
      if (key !== undefined) fields.push({ name: key, where });
      if (ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer)) collect(p.initializer, file, seen);
    }
  };
  for (const file of files) {
    walk(file, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
      const { name, expression } = n.expression;
      if (!LEVELS.has(name.text) || !/log(ger)?$/i.test(expression.getText().replace(/[?!]$/, ''))) return;
      const first = n.arguments[0];
      if (first && ts.isObjectLiteralExpression(first)) collect(first, file, new Set());
      // `logger.warn(fields, ...)`: the literal that name was given.
      if (first && ts.isIdentifier(first)) for (const t of named.get(first.text) ?? []) collect(t, t.getSourceFile(), new Set());
    });
  }
  return { fields, unresolved };
}

describe('log field names', () => {
  const { fields, unresolved } = loggedFields(sources());

  it('finds the fields the daemon logs (a scan that found nothing would pass anything)', () => {
    const names = new Set(fields.map((f) => f.name));
    for (const known of ['err', 'event_id', 'retry_in_ms', 'bcm']) expect(names, known).toContain(known);
    expect(fields.length).toBeGreaterThan(100);
    expect(unresolved).toEqual([]);
  });

  it('are all snake_case', () => {
    const bad = fields.filter((f) => !SNAKE.test(f.name)).map((f) => `${f.name} (${f.where})`);
    expect(bad).toEqual([]);
  });
});
