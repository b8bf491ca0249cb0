import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/architecture.md tells a newcomer where each behaviour lives. Keep it true: every file it
 * names exists (a name without a folder is looked up in the folders named before it on its line),
 * and every folder of src/ has a row in its folder table.
 */
const DOC = readFileSync('docs/architecture.md', 'utf8');

test('every file docs/architecture.md names exists', () => {
  const missing: string[] = [];
  for (const line of DOC.split('\n')) {
    // A name is looked up from the repository, from src/, and in the folders named before it on its line.
    const folders = new Set<string>([join('src', /^\| `([\w]+)` /.exec(line)?.[1] ?? '')]);
    for (const [, name] of line.matchAll(/`([\w./-]+\.ts)`/g)) {
      if (name === undefined) continue;
      const candidates = [name, join('src', name), ...[...folders].map((f) => join(f, name))];
      if (!candidates.some((c) => existsSync(c))) missing.push(name);
      const found = candidates.find((c) => existsSync(c));
      if (found !== undefined) {
        folders.add(found.slice(0, found.lastIndexOf('/')));
        folders.add(found.split('/').slice(0, 2).join('/'));
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('every folder of src/ has a row in the folder table of docs/architecture.md', () => {
  const folders = readdirSync('src').filter((name) => statSync(join('src', name)).isDirectory());
  const rows = new Set([...DOC.matchAll(/^\| `([\w/]+?)\/?` /gm)].map((m) => m[1]));
  assert.deepEqual(folders.filter((f) => !rows.has(f)), []);
});
