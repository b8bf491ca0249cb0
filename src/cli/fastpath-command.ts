import { Command, Option } from '@commander-js/extra-typings';
import { errorMessage } from '../core/index.js';
import { EXIT_BAD_CONFIG, EXIT_RUNTIME_FAILURE, type CommandContext } from './agent-command.js';
import { renderFastpath } from './fastpath-table.js';

/** The agent's API when `--api` is not given: this host's, on its default port. */
export const DEFAULT_API_URL = 'http://127.0.0.1:7777';
/** The whole request, connect to last byte. Default 5,000 ms: the agent answers /api/proxy.json within its worker timeout (1 s) and one nft read. */
const API_TIMEOUT_MS = 5_000;
/** Most of /api/proxy.json read. 32 MiB: the document at 1,000 services with their counters is a few MiB; an answer larger than this is not the agent's. */
const MAX_BODY_BYTES = 32 << 20;

/** Reads at most `limit` bytes of a response body; more is an error. */
async function boundedText(res: Response, limit: number): Promise<string> {
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`the answer is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `sidecar fastpath show [--api URL]`: the nftables fast path as the agent at URL sees it
 * (its `/api/proxy.json`): on or off and why, and while on each TCP ServicePort's endpoints in
 * the kernel's round-robin order with the new connections the kernel counted for each. Exits 0
 * when the fast path is on, 1 when it is off or the agent cannot be asked, 2 for a bad URL.
 */
export function fastpathCommand(ctx: CommandContext & { stdout?: NodeJS.WritableStream }): Command<[], Record<string, unknown>> {
  const out = ctx.stdout ?? process.stdout;
  const show = new Command('show')
    .description("print the kernel's rules per TCP ServicePort: endpoints in round-robin order with their new-connection counters")
    .addOption(new Option('--api <url>', "the agent's HTTP API").default(DEFAULT_API_URL))
    .action(async (options) => {
      let url: URL;
      try {
        url = new URL('/api/proxy.json', options.api);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        ctx.stderr.write(`sidecar: --api=${JSON.stringify(options.api)}: expected the agent's API URL, e.g. ${DEFAULT_API_URL}\n`);
        ctx.setExitCode(EXIT_BAD_CONFIG);
        return;
      }
      let doc: unknown;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(API_TIMEOUT_MS) });
        const body = await boundedText(res, MAX_BODY_BYTES);
        if (res.status === 404 && /load balancer is disabled/.test(body)) {
          out.write(`fast path: the agent at ${url.origin} runs without its load balancer (--no-proxy)\n`);
          ctx.setExitCode(EXIT_RUNTIME_FAILURE);
          return;
        }
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`);
        doc = JSON.parse(body);
      } catch (err) {
        const cause = err instanceof Error && err.cause !== undefined ? ` (${errorMessage(err.cause)})` : '';
        ctx.stderr.write(`sidecar: cannot read the fast path from ${url.href}: ${errorMessage(err)}${cause}\n`);
        ctx.setExitCode(EXIT_RUNTIME_FAILURE);
        return;
      }
      const shown = renderFastpath(doc, url.origin);
      out.write(shown.lines.map((line) => `${line}\n`).join(''));
      if (!shown.on) ctx.setExitCode(EXIT_RUNTIME_FAILURE);
    });
  const command = new Command('fastpath').description('the nftables TCP fast path (--proxy-tcp-fastpath nftables)');
  command.addCommand(show as unknown as Command);
  return command as unknown as Command<[], Record<string, unknown>>;
}
