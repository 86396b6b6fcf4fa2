// Every error the daemon raises on purpose: a stable `code` for logs, metrics and
// tests, a message for people, and the underlying `cause` when there is one.

export type ErrorCode =
  | 'E_CONFIG'
  | 'E_SENSOR_INIT'
  | 'E_SENSOR_TIMEOUT'
  | 'E_SENSOR_CHECKSUM'
  | 'E_SENSOR_READ'
  | 'E_SENSOR_IMPLAUSIBLE'
  | 'E_SENSOR_HUNG'
  | 'E_SENSOR_UNAVAILABLE'
  | 'E_GPIO_UNAVAILABLE'
  | 'E_GPIO'
  | 'E_OUTBOX'
  | 'E_SEND'
  | 'E_NOTIFY';

export class TelemetryError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One configuration problem: `NAME: problem (got X, expected Y)`. */
export class ConfigError extends TelemetryError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('E_CONFIG', `${variable}: ${message}`);
    this.variable = variable;
  }
}

/** All configuration problems found in one pass, reported together. */
export class ConfigErrors extends TelemetryError {
  readonly problems: ConfigError[];

  constructor(problems: ConfigError[]) {
    super('E_CONFIG', problems.map((p) => p.message).join('\n'));
    this.problems = problems;
  }
}

export type SensorErrorCode = Extract<ErrorCode, `E_SENSOR_${string}`>;

export class SensorError extends TelemetryError {
  constructor(code: SensorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
