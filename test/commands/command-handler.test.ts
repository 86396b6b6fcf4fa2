import { describe, expect, it } from 'vitest';
import { CommandHandler } from '../../src/commands/command-handler.js';
import type { LedMode } from '../../src/gpio/status-led.js';
import { silentLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';

function rig(withPower = true, withLed = true) {
  const calls: string[] = [];
  const sampler = (name: string) => ({
    name,
    setInterval: (ms: number) => {
      calls.push(`${name}.interval=${ms}`);
      return Math.max(ms, 2000);
    },
    readNow: () => void calls.push(`${name}.readNow`),
    requestPowerCycle: () => {
      calls.push(`${name}.power`);
      return withPower;
    },
  });
  const samplers = [sampler('living'), sampler('attic')];
  const led = withLed ? { set: (m: LedMode) => void calls.push(`led=${m}`) } : null;
  const counters = new Counters();
  const handler = new CommandHandler({ samplers: () => samplers, led: () => led }, silentLogger(), counters);
  const run = (name: string, payload = '') => handler.handle({ name, payload: Buffer.from(payload) });
  return { calls, counters, run };
}

describe('CommandHandler', () => {
  it('set-interval takes seconds or a duration and applies it to every sampler', () => {
    const { run, calls, counters } = rig();
    expect(run('set-interval', '30')).toBe('ok');
    expect(run('set-interval', '5m')).toBe('ok');
    expect(calls).toEqual(['living.interval=30000', 'attic.interval=30000', 'living.interval=300000', 'attic.interval=300000']);
    expect(counters.get('commands_total', { command: 'set-interval', result: 'ok' })).toBe(2);
  });

  it('read-now and power-cycle take an optional sensor name', () => {
    const { run, calls } = rig();
    expect(run('read-now', 'attic')).toBe('ok');
    expect(run('power-cycle')).toBe('ok');
    expect(run('read-now', 'cellar')).toBe('invalid');
    expect(calls).toEqual(['attic.readNow', 'living.power', 'attic.power']);
  });

  it('led takes on, off or blink', () => {
    const { run, calls } = rig();
    expect(run('led', 'blink')).toBe('ok');
    expect(run('led', 'purple')).toBe('invalid');
    expect(calls).toEqual(['led=blink']);
  });

  it('says unsupported when there is no power pin or LED', () => {
    const { run } = rig(false, false);
    expect(run('power-cycle')).toBe('unsupported');
    expect(run('led', 'on')).toBe('unsupported');
  });

  it('set-interval outside INTERVAL\'s range (25d, 0) is invalid and changes nothing', () => {
    const { run, calls, counters } = rig();
    expect(run('set-interval', '25d')).toBe('invalid');
    expect(run('set-interval', '0')).toBe('invalid');
    expect(run('set-interval', '1d')).toBe('ok');
    expect(calls).toEqual(['living.interval=86400000', 'attic.interval=86400000']);
    expect(counters.get('commands_total', { command: 'set-interval', result: 'invalid' })).toBe(2);
  });

  it('counts malformed and unknown commands and never throws', () => {
    const { run, counters } = rig();
    expect(run('set-interval', 'soon')).toBe('invalid');
    expect(run('self-destruct', 'now')).toBe('unknown');
    expect(counters.get('commands_total', { command: 'set-interval', result: 'invalid' })).toBe(1);
    expect(counters.get('commands_total', { command: 'unknown', result: 'unknown' })).toBe(1);
  });
});
