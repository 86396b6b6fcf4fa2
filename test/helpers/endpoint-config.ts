import type { EndpointConfig } from '../../src/config/config.js';

/** The seed's endpoint settings as the sender sees them, with overrides. */
export function endpointConfig(overrides: Partial<EndpointConfig> = {}): EndpointConfig {
  return {
    url: new URL('https://http.sandbox.drogue.cloud/v1/foo'),
    channel: 'status',
    appId: 'dejanb',
    deviceId: 'pi',
    password: 'foobar',
    dataSchema: 'urn:drogue:iot:temperature',
    contentMode: 'binary',
    caFile: null,
    tlsInsecure: false,
    requestTimeoutMs: 5000,
    commandTimeoutS: 0,
    ...overrides,
  };
}
