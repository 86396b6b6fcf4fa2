// Reading → HTTP message, written out directly: the same event as
// encodeEvent(buildEvent(...)) makes with the CloudEvents SDK (test/event/sdk-oracle.ts;
// test/event/encode-reading.test.ts holds them equal), without loading the SDK. Two
// deliberate differences from the SDK: binary-mode header values are
// percent-encoded as the HTTP binding (3.1.3.2) requires, and structured mode's
// content type has no charset parameter (JSON is UTF-8, and Drogue's JSON test is
// a suffix match on the whole content type). The daemon
// encodes every reading here: the SDK and its validator (ajv) cost ~9 MB of RSS,
// ~80 ms at start and a schema validation per event on a device that never
// builds anything but this one event shape.
import type { ContentMode } from '../config/config.js';
import { encodeHeaderValue } from './ce-header.js';
import { EVENT_TYPE, eventSource, type EventContext, type HttpMessage, type ReadingData } from './event-shape.js';
import type { Reading } from './reading.js';

export const BINARY_CONTENT_TYPE = 'application/json';
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

export function readingData(reading: Reading, ctx: EventContext, time: string): ReadingData {
  const data: ReadingData = { temp: reading.temperature, hum: reading.humidity, time };
  if (ctx.geolocation) data.geoloc = { ...ctx.geolocation };
  if (ctx.nameSensors) data.sensor = reading.sensor;
  return data;
}

/** The attribute order of the SDK's output (binary headers and structured JSON alike). */
export function encodeReading(reading: Reading, ctx: EventContext, mode: ContentMode): HttpMessage {
  const time = new Date(reading.time).toISOString();
  const data = readingData(reading, ctx, time);
  const source = eventSource(ctx.appId, ctx.deviceId);
  if (mode === 'structured') {
    const event: Record<string, unknown> = {
      id: reading.id,
      time,
      type: EVENT_TYPE,
      source,
      specversion: '1.0',
      datacontenttype: BINARY_CONTENT_TYPE,
      subject: ctx.channel,
      dataschema: ctx.dataSchema,
      data,
    };
    if (ctx.nameSensors) event.sensor = reading.sensor;
    return { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body: JSON.stringify(event) };
  }
  const headers: Record<string, string> = {
    'content-type': BINARY_CONTENT_TYPE,
    'ce-id': encodeHeaderValue(reading.id),
    'ce-time': time,
    'ce-type': EVENT_TYPE,
    'ce-source': encodeHeaderValue(source),
    'ce-specversion': '1.0',
    'ce-subject': encodeHeaderValue(ctx.channel),
    'ce-dataschema': encodeHeaderValue(ctx.dataSchema),
  };
  if (ctx.nameSensors) headers['ce-sensor'] = encodeHeaderValue(reading.sensor);
  return { headers, body: JSON.stringify(data) };
}
