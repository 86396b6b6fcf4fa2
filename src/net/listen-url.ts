// The one place a listen address becomes a URL a client can use: a wildcard bind
// (0.0.0.0, ::, or an empty host) is reached through its loopback address.

export interface ListenAddress {
  host: string;
  port: number;
}

/** The host a local client connects to for a server bound to `host`. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** `http://host:port` for a server bound to `listen` (IPv6 hosts bracketed, wildcards as loopback). */
export function listenUrl(listen: ListenAddress): string {
  const host = connectHost(listen.host);
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}
