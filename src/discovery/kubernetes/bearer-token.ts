import { readBoundedFile, type Clock } from '../../core/index.js';

/** A token file is a JWT of a few KiB; anything larger is not a token. */
const MAX_TOKEN_BYTES = 64 * 1024;
/**
 * How long a token read from a file is used before the file is read again, in ms. Default
 * 60 000, as client-go: the kubelet rewrites a projected token at 80 % of its lifetime (an hour
 * or more), so a minute-old copy is always valid; a 401 re-reads it at once too.
 */
export const TOKEN_REREAD_MS = 60_000;

/**
 * The bearer token sent to the API server: fixed (kubeconfig `token`), read from a file
 * (the service-account `token`, kubeconfig `tokenFile`), or none. A file token is re-read
 * every {@link TOKEN_REREAD_MS} and at once after a 401 ({@link reload}), because projected
 * service-account tokens rotate (NinesStack/sidecar#87 re-read it on 401 only).
 */
export class BearerToken {
  private value: string | undefined;
  private readAtMs = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly file: string | undefined,
    fixed: string | undefined,
    private readonly clock: Clock,
  ) {
    this.value = fixed;
  }

  static none(clock: Clock): BearerToken {
    return new BearerToken(undefined, undefined, clock);
  }

  static fixed(token: string, clock: Clock): BearerToken {
    return new BearerToken(undefined, token, clock);
  }

  static fromFile(file: string, clock: Clock): BearerToken {
    return new BearerToken(file, undefined, clock);
  }

  /** Where the token comes from, for the connection log line (never the token). */
  describe(): string {
    if (this.file !== undefined) return this.current() === undefined ? `no token (${this.file} absent or empty)` : `token file ${this.file}`;
    return this.value === undefined ? 'no token' : 'token from kubeconfig';
  }

  /** The token to send now (undefined: none, or the file cannot be read). */
  current(): string | undefined {
    if (this.file !== undefined && this.clock.nowMs() - this.readAtMs >= TOKEN_REREAD_MS) this.read();
    return this.value;
  }

  /** After a 401: reads the file again; true when the token changed (worth retrying at once). */
  reload(): boolean {
    if (this.file === undefined) return false;
    const before = this.value;
    this.read();
    return this.value !== before;
  }

  private read(): void {
    if (this.file === undefined) return;
    this.readAtMs = this.clock.nowMs();
    const read = readBoundedFile(this.file, MAX_TOKEN_BYTES);
    // Go strips newlines; a missing or unreadable file means no token (the 401 says the rest).
    this.value = read.ok ? read.bytes.toString('utf8').replace(/[\r\n]/g, '').trim() || undefined : undefined;
  }
}
