// The README's configuration table, its `podman run` line and the units' sample
// environment file must stay true to the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { OPTIONS, rangeText } from '../src/config/options.js';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

describe('README', () => {
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## The event'));
  const rows = [...table.matchAll(/^\| `([A-Z_]+)`(?: \/ `([A-Z_]+)`|, `([A-Z_]+)`)? \| ([^|]*) \|/gm)];

  it('documents only options that exist, with the defaults the code uses', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const [, name, second, third, shown] of rows) {
      for (const env of [name, second, third].filter(Boolean)) {
        const option = OPTIONS.find((o) => o.env === env);
        expect(option, `${env} in the README is not an option`).toBeDefined();
      }
      const option = OPTIONS.find((o) => o.env === name);
      const first = (shown ?? '').split(' / ')[0]?.trim().replace(/`/g, '') ?? '';
      if (option && option.default !== '' && !first.startsWith('(')) expect(first, `default of ${name}`).toBe(option.default);
    }
  });

  it('gives every duration its range, as the loader checks it, on a line naming the option', () => {
    const lines = readme.split('\n');
    for (const option of OPTIONS.filter((o) => o.range)) {
      const range = rangeText(option.range ?? { min: 0, max: 0 });
      expect(lines.some((l) => l.includes(`\`${option.env}\``) && l.includes(range)), `${option.env}: ${range}`).toBe(true);
    }
  });

  it('mentions every option somewhere', () => {
    for (const option of OPTIONS) expect(readme, option.env).toContain(`\`${option.env}\``);
  });

  it("the seed's podman run line is valid configuration, quoted geolocation included", () => {
    const line = /podman run --rm --device=\/dev\/gpiochip0 \\\n([\s\S]*?) IMAGE/.exec(readme)?.[1] ?? '';
    const env: Record<string, string> = Object.fromEntries([...line.matchAll(/-e ([A-Z_]+)=('[^']*'|\S+)/g)].map((m): [string, string] => [m[1] ?? '', (m[2] ?? '').replace(/^'|'$/g, '')]));
    expect(Object.keys(env)).toEqual(['ENDPOINT', 'APP_ID', 'DEVICE_ID', 'DEVICE_PASSWORD', 'GEOLOCATION']);
    const config = loadConfig(env, { requireEndpoint: true });
    expect(config.geolocation).toEqual({ lat: 44.8166, lon: 20.4721 });
    expect(config.endpoint?.url.href).toBe('https://http.sandbox.drogue.cloud/v1/foo');
  });
});

describe('systemd/dht-telemetry.env.example', () => {
  it('loads as it is (as Podman reads it, values literal), with the password from the secret', () => {
    const text = readFileSync(new URL('systemd/dht-telemetry.env.example', root), 'utf8');
    const env: Record<string, string> = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const config = loadConfig({ ...env, DEVICE_PASSWORD: 'from-the-secret' }, { requireEndpoint: true });
    expect(config.sensors).toEqual([{ name: 'default', model: 'DHT22', pin: 4, powerPin: null }]);
    expect(config.geolocation).toEqual({ lat: 44.8166, lon: 20.4721 });
  });
});
