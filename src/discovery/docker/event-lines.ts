/**
 * Splits a byte stream of newline-delimited JSON (the Docker `/events` stream) into
 * documents. Chunks from the socket do not follow message boundaries: a chunk may hold half
 * a message or several, and a multi-byte character may be cut in two.
 */
export class JsonLineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';

  /**
   * @param onDocument called with each parsed document, in order.
   * @param onBadLine called with a line that is not JSON (it is skipped).
   * @param maxLineChars a line longer than this is dropped (the Engine never sends one;
   *   this keeps a broken peer from growing the buffer without bound). Default 1 MiB.
   */
  constructor(
    private readonly onDocument: (doc: unknown) => void,
    private readonly onBadLine: (line: string) => void,
    private readonly maxLineChars = 1024 * 1024,
  ) {}

  push(chunk: Uint8Array | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let nl = this.pending.indexOf('\n');
    while (nl >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.line(line);
      nl = this.pending.indexOf('\n');
    }
    if (this.pending.length > this.maxLineChars) {
      this.onBadLine(`${this.pending.slice(0, 80)}… (over ${this.maxLineChars} characters without a newline)`);
      this.pending = '';
    }
  }

  /** Handles a last line that had no newline. */
  end(): void {
    this.pending += this.decoder.decode();
    const rest = this.pending;
    this.pending = '';
    this.line(rest);
  }

  private line(text: string): void {
    const line = text.trim();
    if (line === '') return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      this.onBadLine(line.length > 200 ? `${line.slice(0, 200)}…` : line);
      return;
    }
    this.onDocument(doc);
  }
}
