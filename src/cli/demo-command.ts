import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { configure, runDaemon, type CommandContext } from './agent-command.js';
import { startDemoBackend, type DemoBackend } from './demo-backends.js';
import { addSettingOptions, collectFlags } from './flags.js';

/** The well-known port of the demo service. */
const DEMO_SERVICE_PORT = 10080;

/** The embedded static config: two instances of `demo-web`, one per backend. */
export function demoStaticConfig(backends: readonly DemoBackend[]): string {
  return JSON.stringify(
    backends.map((b) => ({
      Service: {
        Name: 'demo-web',
        Image: `sidecar-demo:${b.name}`,
        Ports: [{ Type: 'tcp', Port: b.port, ServicePort: DEMO_SERVICE_PORT, IP: '127.0.0.1' }],
        ProxyMode: 'http',
      },
      Check: { Type: 'HttpGet', Args: `http://{{ host }}:{{ tcp ${DEMO_SERVICE_PORT} }}/version` },
    })),
    null,
    2,
  );
}

/** `sidecar demo`: two demo backends, discovered from an embedded static file, health-checked and served by the API. */
export function demoCommand(ctx: CommandContext): Command<[], Record<string, unknown>> {
  const command = new Command('demo').description(
    'start two demo backends and an agent that discovers them from an embedded static config',
  ) as unknown as Command<[], Record<string, unknown>>;
  const bindings = addSettingOptions(command);
  command.action(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sidecar-demo-'));
    const file = join(dir, 'static.json');
    // Configure first so bad flags are reported before anything starts.
    const probe = configure(ctx, collectFlags(command, bindings));
    if (probe === null) return;
    const backends = [await startDemoBackend('backend-1', probe.logger), await startDemoBackend('backend-2', probe.logger)];
    try {
      await writeFile(file, demoStaticConfig(backends));
      const userFlags = collectFlags(command, bindings);
      const configured = configure(
        { ...ctx, env: { ...ctx.env, LISTENERS_URLS: `http://127.0.0.1:${backends[0]?.port ?? 0}/sidecar/update` } },
        {
          discovery: ['static'],
          staticConfigFile: file,
          advertiseIp: '127.0.0.1',
          // The well-known IP is rarely on a laptop's lo; the demo binds its ServicePort on loopback.
          proxyBindIp: '127.0.0.1',
          ...userFlags,
        },
      );
      if (configured === null) return;
      configured.logger.info(
        { backends: backends.map((b) => `http://127.0.0.1:${b.port}/`) },
        'Demo: two backends of service "demo-web" are up; the agent health-checks them and backend-1 receives change events. ' +
          `Try: curl http://127.0.0.1:${DEMO_SERVICE_PORT}/ (through the load balancer, round robin) and ` +
          `curl http://127.0.0.1:${configured.loaded.config.httpPort}/api/services.json — Ctrl-C stops the demo.`,
      );
      await runDaemon(ctx, configured.loaded, configured.logger);
    } finally {
      await Promise.all(backends.map((b) => b.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });
  return command;
}
