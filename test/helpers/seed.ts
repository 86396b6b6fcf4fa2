/** The environment of the seed's `podman run` line (DESIGN §3), which must work as is. */
export const SEED_ENV = {
  ENDPOINT: 'https://http.sandbox.drogue.cloud/v1/foo',
  APP_ID: 'dejanb',
  DEVICE_ID: 'pi',
  DEVICE_PASSWORD: 'foobar',
  GEOLOCATION: '{"lat": "44.8166", "lon": "20.4721"}',
} as const;
