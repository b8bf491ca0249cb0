import { ErrorCode, SidecarError } from './errors.js';

/**
 * Splits a stream of concatenated JSON documents (`{…}{…}`, with or without whitespace
 * between them, as the Go Sidecar's `/watch` writes them) into one string per document.
 * It tracks only nesting depth, strings and escapes; documents are parsed by the caller.
 */
export class JsonStreamSplitter {
  private buffer = '';
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;

  /** @param maxDocumentChars a document larger than this is an error (the stream is broken or hostile). */
  constructor(private readonly maxDocumentChars = 64 * 1024 * 1024) {}

  /** Feeds text; returns the documents it completed. Throws SidecarError(CATALOG_BAD_JSON) on junk between documents or an oversized one. */
  push(text: string): string[] {
    this.buffer += text;
    const done: string[] = [];
    for (let i = this.scanned; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (this.depth === 0) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (c !== 0x7b && c !== 0x5b) {
          throw new SidecarError(ErrorCode.CATALOG_BAD_JSON, `unexpected ${JSON.stringify(this.buffer[i])} between JSON documents`);
        }
        this.start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          done.push(this.buffer.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    // Keep only the unfinished document.
    const keepFrom = this.start === -1 ? this.buffer.length : this.start;
    this.buffer = this.buffer.slice(keepFrom);
    this.scanned = this.buffer.length;
    if (this.start !== -1) this.start = 0;
    if (this.buffer.length > this.maxDocumentChars) {
      throw new SidecarError(ErrorCode.CATALOG_BAD_JSON, `a JSON document in the stream exceeds ${this.maxDocumentChars} characters`);
    }
    return done;
  }
}
