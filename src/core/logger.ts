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
 * The root logger. `json` writes pino's JSON lines; `text` writes one readable line per
 * record with a full timestamp (like the Go Sidecar's logrus text format). No pino transports:
 * they need worker files and break the single-executable build.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const level: LevelWithSilent = options.level;
  if (options.format === 'json') {
    return pino({ level, base: null }, destination);
  }
  return pino(
    { level, base: null },
    { write: (line: string) => destination.write(formatTextLine(line)) },
  );
}

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
