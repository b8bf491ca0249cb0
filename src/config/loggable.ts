import { redactUrls } from '../core/index.js';
import { formatGoDuration } from './go-values.js';
import { SETTINGS, type SidecarConfig } from './schema.js';

/** Settings marked `secret` in the schema: the one list of what the log never shows. */
const SECRET_KEYS: ReadonlySet<string> = new Set(SETTINGS.filter((s) => s.secret === true).map((s) => s.key));

/**
 * The configuration as the start-up log shows it: a secret's value never appears (a list says
 * how many entries it has, a string whether it is set), URLs lose their userinfo and query
 * values (a listener or Docker URL may carry credentials), and durations read as Go writes them.
 */
export function loggableConfig(config: SidecarConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]: [string, unknown]) => {
      if (SECRET_KEYS.has(key)) {
        if (Array.isArray(value)) return [key, `${value.length} key(s)`];
        return [key, value === '' ? '(none)' : '(set)'];
      }
      if (key.endsWith('Ms') && typeof value === 'number') return [key, formatGoDuration(value)];
      if (typeof value === 'string' && value.includes('://')) return [key, redactUrls(value)];
      if (Array.isArray(value)) return [key, value.map((v: unknown) => (typeof v === 'string' && v.includes('://') ? redactUrls(v) : v))];
      return [key, value];
    }),
  );
}
