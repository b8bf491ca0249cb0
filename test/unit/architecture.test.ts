import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

/**
 * The dependency direction of DESIGN.md, enforced: which top-level folder of src/ may import
 * which (`type` = `import type` only). Imports across folders must go through index.ts.
 */
const ALLOWED: Record<string, Record<string, 'yes' | 'type'>> = {
  core: {},
  config: { core: 'yes' },
  catalog: { core: 'yes' },
  membership: { core: 'yes' },
  replication: { core: 'yes', catalog: 'yes', membership: 'yes' },
  discovery: { core: 'yes', catalog: 'yes' },
  health: { core: 'yes', catalog: 'yes' },
  proxy: { core: 'yes', catalog: 'yes', health: 'type' },
  listeners: { core: 'yes', catalog: 'yes' },
  api: { core: 'yes', catalog: 'yes', membership: 'type', health: 'type', proxy: 'type' },
  metrics: { core: 'yes', catalog: 'yes', membership: 'type', replication: 'type', health: 'type', proxy: 'type', listeners: 'type' },
  daemon: { core: 'yes', config: 'yes', catalog: 'yes', membership: 'yes', replication: 'yes', discovery: 'yes', health: 'yes', proxy: 'yes', listeners: 'yes', api: 'yes', metrics: 'yes' },
  cli: { core: 'yes', config: 'yes', daemon: 'yes' },
};

const SRC = resolve('src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.[^'"]+)['"]/gm;

test('src/ folders import only what DESIGN.md allows, through index.ts', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const from = rel.includes(sep) ? (rel.split(sep)[0] ?? '') : '(root)';
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(SRC, resolve(dirname(file), m[3] ?? ''));
      const to = target.split(sep)[0] ?? '';
      if (to === from || to.startsWith('..')) continue;
      if (from === '(root)') {
        if (to !== 'cli') problems.push(`${rel}: main may import only cli (imports ${to})`);
        continue;
      }
      const rule = ALLOWED[from]?.[to];
      const typeOnly = m[2] !== undefined;
      if (rule === undefined) problems.push(`${rel}: ${from} must not import ${to}`);
      else if (rule === 'type' && !typeOnly) problems.push(`${rel}: ${from} may only \`import type\` from ${to}`);
      if (!/^[^/]+\/index\.js$/.test(target.split(sep).join('/'))) problems.push(`${rel}: deep import ${m[3]} (use ${to}/index.js)`);
    }
  }
  assert.deepEqual(problems, []);
});

test('no console calls and no untyped any in src/', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/\bconsole\./.test(line)) problems.push(`${relative(SRC, file)}:${i + 1}: console`);
      if (/(:\s*any\b|as any\b|<any>)/.test(line) && !/any: /.test(lines[i - 1] ?? '') && !/\/\/.*any/.test(line)) {
        problems.push(`${relative(SRC, file)}:${i + 1}: any without a reason`);
      }
    });
  }
  assert.deepEqual(problems, []);
});

/** Relative imports of a file under src/ or sim/, as paths of .ts files relative to the repository. */
function relativeImports(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => ({
    target: relative(resolve('.'), resolve(dirname(file), m[3] ?? '')).replace(/\.js$/, '.ts'),
    typeOnly: m[2] !== undefined,
  }));
}

/**
 * Import cycles that are known and owned by another change, as "folder: a.ts -> b.ts" sorted
 * lists of the files in the cycle. Remove an entry when its cycle is gone (the test says so).
 */
const KNOWN_CYCLES: readonly string[] = [];

test('no import cycles inside a folder of src/', () => {
  const byFolder = new Map<string, Map<string, string[]>>();
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    if (!rel.includes(sep)) continue;
    const folder = rel.split(sep)[0] ?? '';
    const graph = byFolder.get(folder) ?? new Map<string, string[]>();
    byFolder.set(folder, graph);
    const inside = relativeImports(file)
      .map((i) => relative(SRC, resolve(i.target)))
      .filter((t) => t.split(sep)[0] === folder);
    graph.set(rel, inside);
  }
  const cycles: string[] = [];
  for (const [folder, graph] of byFolder) {
    // Depth-first search; a back edge to a file on the current path closes a cycle.
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (node: string): void => {
      state.set(node, 'open');
      path.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === 'open') {
          const cycle = path.slice(path.indexOf(next)).map((p) => p.split(sep).join('/'));
          cycles.push(`${folder}: ${[...cycle].sort().join(' -> ')}`);
        } else if (state.get(next) === undefined && graph.has(next)) visit(next);
      }
      path.pop();
      state.set(node, 'done');
    };
    for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  }
  const found = [...new Set(cycles)].sort();
  assert.deepEqual(
    found.filter((c) => !KNOWN_CYCLES.includes(c)),
    [],
    'import cycles inside a folder (break them with an interface the importer owns)',
  );
  assert.deepEqual(
    KNOWN_CYCLES.filter((c) => !found.includes(c)),
    [],
    'known cycles that are gone: remove them from KNOWN_CYCLES',
  );
});

test('the simulator (sim/) is imported by nothing in src/, and imports only membership and core through index.ts', () => {
  const SIM = resolve('sim');
  const problems: string[] = [];
  for (const file of files(SRC)) {
    for (const { target } of relativeImports(file)) {
      if (target.split(sep)[0] === 'sim') problems.push(`${relative(SRC, file)}: src/ must not import the simulator (${target})`);
    }
  }
  for (const file of files(SIM)) {
    for (const { target } of relativeImports(file)) {
      const parts = target.split(sep);
      if (parts[0] === 'sim') continue;
      const door = parts.join('/');
      if (door !== 'src/membership/index.ts' && door !== 'src/core/index.ts') problems.push(`${relative('.', file)}: imports ${door} (only src/membership/index.ts and src/core/index.ts)`);
    }
  }
  assert.deepEqual(problems, []);
});

/** membership/'s parts, lowest first: a part may import only the parts before it. */
const MEMBERSHIP_PARTS = ['wire', 'transports', 'engine'];

test('membership/ parts import downwards only: wire <- transports <- engine', () => {
  const problems: string[] = [];
  for (const file of files(join(SRC, 'membership'))) {
    const rel = relative(join(SRC, 'membership'), file);
    const from = MEMBERSHIP_PARTS.indexOf(rel.split(sep)[0] ?? '');
    if (from < 0) continue;
    for (const { target } of relativeImports(file)) {
      const parts = target.split(sep);
      if (parts[0] !== 'src' || parts[1] !== 'membership') continue;
      const to = MEMBERSHIP_PARTS.indexOf(parts[2] ?? '');
      if (to < 0 || to > from) problems.push(`membership/${rel.split(sep).join('/')}: imports ${parts.slice(1).join('/')}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('src/catalog is model, merge rules and codec: no timers (the send schedules belong to replication)', () => {
  const problems: string[] = [];
  for (const file of files(join(SRC, 'catalog'))) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|TimerHandle)\b/.test(line)) {
        problems.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(problems, []);
});
