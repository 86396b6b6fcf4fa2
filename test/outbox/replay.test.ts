// `dht-telemetry outbox replay [--status N] [--since TIME]`: dead letters back in the queue,
// in their original order, in a real file, through the CLI in-process and as a process; and
// `dht-telemetry outbox`, the listing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { DataDirLock } from '../../src/outbox/data-dir-lock.js';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import { storeMessage } from '../../src/sender/stored-message.js';
import { CLI } from '../helpers/daemon-process.js';
import { captureIo } from '../helpers/capture.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outbox-replay-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

/** e0..e5 appended; e1 (406 at T0), e2 (404 at T0+1h), e4 (406 at T0+2h) dead-lettered; e0, e3, e5 queued. */
async function seedFile(): Promise<void> {
  const clock = new FakeClock(T0);
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20, clock });
  for (let i = 0; i < 6; i++) outbox.append({ id: `e${i}`, time: 1000 + i, payload: `{"id":"e${i}"}`, mono: 10 + i, bootId: 'boot' });
  const taken = outbox.take(6);
  outbox.deadLetter(taken[1]!.seq, 406, 'refused');
  await clock.advance(3_600_000);
  outbox.deadLetter(taken[2]!.seq, 404, 'not found');
  await clock.advance(3_600_000);
  outbox.deadLetter(taken[4]!.seq, 406, 'refused');
  outbox.close();
}

function queue(): { ids: string[]; dead: string[] } {
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20 });
  try {
    return { ids: outbox.take(100).map((e) => e.id), dead: outbox.deadLetters().map((d) => d.id) };
  } finally {
    outbox.close();
  }
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['outbox', ...args], { DATA_DIR: dir }, io);
  return { code, out: io.stdout.text, err: io.stderr.text };
}

describe('outbox replay', () => {
  it('puts every dead letter back in its original place in the queue, with its fields', async () => {
    await seedFile();
    const r = await cli('replay');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/replayed 3 dead letters/);
    expect(queue()).toEqual({ ids: ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'], dead: [] });
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20 });
    try {
      expect(outbox.take(100)[1]).toMatchObject({ id: 'e1', time: 1001, mono: 11, bootId: 'boot', payload: '{"id":"e1"}' });
    } finally {
      outbox.close();
    }
  });

  it('--status picks the dead letters of one status', async () => {
    await seedFile();
    expect((await cli('replay', '--status', '406')).code).toBe(0);
    expect(queue()).toEqual({ ids: ['e0', 'e1', 'e3', 'e4', 'e5'], dead: ['e2'] });
  });

  it('--since picks those dead-lettered at or after a time', async () => {
    await seedFile();
    expect((await cli('replay', '--since', new Date(T0 + 3_600_000).toISOString())).code).toBe(0);
    expect(queue()).toEqual({ ids: ['e0', 'e2', 'e3', 'e4', 'e5'], dead: ['e1'] });
  });

  it('refuses a bad --status or --since with one line and exit 64, changing nothing', async () => {
    await seedFile();
    for (const args of [['--status', 'abc'], ['--since', 'last tuesday']]) {
      const r = await cli('replay', ...args);
      expect(r.code).toBe(64);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect(queue().dead).toHaveLength(3);
  });

  it('refuses while a daemon holds DATA_DIR, naming it, and changes nothing', async () => {
    await seedFile();
    const lock = DataDirLock.acquire(dir);
    try {
      const r = await cli('replay');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/in use by another dht-telemetry \(pid \d+/);
    } finally {
      lock.release();
    }
    expect(queue().dead).toHaveLength(3);
  });

  it('works through the built CLI as a process', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    await seedFile();
    const r = spawnSync(process.execPath, [CLI, 'outbox', 'replay', '--status', '404'], { env: { PATH: process.env.PATH, DATA_DIR: dir }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/replayed 1 dead letter\b/);
    expect(queue()).toEqual({ ids: ['e0', 'e2', 'e3', 'e5'], dead: ['e4', 'e1'] });
  });
});

describe('outbox (the listing)', () => {
  it('shows each dead letter as it was sent, and a payload that does not parse as stored', async () => {
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20 });
    const sent = { headers: { 'content-type': 'application/json', 'ce-id': 'ok-1', 'ce-time': new Date(T0).toISOString(), 'ce-type': 'io.drogue.event.v1', 'ce-source': 'drogue://app/pi', 'ce-specversion': '1.0' }, body: '{"temp":21.5}' };
    outbox.append({ id: 'ok-1', time: T0, payload: storeMessage(sent, { id: 'ok-1', time: T0 }), mono: 1, bootId: 'boot' });
    outbox.append({ id: 'bad-2', time: T0 + 1, payload: 'B{"ce-source":', mono: 2, bootId: 'boot' });
    for (const e of outbox.take(2)) outbox.deadLetter(e.seq, 406, 'refused');
    outbox.close();
    const { code, out } = await cli();
    expect(code).toBe(0);
    const letters = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(letters.find((l) => l.id === 'ok-1')).toMatchObject({ status: 406, message: sent });
    expect(letters.find((l) => l.id === 'bad-2')).toMatchObject({ payload: 'B{"ce-source":' });
  });
});
