// The running version where a user looks after an update or a rollback: /healthz (and so the
// live page) and dht_build_info on /metrics. After `podman auto-update` rolls back, these show
// the old version again.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildInfo } from '../../src/status/build-info.js';
import { evaluateHealth } from '../../src/status/health.js';
import { StatusMetrics } from '../../src/status/status-metrics.js';
import { parsePromText } from './prom-text.js';
import { snapshot } from './snapshot-fixture.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('build info', () => {
  it('is the version in package.json and the node that runs the daemon', () => {
    expect(buildInfo()).toEqual({ version: packageVersion, node: process.version });
  });

  it('shows in the /healthz verdict', () => {
    const health = evaluateHealth(snapshot({ build: { version: '1.2.3', node: 'v24.1.0' } }));
    expect(health.version).toBe('1.2.3');
    expect(health.node).toBe('v24.1.0');
  });

  it('is dht_build_info on /metrics, one series with the version and node as labels', async () => {
    const metrics = new StatusMetrics(() => snapshot({ build: { version: '1.2.3', node: 'v24.1.0' } }));
    const m = parsePromText(await metrics.render());
    expect(m.types.get('dht_build_info')).toBe('gauge');
    expect(m.value('dht_build_info', { version: '1.2.3', node: 'v24.1.0' })).toBe(1);
  });
});
