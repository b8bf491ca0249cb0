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
  health: { core: 'yes', catalog: 'yes', discovery: 'type' },
  proxy: { core: 'yes', catalog: 'yes', health: 'type' },
  listeners: { core: 'yes', catalog: 'yes' },
  api: { core: 'yes', catalog: 'yes', membership: 'type', health: 'type', proxy: 'type' },
  daemon: { core: 'yes', config: 'yes', catalog: 'yes', membership: 'yes', replication: 'yes', discovery: 'yes', health: 'yes', proxy: 'yes', listeners: 'yes', api: 'yes' },
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
