// The event's shape (DESIGN §4), apart from the CloudEvents SDK so that the daemon's
// hot path (encode-reading.ts) can use it without loading the SDK.
import type { DaemonConfig, Geolocation } from '../config/config.js';

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

/** The context every event of this device shares, from its configuration. */
export function eventContext(config: DaemonConfig): EventContext {
  const { endpoint } = config;
  return {
    appId: endpoint.appId,
    deviceId: endpoint.deviceId,
    channel: endpoint.channel,
    dataSchema: endpoint.dataSchema,
    geolocation: config.geolocation,
    nameSensors: config.sensors.length > 1,
  };
}
