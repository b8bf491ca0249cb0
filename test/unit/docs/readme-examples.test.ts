import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseStaticFile } from '../../../src/discovery/static/index.js';

/** The README's static file is examples/static.json, and the agent takes it as it is. */
test("the README's static file is examples/static.json, and it loads with no problem", () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /A JSON array, the Go Sidecar's format[^\n]*\n\n```json\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, 'the README shows a static file');
  const file = readFileSync('examples/static.json', 'utf8');
  assert.equal(block, file);
  assert.match(readme, /--static-config examples\/static\.json/);
  const content = parseStaticFile(file, 'examples/static.json', { hostname: 'laptop', advertiseIp: '127.0.0.1' });
  assert.deepEqual(content.problems, []);
  assert.equal(content.targets.length, 1);
  assert.equal(content.targets[0]?.service.name, 'some_service');
});
