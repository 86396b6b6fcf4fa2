import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { TelemetryError } from '../../src/errors.js';
import { listDeadLetters } from '../../src/outbox/inspect.js';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-inspect-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('listDeadLetters', () => {
  it('reads the dead letters while the daemon still has the outbox open, most recent first', async () => {
    const clock = new FakeClock();
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20, clock });
    try {
      expect(listDeadLetters(dir, 10)).toEqual([]);
      for (const id of ['a', 'b', 'c']) outbox.append({ id, time: 1, payload: `{"id":"${id}"}` });
      const [a, b] = outbox.take(2);
      outbox.deadLetter(a!.seq, 406, 'invalid JSON');
      await clock.advance(1000);
      outbox.deadLetter(b!.seq, 413, 'payload too large');

      const dead = listDeadLetters(dir, 10);
      expect(dead.map((d) => [d.id, d.status, d.reason])).toEqual([
        ['b', 413, 'payload too large'],
        ['a', 406, 'invalid JSON'],
      ]);
      expect(dead[0]).toMatchObject({ payload: '{"id":"b"}', failedAt: clock.now(), attempts: 0 });
      expect(listDeadLetters(dir, 1).map((d) => d.id)).toEqual(['b']);
      expect(outbox.take(10).map((e) => e.id)).toEqual(['c']); // the writer is undisturbed
    } finally {
      outbox.close();
    }
  });

  it('says there is no outbox rather than creating one', () => {
    const missing = join(dir, 'nothing-here');
    expect(() => listDeadLetters(missing, 10)).toThrow(TelemetryError);
    expect(() => listDeadLetters(missing, 10)).toThrow(/no outbox/);
  });
});
