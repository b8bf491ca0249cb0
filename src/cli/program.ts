import { Command, CommanderError } from '@commander-js/extra-typings';
import { ErrorCode } from '../core/index.js';
import { agentCommand, EXIT_BUG, type CommandContext } from './agent-command.js';
import { demoCommand } from './demo-command.js';
import { proxyCommand } from './proxy-command.js';
import { benchCommand } from './bench-command.js';
import { keygenCommand } from './keygen-command.js';
import { fastpathCommand } from './fastpath-command.js';
import { VERSION } from './version.js';

/** Builds the `sidecar` program. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('sidecar')
    .description('Peer-to-peer service discovery with a built-in load balancer, compatible with the Go Sidecar')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run `sidecar --help` for the commands, `sidecar agent --help` for every setting)')
    .exitOverride();
  program.addCommand(agentCommand(ctx) as unknown as Command, { isDefault: true });
  program.addCommand(demoCommand(ctx) as unknown as Command);
  program.addCommand(proxyCommand(ctx) as unknown as Command);
  program.addCommand(benchCommand(ctx) as unknown as Command);
  program.addCommand(keygenCommand(ctx) as unknown as Command);
  program.addCommand(fastpathCommand(ctx) as unknown as Command);
  return program;
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], ctx?: Partial<CommandContext>): Promise<number> {
  let exitCode = 0;
  const context: CommandContext = {
    env: ctx?.env ?? process.env,
    stderr: ctx?.stderr ?? process.stderr,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    context.stderr.write(describeBug(err));
    return EXIT_BUG;
  }
  return exitCode;
}

/**
 * What the CLI prints when a command throws something it did not expect: a BugError or any
 * other exception is a bug, never bad configuration (exit 2) or a run-time failure (exit 1).
 */
export function describeBug(err: unknown): string {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `sidecar: a bug; please report it (${ErrorCode.BUG}): ${detail}\n`;
}
