// `dht-telemetry check` and the protocol (issue 14 findings 1 and 4), with the built CLI
// against the local Drogue-style endpoint on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';

const cleanups = cleanupAfterEach();

async function check(extra: Record<string, string>) {
  const endpoint = await startEndpoint({ users: [{ app: 'dejanb', device: 'pi', password: 'foobar' }] });
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-check-proto-');
  cleanups.push(dir.remove);
  const cli = new DaemonProcess(['check'], seedEnv(endpoint.url, dir.path, { ...extra, ENDPOINT: (extra.ENDPOINT ?? '{url}/v1/foo').replace('{url}', endpoint.url) }));
  cleanups.push(() => cli.kill());
  return { code: await cli.exited(15_000), out: cli.stdout, endpoint };
}

describe('dht-telemetry check and the protocol', () => {
  it('a non-Latin-1 channel and dataschema are sent, not reported as a network error (finding 1)', async () => {
    const { code, out, endpoint } = await check({ ENDPOINT: '{url}', CHANNEL: '温度', DATA_SCHEMA: 'urn:温度' });
    expect(out).not.toContain('network error');
    expect(code).toBe(0);
    const [event] = endpoint.accepted();
    expect(event).toMatchObject({ channel: '温度', ce: { subject: '温度', dataschema: 'urn:%E6%B8%A9%E5%BA%A6' }, query: { data_schema: 'urn:%E6%B8%A9%E5%BA%A6' } });
  });

  it('warns, without failing, when structured mode targets a Drogue-style /v1/{channel} URL (finding 4)', async () => {
    const { code, out, endpoint } = await check({ CONTENT_MODE: 'structured' });
    expect(out).toMatch(/^warn +content mode +structured mode to a Drogue-style \/v1\/foo URL: Drogue stores the whole envelope as the payload; use CONTENT_MODE=binary for Drogue$/m);
    expect(code).toBe(0);
    // What went out is what Drogue's JSON test recognises, and it is stored whole.
    const [event] = endpoint.accepted();
    expect(event?.headers['content-type']).toBe('application/cloudevents+json');
    expect(event).toMatchObject({ mode: 'structured', dataContentType: 'application/json', data: { specversion: '1.0', subject: 'foo' } });
  });

  it('says nothing about the content mode in binary mode', async () => {
    const { code, out } = await check({});
    expect(code).toBe(0);
    expect(out).not.toMatch(/content mode/);
  });
});
