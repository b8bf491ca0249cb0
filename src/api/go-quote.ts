/**
 * Go's `%q` / `strconv.Quote`: a double-quoted string literal where `"` and `\` are
 * escaped, `\a \b \f \n \r \t \v` keep their short forms, other ASCII control characters
 * become `\xNN`, and characters Go does not consider printable (other spaces, format and
 * private-use characters, lone surrogates, unassigned code points) become `\uNNNN` or
 * `\UNNNNNNNN`. Printable Unicode is kept as is. Used in the drain messages.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    out += escapeRune(ch, cp);
  }
  return `${out}"`;
}

const SHORT_ESCAPES: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
  0x22: '\\"',
  0x5c: '\\\\',
};

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(ch: string, cp: number): string {
  const short = SHORT_ESCAPES[cp];
  if (short !== undefined) return short;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd'; // a lone surrogate: Go would have U+FFFD
  if (PRINTABLE.test(ch)) return ch;
  return cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}
