import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrls } from '../../../src/core/index.js';

test('userinfo and query values of every URL become ***; everything else is kept', () => {
  const cases: Array<[string, string]> = [
    ['http://user:pass@10.0.0.1:8080/health', 'http://***@10.0.0.1:8080/health'],
    ['https://token@host/x', 'https://***@host/x'],
    ['http://host:80/health?token=s3cr3t&verbose', 'http://host:80/health?token=***&verbose'],
    ['http://host/h?a=1&b=2#frag', 'http://host/h?a=***&b=***#frag'],
    ['http://u:p@host/h?key=v', 'http://***@host/h?key=***'],
    ['http://{{ host }}:{{ tcp 8080 }}/health?token={{ .Name }}', 'http://{{ host }}:{{ tcp 8080 }}/health?token=***'],
    ['/usr/bin/curl -f http://admin:hunter2@127.0.0.1/status?k=v', '/usr/bin/curl -f http://***@127.0.0.1/status?k=***'],
    ['HTTP 500 from http://10.0.0.1/ok', 'HTTP 500 from http://10.0.0.1/ok'],
    ['10.0.0.1:8080', '10.0.0.1:8080'],
    ['invalid URL "http://a@b?c=d"', 'invalid URL "http://***@b?c=***"'],
    ['http://a:b@{{ host }}:{{ tcp 80 }}/h?k={{ .ID }}&z=1', 'http://***@{{ host }}:{{ tcp 80 }}/h?k=***&z=***'],
    ['', ''],
  ];
  for (const [input, expected] of cases) assert.equal(redactUrls(input), expected, input);
});

test('a redacted text no longer contains the secret, whatever the URL looks like', () => {
  for (const url of ['http://a:S3CRET@h/', 'http://S3CRET@h', 'ws://h/p?x=S3CRET', 'http://h?x=S3CRET&y=S3CRET', 'http://u:S3CRET@[::1]:80/?t=S3CRET']) {
    assert.ok(!redactUrls(`check ${url} failed`).includes('S3CRET'), url);
  }
});
