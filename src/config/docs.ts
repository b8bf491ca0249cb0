import { SETTINGS } from './schema.js';

/** Renders docs/configuration.md from the schema (kept in step by a test). */
export function renderConfigurationDoc(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run gen:docs`; do not edit by hand. -->',
    '',
    'Every setting can come from a command-line flag (when it has one), else from the first',
    'environment variable of its list that is set, else its default. Like the Go Sidecar, an',
    'environment variable set to the empty string counts as set, and Go names are looked up',
    'as `PREFIX_NAME` first and then as the bare `NAME`. Lists are comma-separated (entries',
    'are trimmed). Durations use Go syntax (`200ms`, `20s`, `1m30s`); integers accept Go',
    'prefixes (`0x1F`); booleans are `true/false/1/0/t/f`. Every invalid value is reported at',
    'start-up in one error that names the variable or flag.',
    '',
    '"Origin" says whether the Go Sidecar has the same setting (`go`) or it is new here (`new`).',
    '',
    '| Setting | Flag | Environment | Type | Default | Origin | Meaning |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const s of SETTINGS) {
    const flag = s.flag === undefined ? '' : `\`${s.flag.long}\`${s.flag.short === undefined ? '' : ` / \`${s.flag.short}\``}${s.flag.repeatable === true ? ' (repeatable)' : ''}`;
    const env = s.env.map((e) => `\`${e}\``).join(', ');
    lines.push(`| ${s.key} | ${flag} | ${env} | ${s.type} | ${s.defaultText} | ${s.origin} | ${s.doc.replace(/\|/g, '\\|')} |`);
  }
  lines.push('');
  return lines.join('\n');
}
