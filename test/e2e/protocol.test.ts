// Issue 14's binary-mode proof: names with non-ASCII, space, `"` and `%` in every
// attribute that comes from user input, through the BUILT daemon, against a receiver
// on 127.0.0.1 that captures the raw header bytes. Every ce-* header must be printable
// ASCII (HTTP binding 3.1.3.2), the spec-written decoder must give back the original
// value, and events must arrive for each input.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { decodeHeaderValue } from '../../src/event/ce-header.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';

interface Captured {
  path: string;
  /** Raw header pairs as they came off the wire (latin1, i.e. byte for byte). */
  raw: Array<[string, string]>;
  body: string;
}

const cleanups = cleanupAfterEach();

async function capturingReceiver(): Promise<{ url: string; requests: Captured[]; server: Server }> {
  const requests: Captured[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
      requests.push({ path: req.url ?? '', raw, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => server.closeAllConnections());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ceHeaders(c: Captured): Record<string, string> {
  return Object.fromEntries(c.raw.filter(([n]) => n.toLowerCase().startsWith('ce-')).map(([n, v]) => [n.toLowerCase().slice(3), v]));
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

// Each input: the daemon's variables and the attribute values a receiver must decode.
const INPUTS = [
  {
    name: 'non-Latin-1 channel and schema (finding 1: delivery used to stop)',
    env: { CHANNEL: '温度', DATA_SCHEMA: 'urn:温度' },
    base: true,
    expected: { subject: '温度', dataschema: 'urn:%E6%B8%A9%E5%BA%A6', source: 'drogue://dejanb/pi' },
  },
  {
    name: 'space, double quote, percent and non-ASCII in every user-given attribute',
    env: {
      APP_ID: 'ąpp "x" 50%',
      DEVICE_ID: 'pi 1 "ü" %41',
      CHANNEL: 'küche "a" 5% b',
      DATA_SCHEMA: 'urn:x:k%C3%BCche:%22q%22:50%25:a%20b',
      SENSORS: 'wohn zimmer "1" 9%:sim:4,dachgeschoß:sim:17',
    },
    base: true,
    expected: {
      subject: 'küche "a" 5% b',
      dataschema: 'urn:x:k%C3%BCche:%22q%22:50%25:a%20b',
      source: `drogue://${encodeURIComponent('ąpp "x" 50%')}/${encodeURIComponent('pi 1 "ü" %41')}`,
    },
  },
  {
    name: 'a percent sequence that a receiver would otherwise decode (%41 is not A)',
    env: { DEVICE_ID: '%41', CHANNEL: '%41' },
    base: true,
    expected: { subject: '%41', source: 'drogue://dejanb/%2541' },
  },
] as const;

describe('binary mode through the built daemon: every ce-* header is printable ASCII and decodes to the original', () => {
  for (const input of INPUTS) {
    it(input.name, async () => {
      const receiver = await capturingReceiver();
      const dir = tempDir('dht-proto-');
      cleanups.push(dir.remove);
      const env = seedEnv(receiver.url, dir.path, { ...input.env, ...(input.base ? { ENDPOINT: receiver.url } : {}) });
      const daemon = new DaemonProcess(['run'], env);
      cleanups.push(() => daemon.kill());
      const sensors = 'SENSORS' in input.env ? input.env.SENSORS.split(',').map((s) => s.split(':')[0]) : [null];
      await until(
        () => sensors.every((s) => receiver.requests.some((r) => s === null || decodeHeaderValue(ceHeaders(r).sensor ?? '') === s)),
        20_000,
        `an event from each sensor (stdout: ${daemon.stdout.slice(-600)})`,
      );
      expect(await daemon.stop()).toBe(0);

      for (const request of receiver.requests) {
        const ce = ceHeaders(request);
        for (const [name, value] of Object.entries(ce)) expect(value, `ce-${name}`).toMatch(PRINTABLE_ASCII);
        const decoded = Object.fromEntries(Object.entries(ce).map(([n, v]) => [n, decodeHeaderValue(v)]));
        expect(decoded).toMatchObject(input.expected);
        // The subject is the channel actually posted to.
        expect(request.path.split('?')[0]).toBe(`/v1/${encodeURIComponent(decoded.subject ?? '')}`);
        const data = JSON.parse(request.body) as Record<string, unknown>;
        expect(data.time).toBe(decoded.time);
        if (sensors[0] !== null) {
          expect(sensors).toContain(decoded.sensor);
          expect(data.sensor).toBe(decoded.sensor);
        }
      }
    });
  }
});

describe('structured mode through the built daemon: the same inputs, valid against the official CloudEvents schema', () => {
  it('every attribute from user input arrives as given, in application/cloudevents+json without parameters', async () => {
    const receiver = await capturingReceiver();
    const dir = tempDir('dht-proto-');
    cleanups.push(dir.remove);
    const input = INPUTS[1];
    const daemon = new DaemonProcess(['run'], seedEnv(receiver.url, dir.path, { ...input.env, ENDPOINT: receiver.url, CONTENT_MODE: 'structured' }));
    cleanups.push(() => daemon.kill());
    await until(() => receiver.requests.length >= 2, 20_000, `two events (stdout: ${daemon.stdout.slice(-600)})`);
    expect(await daemon.stop()).toBe(0);
    for (const request of receiver.requests) {
      const contentType = request.raw.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
      expect(contentType).toBe('application/cloudevents+json');
      // The SDK reads the envelope and validates it against the official schema (strict).
      const event = HTTP.toEvent({ headers: { 'content-type': contentType }, body: request.body }) as CloudEvent<Record<string, unknown>>;
      expect(event.validate()).toBe(true);
      expect(event).toMatchObject(input.expected);
      expect(['wohn zimmer "1" 9%', 'dachgeschoß']).toContain(event.sensor);
    }
  });
});
