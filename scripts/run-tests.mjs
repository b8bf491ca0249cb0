#!/usr/bin/env node
// Runs node:test over every *.test.ts below the given folders (default: test/).
// Node 20's --test does not expand globs itself, so the files are listed here.
// The tests run on Node 24 LTS from node_modules (bin/node24), whichever Node started this
// script, so every node a test starts with process.execPath is that Node too.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
}
for (const root of roots.length > 0 ? roots : ['test']) walk(root);
if (files.length === 0) {
  process.stderr.write(`no test files found under ${roots.join(', ') || 'test'}\n`);
  process.exit(1);
}
const node24 = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'node24');
const result = spawnSync(
  node24,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...passThrough, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
