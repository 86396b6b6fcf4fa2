import { OPTIONS, rangeText } from '../config/options.js';

export function helpText(version: string): string {
  const lines = [
    `dht-telemetry ${version}: DHT11/DHT22/AM2302 readings as CloudEvents to a Drogue-IoT-style HTTP endpoint`,
    '',
    'Usage: dht-telemetry [command] [--option value ...]',
    '',
    'Commands:',
    '  run        the daemon (default)',
    '  demo       a local endpoint and the daemon with the simulator, printing each event received',
    '  endpoint   a local Drogue-style endpoint: --port 8088 --host 127.0.0.1 [--user device@app:password ...] [--control]',
    '  check      validate the configuration, take one reading, send one event (--no-send skips sending)',
    '  read       take one reading and print it as JSON',
    '  health     ask a running daemon\'s /healthz (exit 0 healthy, 1 not) [--url http://127.0.0.1:9464/healthz]',
    '  outbox     list the dead-letter table of DATA_DIR [--limit 20]',
    '  outbox replay  put dead letters back into the queue, in their order [--status N] [--since TIME]',
    '',
    'Every option is an environment variable and a flag; flags win. Defaults (and, for durations, ranges) in brackets.',
  ];
  let group = '';
  for (const o of OPTIONS) {
    if (o.group !== group) {
      group = o.group;
      lines.push('', `${group[0]?.toUpperCase()}${group.slice(1)}:`);
    }
    const flag = o.boolean ? o.flag : `${o.flag} VALUE`;
    const range = o.range ? `${o.default === '' ? '' : '; '}${rangeText(o.range)}` : '';
    const def = o.default === '' && range === '' ? '' : ` [${o.default}${range}]`;
    lines.push(`  ${o.env.padEnd(21)} ${flag.padEnd(30)} ${o.help}${def}`);
  }
  lines.push('', 'Exit codes: 0 ok, 1 failure, 64 bad command line, 78 bad configuration (systemd: RestartPreventExitStatus=78).');
  return lines.join('\n');
}
