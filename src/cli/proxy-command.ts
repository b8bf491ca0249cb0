import { Command, Option } from '@commander-js/extra-typings';
import { closeOnSignal, ProxyFollower } from '../daemon/index.js';
import { configure, type CommandContext } from './agent-command.js';
import { addSettingOptions, collectFlags } from './flags.js';

const TARGET = /^[^\s:/]+:\d{1,5}$/;

/** `sidecar proxy --follow host:port`: the load balancer alone, fed by a Sidecar's watch stream. */
export function proxyCommand(ctx: CommandContext): Command<[], Record<string, unknown>> {
  const command = new Command('proxy')
    .description("run only the load balancer, following another Sidecar's /api/watch stream (like haproxy-api's follow mode)")
    .addOption(new Option('--follow <host:port>', 'the Sidecar HTTP API to follow, e.g. 127.0.0.1:7777').makeOptionMandatory()) as unknown as Command<
    [],
    Record<string, unknown>
  >;
  const bindings = addSettingOptions(command);
  command.action(async () => {
    const target = String(command.opts()['follow']);
    if (!TARGET.test(target)) {
      ctx.stderr.write(`sidecar: --follow=${JSON.stringify(target)}: expected host:port, e.g. 127.0.0.1:7777\n`);
      ctx.setExitCode(2);
      return;
    }
    const configured = configure(ctx, collectFlags(command, bindings));
    if (configured === null) return;
    const { loaded, logger } = configured;
    const follower = new ProxyFollower({ config: loaded.config, target, logger });
    logger.info({ target, bindIp: loaded.config.proxyBindIp, node: process.version }, `Load balancer on Node ${process.version} following a Sidecar`);
    follower.start();
    await closeOnSignal(() => follower.close(), logger);
  });
  return command;
}
