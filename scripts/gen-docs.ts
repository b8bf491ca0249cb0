// Regenerates the docs that are derived from code: docs/configuration.md, docs/metrics.md.
import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/config/index.js';
import { renderMetricsDoc } from '../src/metrics/index.js';

writeFileSync('docs/configuration.md', renderConfigurationDoc());
process.stdout.write('wrote docs/configuration.md\n');
writeFileSync('docs/metrics.md', renderMetricsDoc());
process.stdout.write('wrote docs/metrics.md\n');
