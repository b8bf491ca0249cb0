import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why network-namespace tests cannot run here (not root, no `ip`, no `nft`), or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables)';
  for (const tool of ['ip', 'nft', 'setpriv']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `\`${tool}\` is not installed (nft: scripts/fastpath/install-nftables.sh)`;
    }
  }
  return undefined;
}

/** A network namespace of this test (lo up), and `nft` wrappers that run inside it. Removed by `close()`. */
export interface TestNetns {
  readonly name: string;
  /** An executable that runs `nft "$@"` inside the namespace. */
  readonly nft: string;
  /** The same, as an unprivileged user without CAP_NET_ADMIN (nobody). */
  readonly nftUnprivileged: string;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(argv: readonly string[]): string;
  close(): void;
}

export function makeNetns(prefix: string): TestNetns {
  const name = `${prefix}-${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  try {
    execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    const nft = join(dir, 'nft');
    writeFileSync(nft, `#!/bin/sh\nexec ip netns exec ${name} nft "$@"\n`);
    chmodSync(nft, 0o755);
    const nftUnprivileged = join(dir, 'nft-unprivileged');
    writeFileSync(nftUnprivileged, `#!/bin/sh\nexec ip netns exec ${name} setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all nft "$@"\n`);
    chmodSync(nftUnprivileged, 0o755);
    let closed = false;
    return {
      name,
      nft,
      nftUnprivileged,
      exec: (argv) => execFileSync('ip', ['netns', 'exec', name, ...argv], { encoding: 'utf8' }),
      close: () => {
        if (closed) return;
        closed = true;
        execFileSync('ip', ['netns', 'del', name]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    execFileSync('ip', ['netns', 'del', name]);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
