import type { Logger } from '../core/index.js';

/**
 * Resolves when SIGINT or SIGTERM arrives, after `close` has run. A second signal while
 * closing exits at once.
 */
export function closeOnSignal(close: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (closing) {
        logger.warn({ signal }, 'Second signal while shutting down: exiting now');
        process.exit(1);
      }
      closing = true;
      logger.info({ signal }, 'Shutting down');
      close().then(
        () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        },
        (err: unknown) => {
          logger.error({ err }, 'Shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
