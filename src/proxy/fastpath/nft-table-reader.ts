import { describeNftResult, runNft } from './nft-runner.js';
import { parseNftTableView, type NftPortView } from './nft-table-view.js';

export interface NftTableReaderOptions {
  readonly table: string;
  readonly bindIp: string;
  /** The `nft` executable; default `nft` from PATH. */
  readonly nftPath?: string;
  /** One read is killed after this long. Default 5,000 ms, as {@link runNft}. */
  readonly timeoutMs?: number;
  /**
   * Most of nft's output read; a larger table is reported, not parsed. Default 8 MiB:
   * `nft -j list table` prints ~0.93 KB per service of 3 endpoints (934 KB at 1,000, nft
   * 1.0.6), so this holds ~9,000 such services, and bounds what JSON.parse is given.
   */
  readonly maxOutputBytes?: number;
  /**
   * A read is reused for this long. Default 1,000 ms: the UI's proxy feed and `/api/proxy.json`
   * ask on demand, and however often they ask, `nft` runs at most once a second.
   */
  readonly maxAgeMs?: number;
  /** The clock, in ms; default `Date.now`. */
  readonly nowMs?: () => number;
}

/** One read of the kernel's rules: the ports with their per-endpoint counters, or why there are none. */
export type NftTableRead =
  | { readonly ok: true; readonly readAtMs: number; readonly ports: readonly NftPortView[] }
  | { readonly ok: false; readonly readAtMs: number; readonly error: string };

const DEFAULT_MAX_OUTPUT_BYTES = 8 << 20;
const DEFAULT_MAX_AGE_MS = 1_000;

/**
 * Reads the fast path's table back from the kernel (`nft -j list table ip <table>`) on demand,
 * never on an apply: the rules' view of each port with each endpoint's new-connection counter.
 * Reads in flight are shared, and a read is reused for `maxAgeMs`. Never rejects.
 */
export class NftTableReader {
  private last: NftTableRead | undefined;
  private inFlight: Promise<NftTableRead> | undefined;
  private readonly nowMs: () => number;

  constructor(private readonly options: NftTableReaderOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  read(): Promise<NftTableRead> {
    const last = this.last;
    if (last !== undefined && this.nowMs() - last.readAtMs < (this.options.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) return Promise.resolve(last);
    this.inFlight ??= this.readNow().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async readNow(): Promise<NftTableRead> {
    const maxOutputBytes = this.options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const result = await runNft(['-j', 'list', 'table', 'ip', this.options.table], '', {
      maxOutputBytes,
      ...(this.options.nftPath === undefined ? {} : { nftPath: this.options.nftPath }),
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
    });
    const readAtMs = this.nowMs();
    let read: NftTableRead;
    if (result.code !== 0) read = { ok: false, readAtMs, error: describeNftResult(result) };
    else if (result.truncated) read = { ok: false, readAtMs, error: `the table's JSON is larger than ${maxOutputBytes} bytes; not read` };
    else {
      const view = parseNftTableView(result.stdout, this.options.bindIp);
      read = view.ok ? { ok: true, readAtMs, ports: view.ports } : { ok: false, readAtMs, error: view.error };
    }
    this.last = read;
    return read;
  }
}
