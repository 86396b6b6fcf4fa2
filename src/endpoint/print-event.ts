// One line per received request for a terminal, as `dht-telemetry endpoint` prints
// them. Reads the payload of DESIGN §4: {temp, hum, geoloc?, time, sensor?}.
import { STATUS_CODES } from 'node:http';
import { NO_RESPONSE, type ReceivedEvent } from './endpoint-server.js';

/** How far the measurement time may lag the arrival before the line shows both. */
const LATE_MS = 60_000;

export function formatReceivedEvent(e: ReceivedEvent): string {
  const parts = [isoSeconds(e.receivedAt), who(e)];
  const data = asRecord(e.data);
  if (e.mode === 'structured') {
    // Drogue stores the envelope as the payload: consumers find no temp at its top level.
    const inner = asRecord(data?.data);
    parts.push(`structured envelope stored whole (data.temp ${num(inner?.temp)} °C)`);
  } else if (data) {
    parts.push(`${num(data.temp)} °C`, `${num(data.hum)} %RH`);
    const geoloc = asRecord(data.geoloc);
    if (geoloc) parts.push(`at ${String(geoloc.lat)},${String(geoloc.lon)}`);
    const sensor = typeof data.sensor === 'string' ? data.sensor : typeof data.name === 'string' ? data.name : null;
    if (sensor) parts.push(`sensor ${sensor}`);
    const measured = typeof data.time === 'string' ? Date.parse(data.time) : NaN;
    if (Number.isFinite(measured) && e.receivedAt - measured > LATE_MS) parts.push(`measured ${isoSeconds(measured)}`);
  } else if (e.rawBody.length > 0 && e.body === null) {
    parts.push(`(body not JSON, ${Buffer.byteLength(e.rawBody)} bytes${e.dataContentType ? ` stored as ${e.dataContentType}` : ''})`);
  }
  parts.push(status(e));
  return parts.join('  ');
}

function who(e: ReceivedEvent): string {
  const device = e.device ?? '?';
  return e.app === null ? device : `${device}@${e.app}`;
}

function status(e: ReceivedEvent): string {
  if (e.status === NO_RESPONSE) return 'no response (connection dropped)';
  if (e.command !== null) return `${e.status} command ${e.command}`;
  return `${e.status} ${(STATUS_CODES[e.status] ?? '').toLowerCase()}`.trimEnd();
}

function num(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(1) : '--';
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
