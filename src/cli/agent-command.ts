import { Command } from '@commander-js/extra-typings';
import { BugError, createLogger, errorMessage, ErrorCode, hasCode, SidecarError, type Logger } from '../core/index.js';
import { loadConfig, type ConfigKey, type LoadedConfig, type RawFlag } from '../config/index.js';
import { Daemon, closeOnSignal } from '../daemon/index.js';
import { startCpuProfile } from './cpu-profile.js';
import { addSettingOptions, collectFlags } from './flags.js';

/** Exit codes: 0 clean stop, 1 failed at run time, 2 bad configuration, 70 a bug (EX_SOFTWARE). */
export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_BAD_CONFIG = 2;
export const EXIT_BUG = 70;

export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where fatal messages go before a logger exists. */
  readonly stderr: NodeJS.WritableStream;
  setExitCode(code: number): void;
}

/** Loads config (reporting every bad value at once) and creates the root logger. */
export function configure(
  ctx: CommandContext,
  flags: Partial<Record<ConfigKey, RawFlag>>,
): { loaded: LoadedConfig; logger: Logger } | null {
  try {
    const loaded = loadConfig({ env: ctx.env, flags });
    const logger = createLogger({ level: loaded.config.loggingLevel, format: loaded.config.loggingFormat });
    return { loaded, logger };
  } catch (err) {
    // Only bad configuration exits 2; anything else (a BugError included) is a bug: runCli reports it.
    if (!hasCode(err, ErrorCode.CONFIG_INVALID)) throw err;
    ctx.stderr.write(`sidecar: ${err.message}\n`);
    ctx.setExitCode(EXIT_BAD_CONFIG);
    return null;
  }
}

/** Runs a daemon until SIGINT/SIGTERM; start-up failures are logged with their code. */
export async function runDaemon(ctx: CommandContext, loaded: LoadedConfig, logger: Logger): Promise<void> {
  const daemon = new Daemon({ loaded, logger });
  try {
    await daemon.start();
  } catch (err) {
    await daemon.close().finally(() => ctx.setExitCode(logFailure(logger, 'Start-up failed', err)));
    return;
  }
  await closeOnSignal(() => daemon.close(), logger);
}

/** `sidecar [agent]`: the agent (the default command). */
export function agentCommand(ctx: CommandContext): Command<[], Record<string, unknown>> {
  const command = new Command('agent')
    .description('run the Sidecar agent (the default command)')
    .option('-p, --cpuprofile', 'write a CPU profile to sidecar.cpuprofile when the agent stops') as unknown as Command<
    [],
    Record<string, unknown>
  >;
  const bindings = addSettingOptions(command);
  command.action(async () => {
    const configured = configure(ctx, collectFlags(command, bindings));
    if (configured === null) return;
    let stopProfile: (() => Promise<void>) | null = null;
    if (command.opts()['cpuprofile'] === true) {
      try {
        stopProfile = await startCpuProfile(configured.logger);
      } catch (err) {
        ctx.setExitCode(logFailure(configured.logger, null, err));
        return;
      }
    }
    await runDaemon(ctx, configured.loaded, configured.logger);
    await stopProfile?.();
  });
  return command;
}

/**
 * Logs a failure that stops the command and returns its exit code: a BugError is a bug
 * (exit 70, asks to be reported), anything else a run-time failure (exit 1) with its code.
 */
function logFailure(logger: Logger, what: string | null, err: unknown): number {
  const prefix = what === null ? '' : `${what}: `;
  if (err instanceof BugError) {
    logger.fatal({ code: err.code, stack: err.stack }, `${prefix}a bug; please report it: ${err.message}`);
    return EXIT_BUG;
  }
  logger.fatal({ code: err instanceof SidecarError ? err.code : undefined }, `${prefix}${errorMessage(err)}`);
  return EXIT_RUNTIME_FAILURE;
}
