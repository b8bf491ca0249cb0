/**
 * Where a JSON syntax error is, as a line and column a person can go to.
 *
 * `JSON.parse` reports an offset for some errors (`… in JSON at position 9`) but not for
 * others (`Unexpected token 'x', "…" is not valid JSON`), so the offset comes from a small
 * validating scanner that stops at the first character JSON does not allow there.
 */

export interface TextPosition {
  /** Offset in UTF-16 code units from the start of the text. */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters of that line. */
  readonly column: number;
}

/** Line and column of an offset; `\r\n`, `\n` and `\r` all end a line. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * The position of the first syntax error in `text`, or null when `text` is valid JSON.
 * `parseError` (what JSON.parse threw) is used only if the scanner finds nothing.
 */
export function locateJsonError(text: string, parseError?: unknown): TextPosition | null {
  let offset: number | null;
  try {
    offset = new Scanner(text).firstError();
  } catch {
    // RangeError from absurd nesting depth: fall back to what JSON.parse said.
    offset = null;
  }
  if (offset === null && parseError instanceof Error) {
    const m = /at position (\d+)/.exec(parseError.message);
    if (m !== null) offset = Number(m[1]);
  }
  return offset === null ? null : positionAt(text, offset);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class SyntaxFound {
  constructor(readonly offset: number) {}
}

/** A recursive-descent JSON validator (RFC 8259) that only reports where it fails. */
class Scanner {
  private i = 0;

  constructor(private readonly text: string) {}

  firstError(): number | null {
    try {
      this.ws();
      this.value();
      this.ws();
      if (this.i < this.text.length) this.fail();
      return null;
    } catch (err) {
      if (err instanceof SyntaxFound) return err.offset;
      throw err;
    }
  }

  private fail(at = this.i): never {
    throw new SyntaxFound(at);
  }

  private ws(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  private value(): void {
    const c = this.text[this.i];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true');
      case 'f':
        return this.literal('false');
      case 'n':
        return this.literal('null');
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail();
    }
  }

  private object(): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.text[this.i] !== '"') this.fail();
      this.string();
      this.ws();
      if (this.text[this.i] !== ':') this.fail();
      this.i++;
      this.ws();
      this.value();
      this.ws();
      const c = this.text[this.i];
      this.i++;
      if (c === '}') return;
      if (c !== ',') this.fail(this.i - 1);
      this.ws();
    }
  }

  private array(): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      this.ws();
      const c = this.text[this.i];
      this.i++;
      if (c === ']') return;
      if (c !== ',') this.fail(this.i - 1);
      this.ws();
    }
  }

  private string(): void {
    const t = this.text;
    this.i++;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) this.fail();
      if (c === 0x5c) {
        const e = t[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(this.i + 2, this.i + 6))) this.fail(this.i + 1);
          this.i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          this.i += 2;
        } else {
          this.fail(this.i + 1);
        }
        continue;
      }
      this.i++;
    }
    this.fail();
  }

  private literal(word: string): void {
    for (let k = 0; k < word.length; k++) if (this.text[this.i + k] !== word[k]) this.fail(this.i + k);
    this.i += word.length;
  }

  private number(): void {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail(this.text[this.i] === '-' ? this.i + 1 : this.i);
    this.i += m[0].length;
  }
}
