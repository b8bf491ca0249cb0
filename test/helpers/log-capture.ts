import { pino } from 'pino';
import type { Logger } from '../../src/core/index.js';

/** One pino record as written (level is pino's number: 30 info, 40 warn, 50 error). */
export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger (debug level) whose records are kept in `records` for assertions. */
export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'debug', base: null },
    { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) },
  );
  return { logger, records };
}
