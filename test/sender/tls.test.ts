// HTTPS with a private CA (CA_FILE), and the development-only TLS_INSECURE, against a
// real TLS server on 127.0.0.1 whose certificate a CA made here signed.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import type { EndpointConfig } from '../../src/config/config.js';
import { HttpSender } from '../../src/sender/http-sender.js';
import { tempDir } from '../helpers/daemon-process.js';
import { endpointConfig } from '../helpers/endpoint-config.js';

const hasOpenssl = existsSync('/usr/bin/openssl');
if (!hasOpenssl) console.warn('TLS tests skipped: /usr/bin/openssl is missing');

const MESSAGE = { headers: { 'content-type': 'application/json' }, body: '{"temp":21}' };
const dir = tempDir('dht-tls-');
let server: Server;
let endpoint: EndpointConfig;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir.path, stdio: 'ignore' });
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=dht-telemetry test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > ext.cnf'], { cwd: dir.path });
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  server = createServer({ key: readFileSync(join(dir.path, 'server.key')), cert: readFileSync(join(dir.path, 'server.pem')) }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = endpointConfig({ url: new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/status`) });
});

afterAll(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

async function send(overrides: Partial<EndpointConfig>) {
  const sender = new HttpSender({ endpoint: { ...endpoint, ...overrides }, clock: systemClock });
  try {
    return await sender.send(MESSAGE);
  } finally {
    await sender.close();
  }
}

describe.skipIf(!hasOpenssl)('HTTPS', () => {
  it('trusts a private CA given in CA_FILE', async () => {
    expect(await send({ caFile: join(dir.path, 'ca.pem') })).toMatchObject({ outcome: 'delivered', status: 202 });
  });

  it('refuses an unknown CA (and retries later rather than sending in the clear)', async () => {
    const result = await send({});
    expect(result).toMatchObject({ outcome: 'retry', status: null });
    if (result.outcome === 'retry') expect(result.reason).toMatch(/certificate|CERT|SIGNATURE/i);
  });

  it('skips the check with TLS_INSECURE (development only)', async () => {
    expect(await send({ tlsInsecure: true })).toMatchObject({ outcome: 'delivered', status: 202 });
  });
});
