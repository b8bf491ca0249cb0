import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/** The logger every component receives (a pino child with a `component` binding). */
export type Logger = PinoLogger;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level: LogLevel | 'silent';
  format: LogFormat;
  /** Where lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
}

/**
 * The root logger. `json` writes one JSON object per line shaped like the Go Sidecar's logrus
 * `JSONFormatter` (see {@link logrusJsonOptions}); `text` writes one readable line per record
 * with a full timestamp (like the Go Sidecar's logrus text format). No pino transports: they
 * need worker files and break the single-executable build.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const level: LevelWithSilent = options.level;
  if (options.format === 'json') {
    return pino({ level, base: null, ...logrusJsonOptions }, destination);
  }
  return pino(
    { level, base: null },
    { write: (line: string) => destination.write(formatTextLine(line)) },
  );
}

/** logrus's level names (`Level.String()`): `warning`, not pino's `warn`. */
const LOGRUS_LEVELS: Readonly<Record<string, string>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
  fatal: 'fatal',
};

/** The keys logrus owns; a field with one of these names is written as `fields.<name>`, as logrus does. */
const RESERVED_KEYS = ['level', 'time', 'msg'] as const;

/**
 * pino options that make its JSON lines match what log pipelines built for the Go Sidecar
 * parse (logrus `JSONFormatter{}`: `{"level":"info","msg":"…","time":"<RFC 3339>",…fields}`):
 * level names instead of pino's numbers, an RFC 3339 time (UTC, with milliseconds: Go's
 * `time.Parse(time.RFC3339, …)` accepts the fraction) instead of epoch milliseconds, `msg`
 * for the message. Key order differs from logrus's sorted keys, which no JSON reader sees.
 */
export const logrusJsonOptions = {
  messageKey: 'msg',
  timestamp: () => `,"time":"${new Date().toISOString()}"`,
  formatters: {
    level: (label: string) => ({ level: LOGRUS_LEVELS[label] ?? label }),
    log: (record: Record<string, unknown>): Record<string, unknown> => {
      if (!RESERVED_KEYS.some((k) => k in record)) return record;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(record)) out[(RESERVED_KEYS as readonly string[]).includes(k) ? `fields.${k}` : k] = v;
      return out;
    },
  },
} as const;

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns one pino JSON line into `2026-11-24T20:49:00.123Z INFO  [component] msg key=value…`. */
export function formatTextLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { level, msg, component, time, ...rest } = record;
  const stamp = new Date(typeof time === 'number' ? time : Date.now()).toISOString();
  const levelName = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  const prefix = typeof component === 'string' ? `[${component}] ` : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${stamp} ${levelName} ${prefix}${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
