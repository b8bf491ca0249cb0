/**
 * An incremental decoder for a stream of concatenated JSON documents (`{…}{…}[…]`, with or
 * without whitespace between them), as Go's `json.Decoder` reads the `/watch` stream. It
 * tracks bracket depth outside strings, and string/escape state inside them, so it can be
 * fed arbitrary chunk boundaries. Top-level values must be objects or arrays.
 */
export class JsonStreamDecoder {
  /** The raw text of every complete document, in order. */
  readonly texts: string[] = [];
  /** Every complete document, parsed. */
  readonly values: unknown[] = [];
  /** Text of the document in progress (from its first bracket). */
  private pending = '';
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds text; returns the documents completed by it. Throws on anything but a JSON document at the top level. */
  push(chunk: string): unknown[] {
    const done: unknown[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk.charCodeAt(i);
      if (this.depth === 0) {
        if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) {
          start = i + 1;
          continue;
        }
        if (ch !== 0x7b && ch !== 0x5b) throw new Error(`unexpected ${JSON.stringify(chunk[i])} between documents`);
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === 0x5c) this.escaped = true;
        else if (ch === 0x22) this.inString = false;
        continue;
      }
      if (ch === 0x22) this.inString = true;
      else if (ch === 0x7b || ch === 0x5b) this.depth++;
      else if (ch === 0x7d || ch === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          const text = this.pending + chunk.slice(start, i + 1);
          this.pending = '';
          start = i + 1;
          const value: unknown = JSON.parse(text);
          this.texts.push(text);
          this.values.push(value);
          done.push(value);
        }
      }
    }
    if (this.depth > 0) this.pending += chunk.slice(start);
    return done;
  }

  /** True when a document has started but not ended. */
  get midDocument(): boolean {
    return this.depth > 0;
  }
}
