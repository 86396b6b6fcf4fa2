// Reading → CloudEvent (DESIGN §4) → HTTP message. Binary mode by default: a
// Drogue endpoint ignores ce-* headers and takes the body as the payload, and
// any other CloudEvents receiver reads the headers.
import { CloudEvent, HTTP } from 'cloudevents';
import type { ContentMode, Geolocation } from '../config/config.js';
import type { Reading } from './reading.js';

export const EVENT_TYPE = 'io.drogue.dht.reading.v1';

export interface EventContext {
  appId: string;
  deviceId: string;
  channel: string;
  dataSchema: string;
  geolocation: Geolocation | null;
  /** Add the sensor's name to data and as the `sensor` extension (devices with several sensors). */
  nameSensors: boolean;
}

export interface ReadingData {
  temp: number;
  hum: number;
  geoloc?: Geolocation;
  /** Measurement time again: Drogue stamps its own event with the arrival time. */
  time: string;
  sensor?: string;
}

/** What the outbox stores and the sender posts, headers without credentials. */
export interface HttpMessage {
  headers: Record<string, string>;
  body: string;
}

export function eventSource(appId: string, deviceId: string): string {
  return `drogue://${encodeURIComponent(appId)}/${encodeURIComponent(deviceId)}`;
}

export function buildEvent(reading: Reading, ctx: EventContext): CloudEvent<ReadingData> {
  const time = new Date(reading.time).toISOString();
  const data: ReadingData = { temp: reading.temperature, hum: reading.humidity, time };
  if (ctx.geolocation) data.geoloc = { lat: ctx.geolocation.lat, lon: ctx.geolocation.lon };
  if (ctx.nameSensors) data.sensor = reading.sensor;
  return new CloudEvent<ReadingData>({
    specversion: '1.0',
    id: reading.id,
    source: eventSource(ctx.appId, ctx.deviceId),
    type: EVENT_TYPE,
    subject: ctx.channel,
    time,
    dataschema: ctx.dataSchema,
    datacontenttype: 'application/json',
    data,
    ...(ctx.nameSensors ? { sensor: reading.sensor } : {}),
  });
}

export function encodeEvent(event: CloudEvent<ReadingData>, mode: ContentMode): HttpMessage {
  const message = mode === 'structured' ? HTTP.structured(event) : HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers)) if (value !== undefined) headers[key.toLowerCase()] = String(value);
  return { headers, body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body) };
}
