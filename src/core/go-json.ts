/**
 * A JSON writer that produces byte-for-byte what Go's `encoding/json` produces, so that
 * Sidecar consumers see the same documents from us as from the Go Sidecar:
 * - objects are `Map`s and keep their insertion order (JS objects would move integer-like
 *   keys such as a numeric hostname to the front); `sortedMap` gives Go's sorted map keys;
 * - `<`, `>`, `&`, U+2028 and U+2029 are escaped as `\u003c` etc. (Go's HTML-safe default);
 * - lone surrogates become U+FFFD, as Go does for invalid UTF-8;
 * - pretty output matches `json.MarshalIndent(v, "", "  ")`.
 */
export type GoJson = null | boolean | number | string | readonly GoJson[] | ReadonlyMap<string, GoJson> | RawJson;

/** Already-encoded JSON spliced in verbatim (e.g. a cached service encoding). */
export class RawJson {
  constructor(readonly text: string) {}
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** One JSON string literal, Go style. */
export function goString(value: string): string {
  const json = JSON.stringify(value.isWellFormed() ? value : value.toWellFormed());
  return HTML_UNSAFE.test(json) ? json.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c] ?? c) : json;
}

/** Compares strings the way Go sorts map keys: by their UTF-8 bytes. */
export function compareGoKeys(a: string, b: string): number {
  // UTF-16 order equals UTF-8 byte order except for surrogate pairs vs U+E000..U+FFFF.
  if (isBasic(a) && isBasic(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isBasic(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return false;
  return true;
}

/** A Map with its keys in Go's sorted order. */
export function sortedMap<V>(entries: Iterable<readonly [string, V]>): Map<string, V> {
  return new Map([...entries].sort(([a], [b]) => compareGoKeys(a, b)));
}

/** Compact encoding (`json.Marshal`). */
export function encodeGoJson(value: GoJson): string {
  return write(value, null, '');
}

/** Indented encoding (`json.MarshalIndent(v, "", "  ")`). */
export function encodeGoJsonPretty(value: GoJson): string {
  return write(value, '  ', '\n');
}

function write(value: GoJson, indent: string | null, newline: string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof RawJson) return indent === null ? value.text : reindent(value.text, newline);
  const inner = indent === null ? '' : newline + indent;
  const colon = indent === null ? ':' : ': ';
  const nested = indent === null ? null : indent;
  if (Array.isArray(value)) {
    const items = value as readonly GoJson[];
    if (items.length === 0) return '[]';
    const parts = items.map((v) => write(v, nested, inner));
    return indent === null ? `[${parts.join(',')}]` : `[${inner}${parts.join(`,${inner}`)}${newline}]`;
  }
  const map = value as ReadonlyMap<string, GoJson>;
  if (map.size === 0) return '{}';
  const parts: string[] = [];
  for (const [k, v] of map) parts.push(`${goString(k)}${colon}${write(v, nested, inner)}`);
  return indent === null ? `{${parts.join(',')}}` : `{${inner}${parts.join(`,${inner}`)}${newline}}`;
}

/**
 * Re-indents compact JSON text the way Go's json.Indent does, continuing at the given line
 * prefix. Works on the text (not a parse) so key order is kept exactly.
 */
function reindent(text: string, newline: string): string {
  let out = '';
  let depth = 0;
  let inString = false;
  const pad = (): string => newline + '  '.repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[': {
        const close = c === '{' ? '}' : ']';
        if (text[i + 1] === close) {
          out += c + close;
          i++;
        } else {
          depth++;
          out += c + pad();
        }
        break;
      }
      case '}':
      case ']':
        depth--;
        out += pad() + c;
        break;
      case ',':
        out += c + pad();
        break;
      case ':':
        out += ': ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Converts parsed JSON (plain objects) to GoJson, keeping key order as parsed. */
export function toGoJson(value: unknown): GoJson {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value)) return value.map(toGoJson);
  if (typeof value === 'object') {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toGoJson(v)]));
  }
  return null;
}
