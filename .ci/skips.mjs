#!/usr/bin/env node
// Skip accounting for .ci/run. Every skipped test, check or smoke step is one line
// `<id>\t<reason>` in a skips file; `check` compares those ids with .ci/allowed-skips.
//
//   node .ci/skips.mjs vitest REPORT.json SKIPS   prints "passed failed skipped", appends the skipped tests
//   node .ci/skips.mjs smoke LOG SKIPS            prints "passed failed skipped" from smoke.sh's closing line
//   node .ci/skips.mjs suite NAME LOG SKIPS       the same for any suite that closes with `NAME: N passed, ...`
//   node .ci/skips.mjs check ALLOWED SKIPS        lists skips not on the allow-list; exit 1 if any
//
// Ids: `test:<file relative to the repo> > <full test name>`, `check:<name>`, `<suite>:<step>`
// (`smoke:<step>`, `real-systemd:<step>`).
// An allow-list line is `<id or glob with *> | <reason>`; a line without a reason is an error.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SKIPPED = new Set(['skipped', 'pending', 'todo', 'disabled']);
const oneLine = (s) => String(s).replace(/[\t\r\n]+/g, ' ').trim();

function vitest(reportPath, skipsPath) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const lines = [];
  for (const file of report.testResults ?? []) {
    const rel = path.relative(process.cwd(), file.name);
    // A file that failed to load has no tests: one failure, not zero.
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed += 1;
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'passed') passed += 1;
      else if (test.status === 'failed') failed += 1;
      else if (SKIPPED.has(test.status)) {
        skipped += 1;
        lines.push(`test:${rel} > ${oneLine(test.fullName ?? test.title)}\t${test.status} (vitest)`);
      } else failed += 1; // an unknown status is not a pass
    }
  }
  if (lines.length > 0) appendFileSync(skipsPath, lines.join('\n') + '\n');
  console.log(`${passed} ${failed} ${skipped}`);
}

/** A shell suite (smoke.sh, real-systemd.sh): its closing `NAME: N passed, N failed, N skipped` line and its `SKIP step: why` lines. */
function suite(name, logPath, skipsPath) {
  const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
  const closing = [...log.matchAll(new RegExp(`^${name}: (\\d+) passed, (\\d+) failed, (\\d+) skipped$`, 'gm'))].at(-1);
  if (!closing) {
    console.log('0 0 0');
    return;
  }
  const lines = [...log.matchAll(/^SKIP ([^:\s]+): (.*)$/gm)].map(([, step, why]) => `${name}:${step}\t${oneLine(why)}`);
  if (lines.length > 0) appendFileSync(skipsPath, lines.join('\n') + '\n');
  console.log(`${closing[1]} ${closing[2]} ${closing[3]}`);
}

/** The allow-list: [{ pattern, reason, line }]; throws on a line without a reason. */
export function readAllowList(text) {
  const entries = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const bar = line.indexOf(' | ');
    const reason = bar < 0 ? '' : line.slice(bar + 3).trim();
    if (bar < 0 || reason === '') throw new Error(`allowed-skips line ${i + 1} has no reason: write "<id> | <why this skip is acceptable>"`);
    entries.push({ pattern: line.slice(0, bar).trim(), reason, line: i + 1 });
  }
  return entries;
}

function matches(pattern, id) {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(id);
}

function check(allowedPath, skipsPath) {
  let allowed;
  try {
    allowed = readAllowList(existsSync(allowedPath) ? readFileSync(allowedPath, 'utf8') : '');
  } catch (err) {
    console.log(`FAIL ${err.message}`);
    process.exit(1);
  }
  const skips = existsSync(skipsPath)
    ? readFileSync(skipsPath, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'))
    : [];
  let unexpected = 0;
  for (const [id, why] of skips) {
    const entry = allowed.find((a) => matches(a.pattern, id));
    if (entry) console.log(`SKIP (allowed: ${entry.reason}) ${id}`);
    else {
      unexpected += 1;
      console.log(`FAIL unexpected skip ${id}: ${why ?? ''} (not in ${allowedPath})`);
    }
  }
  process.exit(unexpected > 0 ? 1 : 0);
}

const [command, a, b] = process.argv.slice(2);
if (command === 'vitest') vitest(a, b);
else if (command === 'smoke') suite('smoke', a, b);
else if (command === 'suite') suite(a, b, process.argv[5]);
else if (command === 'check') check(a, b);
else if (command !== undefined) {
  console.error(`usage: skips.mjs vitest|smoke|suite|check ...; got ${command}`);
  process.exit(2);
}
