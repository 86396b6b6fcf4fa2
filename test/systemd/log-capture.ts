// Collects the daemon's JSON log lines so tests can assert on fields, not strings.
import { createLogger, type Logger } from '../../src/log/logger.js';

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('trace', {
    write(chunk: string) {
      lines.push(JSON.parse(chunk) as LogLine);
    },
  });
  return { logger, lines };
}
