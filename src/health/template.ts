import { ErrorCode, SidecarError, redactUrls } from '../core/index.js';
import { listenerName, portForServicePort, serviceVersion, statusString, ServiceStatus, type Service } from '../catalog/index.js';

/** What a check template can see: the service it checks and this host's advertise IP. */
export interface TemplateContext {
  readonly service: Service;
  /** `{{ host }}`: the Sidecar advertise IP (Go's DefaultCheckHost), not a hostname. */
  readonly advertiseIp: string;
}

/** The rendered args, or — with `error` set — the args unchanged because the template is bad. */
export interface RenderResult {
  readonly args: string;
  readonly error?: SidecarError;
}

/**
 * Renders check args the way the Go Sidecar does with text/template, for the subset check
 * args use: text, `{{ pipeline }}` actions with `{{-`/`-}}` trim markers and `{{/* comments *\/}}`;
 * functions `host`, `container`, `tcp N`, `udp N`; the service's fields `.ID .Name .Image
 * .Hostname .ProxyMode .Status` and methods `.Version .ListenerName .StatusString .IsAlive
 * .IsTombstone .IsDraining .PortForServicePort N "tcp"`; string, number and bool literals and
 * `|` pipelines. Go's typing rules are kept where they show (`{{ tcp 8080 }}` works,
 * `{{ 8080 | tcp }}` is a type error in Go and here). Anything else — an unknown function or
 * field, control structures, variables, `.Created`/`.Updated`/`.Ports` — is an error, and like
 * Go the args are then left untemplated.
 */
export function renderCheckArgs(args: string, context: TemplateContext): RenderResult {
  if (!args.includes('{{')) return { args };
  try {
    return { args: parse(args).map((node) => (typeof node === 'string' ? node : format(evalPipeline(node, context)))).join('') };
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return { args, error: new SidecarError(ErrorCode.HEALTH_TEMPLATE, `check args template "${redactUrls(args)}": ${redactUrls(err.message)}`) };
  }
}

class TemplateError extends Error {}

type Token =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'ident'; readonly name: string }
  | { readonly kind: 'field'; readonly path: readonly string[] }
  | { readonly kind: 'dot' }
  | { readonly kind: 'pipe' };

/** A command: its operands, the first being the function, field or literal. */
type Command = readonly Token[];
/** Text, or an action's pipeline. */
type TemplateNode = string | readonly Command[];

/** A value; `untypedInt` is a number literal, which Go converts to a function's int64 parameter. */
type Value =
  | { readonly type: 'string'; readonly v: string }
  | { readonly type: 'int'; readonly v: number }
  | { readonly type: 'untypedInt'; readonly v: number }
  | { readonly type: 'bool'; readonly v: boolean };

const SPACE = /[ \t\r\n]/;
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil']);

// ---------------------------------------------------------------------------------------------
// Parsing

function parse(src: string): TemplateNode[] {
  const nodes: TemplateNode[] = [];
  let pos = 0;
  let trimLeading = false;
  for (;;) {
    const open = src.indexOf('{{', pos);
    let text = open < 0 ? src.slice(pos) : src.slice(pos, open);
    if (trimLeading) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text !== '') nodes.push(text);
      return nodes;
    }
    let p = open + 2;
    if (src[p] === '-' && isSpace(src[p + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    if (text !== '') nodes.push(text);
    // A comment must start right after "{{" or "{{- ", as in Go.
    if (src.startsWith('/*', p)) {
      const end = src.indexOf('*/', p + 2);
      if (end < 0) throw new TemplateError('unclosed comment');
      const delim = rightDelimAt(src, end + 2);
      if (delim === null) throw new TemplateError('comment ends before closing delimiter');
      pos = end + 2 + delim.length;
      trimLeading = delim.trim;
      continue;
    }
    const action = lexAction(src, p);
    nodes.push(toPipeline(action.tokens));
    pos = action.end;
    trimLeading = action.trim;
  }
}

/** `}}` or ` -}}` (one space character, then `-}}`) at `p`. */
function rightDelimAt(src: string, p: number): { length: number; trim: boolean } | null {
  if (isSpace(src[p]) && src.startsWith('-}}', p + 1)) return { length: 4, trim: true };
  if (src.startsWith('}}', p)) return { length: 2, trim: false };
  return null;
}

function lexAction(src: string, start: number): { tokens: Token[]; end: number; trim: boolean } {
  const tokens: Token[] = [];
  let p = start;
  for (;;) {
    if (p >= src.length) throw new TemplateError('unclosed action');
    const delim = rightDelimAt(src, p);
    if (delim !== null) return { tokens, end: p + delim.length, trim: delim.trim };
    const c = src[p] ?? '';
    const rest = src.slice(p);
    let m: RegExpExecArray | null;
    if (isSpace(c)) {
      p++;
    } else if (c === '|') {
      tokens.push({ kind: 'pipe' });
      p++;
    } else if (c === '"') {
      m = /^"(?:[^"\\\n]|\\.)*"/.exec(rest);
      if (m === null) throw new TemplateError('unterminated quoted string');
      tokens.push({ kind: 'string', value: unquote(m[0]) });
      p += m[0].length;
    } else if (c === '`') {
      const end = src.indexOf('`', p + 1);
      if (end < 0) throw new TemplateError('unterminated raw quoted string');
      tokens.push({ kind: 'string', value: src.slice(p + 1, end) });
      p = end + 1;
    } else if ((m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest)) !== null) {
      tokens.push({ kind: 'field', path: m[0].slice(1).split('.') });
      p += m[0].length;
    } else if ((m = /^[+-]?\.?[0-9][0-9A-Za-z_.]*/.exec(rest)) !== null) {
      tokens.push({ kind: 'number', text: m[0] });
      p += m[0].length;
    } else if (c === '.') {
      tokens.push({ kind: 'dot' });
      p++;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)) !== null) {
      const name = m[0];
      tokens.push(name === 'true' || name === 'false' ? { kind: 'bool', value: name === 'true' } : { kind: 'ident', name });
      p += name.length;
    } else {
      throw new TemplateError(`unexpected "${c}" in action (variables, parentheses and control structures are not supported)`);
    }
  }
}

