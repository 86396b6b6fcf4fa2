import { describe, expect, it } from 'vitest';
import type { ReceivedEvent } from '../../src/endpoint/endpoint-server.js';
import { formatReceivedEvent } from '../../src/endpoint/print-event.js';

const AT = Date.parse('2026-03-01T12:00:05.123Z');

function event(overrides: Partial<ReceivedEvent> = {}): ReceivedEvent {
  const data = { temp: 21.34, hum: 45.1, geoloc: { lat: 44.8166, lon: 20.4721 }, time: '2026-03-01T12:00:04.900Z' };
  return {
    receivedAt: AT,
    method: 'POST',
    path: '/v1/status',
    channel: 'status',
    subject: null,
    query: {},
    headers: {},
    app: 'dejanb',
    device: 'pi',
    body: data,
    rawBody: JSON.stringify(data),
    dataContentType: 'application/json',
    status: 202,
    mode: 'binary',
    data,
    ce: {},
    ceInvalid: [],
    command: null,
    ...overrides,
  };
}

describe('formatReceivedEvent', () => {
  it('shows time, device, readings, place and status on one line', () => {
    expect(formatReceivedEvent(event())).toBe(
      '2026-03-01T12:00:05Z  pi@dejanb  21.3 °C  45.1 %RH  at 44.8166,20.4721  202 accepted',
    );
  });

  it('names the sensor when the payload carries one, and leaves out a missing geolocation', () => {
    const data = { temp: 19, hum: 60, time: '2026-03-01T12:00:05Z', sensor: 'attic' };
    expect(formatReceivedEvent(event({ data, body: data }))).toBe(
      '2026-03-01T12:00:05Z  pi@dejanb  19.0 °C  60.0 %RH  sensor attic  202 accepted',
    );
  });

  it('adds the measurement time of a reading delivered late (after an outage)', () => {
    const data = { temp: 20, hum: 50, time: '2026-03-01T09:30:00.000Z' };
    expect(formatReceivedEvent(event({ data, body: data }))).toContain('measured 2026-03-01T09:30:00Z  202 accepted');
  });

  it('shows a command answer, a refusal and a dropped connection', () => {
    expect(formatReceivedEvent(event({ status: 200, command: 'set-interval' }))).toMatch(/200 command set-interval$/);
    expect(formatReceivedEvent(event({ status: 403, app: null, device: null }))).toMatch(/^\S+ {2}\? .* 403 forbidden$/);
    expect(formatReceivedEvent(event({ status: 0 }))).toMatch(/no response \(connection dropped\)$/);
  });

  it('says so when the body was not JSON', () => {
    const line = formatReceivedEvent(event({ status: 406, body: null, data: null, dataContentType: null, mode: null, rawBody: 'temp=21' }));
    expect(line).toBe('2026-03-01T12:00:05Z  pi@dejanb  (body not JSON, 7 bytes)  406 not acceptable');
    const stored = formatReceivedEvent(event({ status: 202, body: null, data: 'temp=21', dataContentType: 'text/plain', mode: null, rawBody: 'temp=21' }));
    expect(stored).toBe('2026-03-01T12:00:05Z  pi@dejanb  (body not JSON, 7 bytes stored as text/plain)  202 accepted');
  });

  it('shows that a structured event is stored whole, so temp is not at the top level', () => {
    const envelope = { specversion: '1.0', id: 'x', source: 's', type: 't', data: { temp: 21.34 } };
    const line = formatReceivedEvent(event({ mode: 'structured', body: envelope, data: envelope, rawBody: JSON.stringify(envelope) }));
    expect(line).toBe('2026-03-01T12:00:05Z  pi@dejanb  structured envelope stored whole (data.temp 21.3 °C)  202 accepted');
  });
});
