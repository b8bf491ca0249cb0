/**
 * A route table with gorilla/mux semantics (the router the Go Sidecar used):
 * - a template like `/services/{name}.{extension}` matches the whole path; each variable
 *   matches `[^/]+`, greedily, so `a.b.json` gives `name` = `a.b` (split at the last dot);
 * - a prefix route matches any path starting with the prefix, for every method;
 * - routes are tried in order; the first whose path and method match wins;
 * - when some route matched the path but none the method, the answer is 405, else 404.
 */
export type RouteMatch<H> =
  | { readonly kind: 'found'; readonly handler: H; readonly vars: RouteVars }
  | { readonly kind: 'methodNotAllowed' }
  | { readonly kind: 'notFound' };

/** Path variables by name; a missing one reads as `''` (Go's map zero value). */
export class RouteVars {
  static readonly EMPTY = new RouteVars(new Map());

  constructor(private readonly values: ReadonlyMap<string, string>) {}

  get(name: string): string {
    return this.values.get(name) ?? '';
  }

  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }
}

interface Route<H> {
  readonly regex: RegExp;
  readonly names: readonly string[];
  /** `null` matches every method. */
  readonly method: string | null;
  readonly handler: H;
}

export class RouteTable<H> {
  private readonly routes: Route<H>[] = [];

  /** A route for one method and a whole-path template. */
  add(method: string, template: string, handler: H): this {
    const { source, names } = compileTemplate(template);
    this.routes.push({ regex: new RegExp(`^${source}$`), names, method, handler });
    return this;
  }

  /** A route for every method and every path starting with `prefix`. */
  addPrefix(prefix: string, handler: H): this {
    this.routes.push({ regex: new RegExp(`^${escapeRegex(prefix)}`), names: [], method: null, handler });
    return this;
  }

  match(method: string, path: string): RouteMatch<H> {
    let methodMismatch = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (m === null) continue;
      if (route.method !== null && route.method !== method) {
        methodMismatch = true;
        continue;
      }
      const vars = new Map<string, string>();
      route.names.forEach((name, i) => vars.set(name, m[i + 1] ?? ''));
      return { kind: 'found', handler: route.handler, vars: vars.size === 0 ? RouteVars.EMPTY : new RouteVars(vars) };
    }
    return methodMismatch ? { kind: 'methodNotAllowed' } : { kind: 'notFound' };
  }
}

/** `/a/{x}.{y}` → regex source `/a/([^/]+)\.([^/]+)` and names `[x, y]`. */
export function compileTemplate(template: string): { source: string; names: string[] } {
  const names: string[] = [];
  let source = '';
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{');
    if (open < 0) break;
    const close = rest.indexOf('}', open);
    if (close < 0) throw new Error(`unbalanced braces in route template ${template}`);
    source += escapeRegex(rest.slice(0, open));
    names.push(rest.slice(open + 1, close));
    source += '([^/]+)';
    rest = rest.slice(close + 1);
  }
  return { source: source + escapeRegex(rest), names };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
