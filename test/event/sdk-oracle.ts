// Reading → CloudEvent (DESIGN §4) → HTTP message, through the CloudEvents SDK: the
// tests' oracle. What the daemon and `check` send is src/event/encode-reading.ts, and
// test/event/encode-reading.test.ts holds the two equal (the SDK neither percent-encodes
// header values nor drops the structured charset, so for headers the spec text is the
// oracle, not the SDK). The SDK is a devDependency: the image carries only what runs.
// Binary mode by
// default: a Drogue endpoint ignores ce-* headers and takes the body as the
// payload, and any other CloudEvents receiver reads the headers.
import { CloudEvent, HTTP } from 'cloudevents';
import type { ContentMode } from '../../src/config/config.js';
import { EVENT_TYPE, eventSource, type EventContext, type HttpMessage, type ReadingData } from '../../src/event/event-shape.js';
import { readingData } from '../../src/event/encode-reading.js';
import type { Reading } from '../../src/event/reading.js';

export function buildEvent(reading: Reading, ctx: EventContext): CloudEvent<ReadingData> {
  const time = new Date(reading.time).toISOString();
  const data = readingData(reading, ctx, time);
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
