import { ErrorCode, SidecarError } from '../../core/index.js';

/**
 * Just enough YAML for kubeconfig files as kubectl, kind, k3s and cloud CLIs write them:
 * block mappings and sequences (also a sequence at its key's indentation), plain, single- and
 * double-quoted scalars, `{}` / `[]`, `true`/`false`/`null`, comments. No anchors, tags, flow
 * collections with content, multi-line or block scalars (`|`, `>`): those throw, so a file
 * this cannot read fails start-up clearly rather than being half read. JSON (a YAML subset)
 * is handed to JSON.parse.
 */
export function parseMiniYaml(text: string, where: string): unknown {
  if (/^\s*[{[]/.test(text) && !/^\s*(\{\}|\[\])\s*$/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where}: not valid JSON (${(err as Error).message})`);
    }
  }
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*(#.*)?$/.test(raw) || raw === '---') return;
    if (raw.includes('\t') && /^\s*\t/.test(raw)) fail(where, i + 1, 'tab indentation');
    const indent = raw.length - raw.trimStart().length;
    lines.push({ n: i + 1, indent, text: raw.trim() });
  });
  const parser = new Parser(lines, where);
  if (lines.length === 0) return {};
  const value = parser.block(lines[0]?.indent ?? 0);
  if (parser.pos < lines.length) fail(where, lines[parser.pos]?.n ?? 0, 'unexpected indentation');
  return value;
}

interface Line {
  readonly n: number;
  indent: number;
  text: string;
}

class Parser {
  pos = 0;
  constructor(
    private readonly lines: Line[],
    private readonly where: string,
  ) {}

  block(indent: number): unknown {
    const line = this.lines[this.pos];
    if (line === undefined) return null;
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.mapping(indent);
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.lines[this.pos]; line !== undefined && line.indent === indent && !isItem(line.text); line = this.lines[this.pos]) {
      const colon = keyEnd(line.text);
      if (colon < 0) fail(this.where, line.n, 'expected "key: value"');
      const key = String(scalar(line.text.slice(0, colon).trim(), this.where, line.n));
      const rest = line.text.slice(colon + 1).trim();
      this.pos++;
      const next = this.lines[this.pos];
      if (stripComment(rest) !== '') out[key] = scalar(rest, this.where, line.n);
      else if (next !== undefined && next.indent > indent) out[key] = this.block(next.indent);
      else if (next !== undefined && next.indent === indent && isItem(next.text)) out[key] = this.sequence(indent);
      else out[key] = null;
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.lines[this.pos]; line !== undefined && line.indent === indent && isItem(line.text); line = this.lines[this.pos]) {
      const content = line.text.slice(1).trimStart();
      if (content === '') {
        this.pos++;
        const next = this.lines[this.pos];
        out.push(next !== undefined && next.indent > indent ? this.block(next.indent) : null);
      } else if (keyEnd(content) >= 0) {
        // `- key: value`: a mapping whose first line starts after the dash.
        line.indent = indent + (line.text.length - content.length);
        line.text = content;
        out.push(this.mapping(line.indent));
      } else {
        this.pos++;
        out.push(scalar(content, this.where, line.n));
      }
    }
    return out;
  }
}

function isItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Index of the colon that ends a key (`key:` or `key: `), outside quotes; -1 when none. */
function keyEnd(text: string): number {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      if (i === 0) quote = c;
    } else if (c === ':' && (i + 1 === text.length || text[i + 1] === ' ')) {
      return i;
    } else if (c === '#' && i > 0 && text[i - 1] === ' ') {
      return -1;
    }
  }
  return -1;
}

function stripComment(text: string): string {
  if (text.startsWith('"') || text.startsWith("'")) return text;
  const hash = text.search(/(^|\s)#/);
  return (hash < 0 ? text : text.slice(0, hash)).trim();
}

function scalar(raw: string, where: string, n: number): unknown {
  const text = stripComment(raw);
  if (text.startsWith('"')) {
    const end = text.lastIndexOf('"');
    if (end <= 0) fail(where, n, 'unterminated double-quoted string');
    try {
      return JSON.parse(text.slice(0, end + 1)) as unknown;
    } catch {
      fail(where, n, 'a double-quoted string this reader does not understand');
    }
  }
  if (text.startsWith("'")) {
    const end = text.lastIndexOf("'");
    if (end <= 0) fail(where, n, 'unterminated single-quoted string');
    return text.slice(1, end).replace(/''/g, "'");
  }
  if (text === '{}') return {};
  if (text === '[]') return [];
  if (/^[|>&*!{[]/.test(text)) fail(where, n, `YAML feature not supported here (${text.slice(0, 1)}); write the kubeconfig as kubectl does`);
  if (text === 'true' || text === 'True' || text === 'TRUE') return true;
  if (text === 'false' || text === 'False' || text === 'FALSE') return false;
  if (text === 'null' || text === '~' || text === '') return null;
  return text;
}

function fail(where: string, n: number, what: string): never {
  throw new SidecarError(ErrorCode.CONFIG_INVALID, `${where} line ${n}: ${what}`);
}
