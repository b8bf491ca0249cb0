// Regenerates the docs that are derived from code: docs/configuration.md.
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/config/index.js';

writeFileSync('docs/configuration.md', renderConfigurationDoc());
process.stdout.write('wrote docs/configuration.md\n');