function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new TemplateError(`unsupported escape in ${quoted}`);
  }
}

function toPipeline(tokens: readonly Token[]): Command[] {
  if (tokens.length === 0) throw new TemplateError('missing value for command');
  const commands: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'pipe') commands.push([]);
    else commands[commands.length - 1]?.push(token);
  }
  if (commands.some((cmd) => cmd.length === 0)) throw new TemplateError('missing command in pipeline');
  for (const cmd of commands) {
    for (const token of cmd) {
      if (token.kind !== 'ident') continue;
      if (KEYWORDS.has(token.name)) throw new TemplateError(`"${token.name}" is not supported in check templates`);
      if (!(token.name in FUNCTIONS)) throw new TemplateError(`function "${token.name}" not defined`);
    }
  }
  return commands;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Fn = (args: readonly Value[], context: TemplateContext) => Value;

const str = (v: string): Value => ({ type: 'string', v });
const int = (v: number): Value => ({ type: 'int', v });
const bool = (v: boolean): Value => ({ type: 'bool', v });

function arity(name: string, args: readonly Value[], want: number): void {
  if (args.length !== want) throw new TemplateError(`wrong number of args for ${name}: want ${want} got ${args.length}`);
}

/** Go's rule for an int64 parameter: only an integer literal (or an int64 result) fits. */
function int64Arg(name: string, value: Value | undefined): number {
  if (value?.type !== 'untypedInt') throw new TemplateError(`wrong type for value in ${name}; expected int64; got ${goType(value)}`);
  return value.v;
}

function stringArg(name: string, value: Value | undefined): string {
  if (value?.type !== 'string') throw new TemplateError(`wrong type for value in ${name}; expected string; got ${goType(value)}`);
  return value.v;
}

function goType(value: Value | undefined): string {
  if (value === undefined) return 'nothing';
  return value.type === 'untypedInt' ? 'number' : value.type;
}

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  host: (args, ctx) => (arity('host', args, 0), str(ctx.advertiseIp)),
  container: (args, ctx) => (arity('container', args, 0), str(ctx.service.hostname)),
  tcp: (args, ctx) => (arity('tcp', args, 1), int(portForServicePort(ctx.service, int64Arg('tcp', args[0]), 'tcp'))),
  udp: (args, ctx) => (arity('udp', args, 1), int(portForServicePort(ctx.service, int64Arg('udp', args[0]), 'udp'))),
};

const FIELDS: Readonly<Record<string, (svc: Service) => Value>> = {
  ID: (svc) => str(svc.id),
  Name: (svc) => str(svc.name),
  Image: (svc) => str(svc.image),
  Hostname: (svc) => str(svc.hostname),
  ProxyMode: (svc) => str(svc.proxyMode),
  Status: (svc) => int(svc.status),
};

