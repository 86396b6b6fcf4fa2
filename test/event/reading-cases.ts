// Readings and event contexts that the encoder's tests (and the stored payload's) run through:
// the seed device, its variants, and every user-given attribute made hostile.
import type { EventContext } from '../../src/event/event-shape.js';
import type { Reading } from '../../src/event/reading.js';

export const READING: Reading = { id: '7f0c2a36-5a3f-4a55-9d1e-3f9a3b0c9e11', sensor: 'attic', temperature: 21.3, humidity: 45.1, time: Date.UTC(2026, 10, 25, 12, 0, 0, 250) };
export const CTX: EventContext = { appId: 'dejanb', deviceId: 'pi', channel: 'status', dataSchema: 'urn:drogue:iot:temperature', geolocation: { lat: 44.8166, lon: 20.4721 }, nameSensors: false };

// Every attribute that comes from user input, with non-ASCII, space, `"` and `%` in each.
// dataschema must stay a URI (the official schema's format), so it carries them encoded.
export const HOSTILE_READING: Reading = { ...READING, id: 'ïd "1" 100% ok', sensor: 'wohn zimmer "1" 9% ß' };
export const HOSTILE: EventContext = {
  appId: 'ąpp "x" 50%',
  deviceId: 'pi 1 "ü" %41',
  channel: 'küche "a" 5% 温度',
  dataSchema: 'urn:x:k%C3%BCche:%22q%22:50%25:a%20b',
  geolocation: { lat: 1, lon: 2, place: 'Küche "Süd" 5%', alt: 120 },
  nameSensors: true,
};

export const cases: Array<[string, Reading, EventContext]> = [
  ['the seed device', READING, CTX],
  ['no geolocation', READING, { ...CTX, geolocation: null }],
  ['several sensors', READING, { ...CTX, nameSensors: true }],
  ['several sensors, no geolocation', READING, { ...CTX, nameSensors: true, geolocation: null }],
  ['ids that need encoding', READING, { ...CTX, appId: 'my app', deviceId: 'pi/1@x' }],
  ['negative and whole numbers', { ...READING, temperature: -4, humidity: 100, time: 0 }, { ...CTX, geolocation: { lat: -33.9, lon: 151 } }],
  ['another channel and schema', READING, { ...CTX, channel: 'telemetry', dataSchema: 'urn:x:y' }],
  ['non-ASCII, space, double quote and percent in every user-given attribute', HOSTILE_READING, HOSTILE],
];
