import { randomBytes } from 'node:crypto';
import { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './agent-command.js';

/** Bytes of a new gossip key: AES-256, as `serf keygen` makes. */
export const KEYGEN_KEY_BYTES = 32;

/**
 * `sidecar keygen`: prints a new random gossip encryption key (base64 of 32 bytes, serf
 * keygen's format) and nothing else on stdout, for `sidecar keygen > gossip.key`.
 */
export function keygenCommand(ctx: CommandContext & { stdout?: NodeJS.WritableStream }): Command<[], Record<string, unknown>> {
  const out = ctx.stdout ?? process.stdout;
  return new Command('keygen')
    .description('print a new random gossip encryption key (base64 of 32 bytes) for --encrypt-key-file')
    .action(() => {
      out.write(`${randomBytes(KEYGEN_KEY_BYTES).toString('base64')}\n`);
    }) as unknown as Command<[], Record<string, unknown>>;
}
