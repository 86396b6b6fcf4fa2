import { describe, expect, it } from 'vitest';
import { DeviceDirectory, parseBasicAuth, parseDeviceUser, resolveIdentity } from '../../src/endpoint/device-auth.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('parseBasicAuth', () => {
  it('reads username and password, splitting at the first colon', () => {
    expect(parseBasicAuth(`Basic ${b64('pi@dejanb:foo:bar')}`)).toEqual({ username: 'pi@dejanb', password: 'foo:bar' });
    expect(parseBasicAuth(`Basic ${b64('a:')}`)).toEqual({ username: 'a', password: '' });
    expect(parseBasicAuth(`Basic ${b64('a:b').replace(/=+$/, '')}`)).toEqual({ username: 'a', password: 'b' });
  });

  // Drogue's AuthValue::from: the scheme exactly "Basic", one space, strict base64.
  it.each([undefined, '', 'Bearer x', 'Basic', `Basic ${b64('nocolon')}`, 'Basic @@@', `basic ${b64('a:b')}`, `Basic  ${b64('a:b')}`, `Basic ${b64('a:b')} `])('rejects %j', (header) => {
    expect(parseBasicAuth(header)).toBeNull();
  });
});

describe('resolveIdentity', () => {
  const creds = (username: string) => ({ username, password: 'pw' });

  it('splits {device}@{app} and percent-decodes the device once', () => {
    expect(resolveIdentity({}, creds('device%20id%20with%20space@app'))).toEqual({
      app: 'app',
      device: 'device id with space',
      username: null,
      password: 'pw',
    });
    expect(resolveIdentity({}, creds('a%2540b@app'))?.device).toBe('a%40b');
    // Drogue decodes leniently: a malformed % stays, bad UTF-8 becomes U+FFFD.
    expect(resolveIdentity({}, creds('%E0%A4%A@app'))?.device).toBe('\ufffd%A');
    expect(resolveIdentity({}, creds('pi'))).toBeNull();
    // The application part is taken as it is, never decoded.
    expect(resolveIdentity({}, creds('pi@dejan%62'))?.app).toBe('dejan%62');
  });

  it('follows the query forms of Drogue', () => {
    expect(resolveIdentity({ application: 'A' }, creds('pi'))).toMatchObject({ app: 'A', device: 'pi', username: null });
    // Username::into_string() writes a scoped user back as {app}@{device}.
    expect(resolveIdentity({ application: 'A' }, creds('pi@x'))).toMatchObject({ app: 'A', device: 'x@pi' });
    expect(resolveIdentity({ application: 'A', device: 'D' }, creds('u'))).toMatchObject({ app: 'A', device: 'D', username: 'u' });
    expect(resolveIdentity({ device: 'D' }, creds('u@A'))).toMatchObject({ app: 'A', device: 'D', username: 'u' });
    expect(resolveIdentity({ device: 'D' }, creds('u'))).toBeNull();
    expect(resolveIdentity({ application: 'A' }, null)).toBeNull();
  });
});

describe('DeviceDirectory', () => {
  const dir = new DeviceDirectory([
    { app: 'A', device: 'pi', password: 'pw' },
    { app: 'A', device: 'gw', password: 'gpw', username: 'gateway' },
  ]);

  it('checks app, device, password and, for username forms, the username', () => {
    expect(dir.verify({ app: 'A', device: 'pi', username: null, password: 'pw' })).toBe(true);
    expect(dir.verify({ app: 'A', device: 'pi', username: 'pi', password: 'pw' })).toBe(true);
    expect(dir.verify({ app: 'A', device: 'pi', username: null, password: 'pw2' })).toBe(false);
    expect(dir.verify({ app: 'B', device: 'pi', username: null, password: 'pw' })).toBe(false);
    expect(dir.verify({ app: 'A', device: 'gw', username: 'gateway', password: 'gpw' })).toBe(true);
    expect(dir.verify({ app: 'A', device: 'gw', username: 'gw', password: 'gpw' })).toBe(false);
    expect(dir.verify(null)).toBe(false);
  });

  it('is open with no users', () => {
    expect(new DeviceDirectory().open).toBe(true);
    expect(new DeviceDirectory([]).verify(null)).toBe(true);
  });
});

describe('parseDeviceUser', () => {
  it('reads DEVICE@APP:PASSWORD like a device username', () => {
    expect(parseDeviceUser('pi@dejanb:foo:bar')).toEqual({ app: 'dejanb', device: 'pi', password: 'foo:bar' });
    expect(parseDeviceUser('my%20pi@lab:x')).toEqual({ app: 'lab', device: 'my pi', password: 'x' });
  });

  it.each(['pi@dejanb', 'pi@dejanb:', 'pi:pw', '@dejanb:pw', ':pw'])('refuses %j with a ConfigError naming the flag', (spec) => {
    expect(() => parseDeviceUser(spec)).toThrow(/^--user: expected DEVICE@APP:PASSWORD/);
    try {
      parseDeviceUser(spec);
    } catch (err) {
      expect(err).toMatchObject({ code: 'E_CONFIG', variable: '--user' });
      expect((err as Error).message).not.toContain('pw');
    }
  });
});
