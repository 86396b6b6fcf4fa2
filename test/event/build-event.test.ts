import { CloudEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { buildEvent, encodeEvent } from './sdk-oracle.js';
import { EVENT_TYPE, type EventContext } from '../../src/event/event-shape.js';
import type { Reading } from '../../src/event/reading.js';

const READING: Reading = { id: '7f0c2a36-5a3f-4a55-9d1e-3f9a3b0c9e11', sensor: 'attic', temperature: 21.3, humidity: 45.1, time: Date.UTC(2026, 10, 25, 12, 0, 0, 250) };
const CTX: EventContext = { appId: 'dejanb', deviceId: 'pi', channel: 'status', dataSchema: 'urn:drogue:iot:temperature', geolocation: { lat: 44.8166, lon: 20.4721 }, nameSensors: false };

describe('buildEvent (DESIGN §4)', () => {
  const event = buildEvent(READING, CTX);

  it('sets every required and optional attribute', () => {
    expect(event.specversion).toBe('1.0');
    expect(event.id).toBe(READING.id);
    expect(event.source).toBe('drogue://dejanb/pi');
    expect(event.type).toBe(EVENT_TYPE);
    expect(event.subject).toBe('status');
    expect(event.time).toBe('2026-11-25T12:00:00.250Z');
    expect(event.dataschema).toBe('urn:drogue:iot:temperature');
    expect(event.datacontenttype).toBe('application/json');
  });

  it('carries numbers as numbers, the geolocation, and the measurement time in the data', () => {
    expect(event.data).toEqual({ temp: 21.3, hum: 45.1, geoloc: { lat: 44.8166, lon: 20.4721 }, time: '2026-11-25T12:00:00.250Z' });
  });

  it('leaves geoloc out when no location is configured, and names the sensor only when there are several', () => {
    expect(buildEvent(READING, { ...CTX, geolocation: null }).data).not.toHaveProperty('geoloc');
    const named = buildEvent(READING, { ...CTX, nameSensors: true });
    expect(named.data?.sensor).toBe('attic');
    expect(named['sensor']).toBe('attic');
    expect(event.data).not.toHaveProperty('sensor');
  });

  it('percent-encodes ids in the source URI', () => {
    expect(buildEvent(READING, { ...CTX, appId: 'my app', deviceId: 'pi/1' }).source).toBe('drogue://my%20app/pi%2F1');
  });
});

describe('encodeEvent', () => {
  const event = buildEvent(READING, { ...CTX, nameSensors: true });

  it('binary mode: ce-* headers and the data as a JSON body, readable by any CloudEvents receiver', () => {
    const message = encodeEvent(event, 'binary');
    expect(message.headers['content-type']).toBe('application/json');
    expect(message.headers['ce-id']).toBe(READING.id);
    expect(message.headers['ce-source']).toBe('drogue://dejanb/pi');
    expect(message.headers['ce-type']).toBe(EVENT_TYPE);
    expect(message.headers['ce-time']).toBe('2026-11-25T12:00:00.250Z');
    expect(message.headers['ce-sensor']).toBe('attic');
    expect(JSON.parse(message.body)).toEqual(event.data);
    const decoded = HTTP.toEvent({ headers: message.headers, body: message.body }) as CloudEvent;
    expect(decoded.id).toBe(READING.id);
  });

  it('structured mode: the whole event as application/cloudevents+json', () => {
    const message = encodeEvent(event, 'structured');
    expect(message.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    const body = JSON.parse(message.body) as Record<string, unknown>;
    expect(body).toMatchObject({ specversion: '1.0', id: READING.id, source: 'drogue://dejanb/pi', subject: 'status', data: event.data });
  });
});
