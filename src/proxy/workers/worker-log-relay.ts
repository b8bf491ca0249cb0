import type { Logger } from '../../core/index.js';

const LEVELS: Readonly<Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * Writes one pino JSON line from a worker thread with the main thread's logger (which adds
 * `worker`), so the agent's log stays one stream in one format. A line that is not a log
 * record (never expected) is written as its text.
 */
export function relayWorkerLog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.info({ line: line.trimEnd() }, 'proxy worker output');
    return;
  }
  const { level, time: _time, msg, ...fields } = record;
  const method = LEVELS[Number(level)] ?? 'info';
  logger[method](fields, typeof msg === 'string' ? msg : '');
}