const METHODS: Readonly<Record<string, Fn>> = {
  Version: (args, ctx) => (arity('Version', args, 0), str(serviceVersion(ctx.service))),
  ListenerName: (args, ctx) => (arity('ListenerName', args, 0), str(listenerName(ctx.service))),
  StatusString: (args, ctx) => (arity('StatusString', args, 0), str(statusString(ctx.service.status))),
  IsAlive: (args, ctx) => (arity('IsAlive', args, 0), bool(ctx.service.status === ServiceStatus.ALIVE)),
  IsTombstone: (args, ctx) => (arity('IsTombstone', args, 0), bool(ctx.service.status === ServiceStatus.TOMBSTONE)),
  IsDraining: (args, ctx) => (arity('IsDraining', args, 0), bool(ctx.service.status === ServiceStatus.DRAINING)),
  PortForServicePort: (args, ctx) => {
    arity('PortForServicePort', args, 2);
    const port = int64Arg('PortForServicePort', args[0]);
    return int(portForServicePort(ctx.service, port, stringArg('PortForServicePort', args[1])));
  },
};

function evalPipeline(commands: readonly Command[], context: TemplateContext): Value {
  let piped: Value | undefined;
  for (const command of commands) piped = evalCommand(command, piped, context);
  if (piped === undefined) throw new TemplateError('empty pipeline');
  return piped;
}

function evalCommand(command: Command, piped: Value | undefined, context: TemplateContext): Value {
  const [head, ...operands] = command;
  const args = operands.map((token) => evalArg(token, context));
  if (piped !== undefined) args.push(piped);
  if (head === undefined) throw new TemplateError('missing command');
  switch (head.kind) {
    case 'ident':
      return callFunction(head.name, args, context);
    case 'field':
      return evalField(head.path, args, context);
    case 'string':
    case 'number':
    case 'bool':
    case 'dot':
      if (args.length > 0) throw new TemplateError(`can't give argument to non-function`);
      // As a command, a number literal becomes a Go int: `{{ 8081 | tcp }}` is a type error.
      return head.kind === 'number' ? int(parseInteger(head.text)) : evalArg(head, context);
    case 'pipe':
      throw new TemplateError('unexpected "|"');
  }
}

function callFunction(name: string, args: readonly Value[], context: TemplateContext): Value {
  const fn = FUNCTIONS[name];
  if (fn === undefined) throw new TemplateError(`function "${name}" not defined`);
  return fn(args, context);
}

function evalField(path: readonly string[], args: readonly Value[], context: TemplateContext): Value {
  const [name = '', ...more] = path;
  if (more.length > 0) throw new TemplateError(`can't evaluate field ${more[0] ?? ''} of .${name}`);
  const method = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
  if (method !== undefined) return method(args, context);
  const field = Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;
  if (field === undefined) {
    if (name === 'Created' || name === 'Updated' || name === 'Ports') {
      throw new TemplateError(`field .${name} is not supported in check templates`);
    }
    throw new TemplateError(`can't evaluate field ${name} in type service.Service`);
  }
  if (args.length > 0) throw new TemplateError(`${name} has arguments but cannot be invoked as function`);
  return field(context.service);
}

function evalArg(token: Token, context: TemplateContext): Value {
  switch (token.kind) {
    case 'string':
      return str(token.value);
    case 'bool':
      return bool(token.value);
    case 'number':
      return { type: 'untypedInt', v: parseInteger(token.text) };
    case 'ident':
      return callFunction(token.name, [], context);
    case 'field':
      return evalField(token.path, [], context);
    case 'dot':
      throw new TemplateError('"." (the whole service) is not supported in check templates');
    case 'pipe':
      throw new TemplateError('unexpected "|"');
  }
}

/** Go integer literal syntax: decimal, 0x, 0o, 0b, leading-0 octal, `_` separators. */
function parseInteger(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.replace(/^[+-]/, '');
  let value: number;
  if (/^[1-9](_?[0-9])*$|^0$/.test(digits)) value = Number(digits.replaceAll('_', ''));
  else if (/^0[xX](_?[0-9a-fA-F])+$/.test(digits)) value = Number.parseInt(digits.slice(2).replaceAll('_', ''), 16);
  else if (/^0[bB](_?[01])+$/.test(digits)) value = Number.parseInt(digits.slice(2).replaceAll('_', ''), 2);
  else if (/^0[oO]?(_?[0-7])+$/.test(digits)) value = Number.parseInt(digits.replace(/^0[oO]?/, '').replaceAll('_', ''), 8);
  else throw new TemplateError(`bad or unsupported number syntax: "${text}"`);
  if (!Number.isSafeInteger(value)) throw new TemplateError(`number out of range: "${text}"`);
  return sign * value;
}

function format(value: Value): string {
  return String(value.v);
}
