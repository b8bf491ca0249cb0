import { Command, Option } from '@commander-js/extra-typings';
import type autocannon from 'autocannon';
import type { CommandContext } from './agent-command.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** One line per second while the load runs. */
function progressLine(second: number, duration: number, requests: number, errors: number): string {
  return `[${String(second).padStart(String(duration).length)}/${duration} s] ${requests.toLocaleString('en-US')} req/s${errors > 0 ? `, ${errors} errors` : ''}\n`;
}

type Autocannon = typeof autocannon;

/**
 * autocannon, loaded only when `sidecar bench` runs: the agent does not need it, so the
 * package lists it as an optional peer (installed for development, not with the agent).
 * Resolves to null when it is not installed.
 */
async function loadAutocannon(): Promise<Autocannon | null> {
  try {
    const mod = (await import('autocannon')) as { default: Autocannon };
    return mod.default;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
}

/**
 * `sidecar bench <url>`: drives HTTP load at a URL (for example a service through the load
 * balancer, `http://services:9500/`) and prints progress each second and a summary.
 */
export function benchCommand(ctx: CommandContext & { stdout?: NodeJS.WritableStream }): Command<[string], Record<string, unknown>> {
  const out = ctx.stdout ?? process.stdout;
  const command = new Command('bench')
    .description('drive HTTP load at a URL (e.g. a service through the load balancer) and summarise latency and throughput')
    .argument('<url>', 'http:// URL to load')
    .addOption(new Option('-c, --connections <n>', 'concurrent connections').default(10).argParser(positiveInt('--connections')))
    .addOption(new Option('-d, --duration <seconds>', 'how long to run').default(10).argParser(positiveInt('--duration')))
    .addOption(new Option('-p, --pipelining <n>', 'requests in flight per connection').default(1).argParser(positiveInt('--pipelining')))
    .addOption(new Option('-m, --method <method>', 'HTTP method').default('GET'))
    .action(async (url, opts) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        ctx.stderr.write(`sidecar bench: ${JSON.stringify(url)} is not a URL; try http://127.0.0.1:9500/\n`);
        ctx.setExitCode(2);
        return;
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        ctx.stderr.write(`sidecar bench: only http:// and https:// URLs are supported, got ${parsed.protocol}\n`);
        ctx.setExitCode(2);
        return;
      }
      const autocannon = await loadAutocannon();
      if (autocannon === null) {
        ctx.stderr.write('sidecar bench: needs the optional package autocannon, which is not installed; run `npm install autocannon@^8` next to sidecar\n');
        ctx.setExitCode(1);
        return;
      }
      out.write(`Loading ${parsed.href} with ${opts.connections} connections for ${opts.duration} s…\n`);
      let second = 0;
      let tickErrors = 0;
      let stop = (): void => undefined;
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: parsed.href,
            connections: opts.connections,
            duration: opts.duration,
            pipelining: opts.pipelining,
            method: opts.method.toUpperCase() as NonNullable<autocannon.Request['method']>,
          },
          (err, finished) => (err === null || err === undefined ? resolve(finished) : reject(err instanceof Error ? err : new Error(String(err)))),
        );
        instance.on('reqError', () => tickErrors++);
        // autocannon counts responses itself; its `tick` event carries no payload in the types.
        let responses = 0;
        instance.on('response', () => responses++);
        instance.on('tick', () => {
          second++;
          if (second <= opts.duration) out.write(progressLine(second, opts.duration, responses, tickErrors));
          responses = 0;
          tickErrors = 0;
        });
        stop = () => instance.stop();
        process.once('SIGINT', stop);
      }).finally(() => process.off('SIGINT', stop));
      const failed = result.errors + result.timeouts + result.non2xx;
      out.write(
        [
          '',
          `Summary for ${parsed.href}`,
          `  requests     ${result.requests.total.toLocaleString('en-US')} in ${result.duration.toFixed(1)} s, ${Math.round(result.requests.average).toLocaleString('en-US')} req/s on average`,
          `  latency      p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
          `  throughput   ${(result.throughput.average / 1e6).toFixed(2)} MB/s`,
          `  responses    2xx ${result['2xx']}, non-2xx ${result.non2xx}`,
          `  failures     ${result.errors} errors, ${result.timeouts} timeouts`,
          '',
        ].join('\n'),
      );
      if (failed > 0) ctx.setExitCode(1);
    });
  return command as unknown as Command<[string], Record<string, unknown>>;
}
