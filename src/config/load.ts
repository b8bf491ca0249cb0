import { ErrorCode, SidecarError } from '../core/index.js';
import { SETTINGS, type ConfigKey, type RawFlag, type Setting, type SidecarConfig } from './schema.js';
import { readKeyFile } from './key-file.js';

export interface ConfigInput {
  /** The process environment (or a test's). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Values given on the command line, by setting key; flags win over the environment. */
  readonly flags?: Partial<Record<ConfigKey, RawFlag>>;
}

export interface LoadedConfig {
  readonly config: SidecarConfig;
  /** Where each value came from: `--flag`, `ENV_NAME` or `default`. */
  readonly origins: Readonly<Record<ConfigKey, string>>;
  /** Things worth a log line that do not stop start-up. */
  readonly warnings: readonly string[];
}

/**
 * Builds the agent's configuration: for each setting the flag, else the first environment
 * variable that is set (the Go Sidecar's `PREFIX_NAME` then bare `NAME`; an empty value
 * counts as set), else the default. Every invalid value is collected and reported in one
 * SidecarError(CONFIG_INVALID) naming the variable or flag; the result is frozen.
 */
export function loadConfig(input: ConfigInput): LoadedConfig {
  const values: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  const problems: string[] = [];
  const warnings: string[] = [];

  for (const s of SETTINGS) {
    const source = pick(s, input);
    if (source === null) {
      values[s.key] = s.defaultValue();
      origins[s.key] = 'default';
      continue;
    }
    const parsed = s.parse(source.raw);
    if (parsed.ok) {
      values[s.key] = parsed.value;
      origins[s.key] = source.name;
    } else {
      // A secret's value is never shown, not even the part that was valid.
      problems.push(s.secret === true ? `${source.name} ${parsed.reason}` : `${source.name}=${JSON.stringify(showRaw(source.raw))}: ${parsed.reason}`);
      values[s.key] = s.defaultValue();
      origins[s.key] = 'default';
    }
  }

  const config = values as unknown as SidecarConfig;
  crossCheck(config, origins, problems);
  const keys = gossipKeys(config, origins, problems, warnings);
  if (keys !== null) values['encryptKeys'] = keys;
  if (problems.length > 0) {
    const list = problems.map((p) => `  - ${p}`).join('\n');
    throw new SidecarError(
      ErrorCode.CONFIG_INVALID,
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${list}\n` +
        'Fix the values above (see docs/configuration.md or `sidecar agent --help`).',
    );
  }
  return {
    config: Object.freeze({ ...config }),
    origins: Object.freeze(origins as Record<ConfigKey, string>),
    warnings,
  };
}

function pick(s: Setting, input: ConfigInput): { raw: RawFlag; name: string } | null {
  const flag = input.flags?.[s.key];
  if (flag !== undefined && s.flag !== undefined) {
    if (!(Array.isArray(flag) && flag.length === 0)) return { raw: flag, name: s.flag.long };
  }
  for (const name of s.env) {
    const value = input.env[name];
    if (value !== undefined) return { raw: value, name };
  }
  return null;
}

function showRaw(raw: RawFlag): string {
  return Array.isArray(raw) ? raw.join(',') : String(raw);
}

/**
 * The keys of the key file, when one is set (null otherwise), and the warnings about where
 * keys come from: a key on the command line can be read by every user of the host.
 */
function gossipKeys(config: SidecarConfig, origins: Record<string, string>, problems: string[], warnings: string[]): Uint8Array[] | null {
  const keysFrom = origins['encryptKeys'] ?? 'default';
  if (keysFrom.startsWith('--')) {
    warnings.push(
      `a gossip key given with ${keysFrom} is visible to every user of this host in /proc/PID/cmdline (ps); ` +
        'put the keys in a file readable only by the agent (sidecar keygen > key; chmod 600 key) and use --encrypt-key-file / SIDECAR_ENCRYPT_KEY_FILE',
    );
  }
  if (config.encryptKeyFile === '') return null;
  const fileFrom = origins['encryptKeyFile'] ?? 'SIDECAR_ENCRYPT_KEY_FILE';
  if (keysFrom !== 'default') {
    problems.push(`${fileFrom} and ${keysFrom} are both set: give the keys in one place (the key file)`);
    return null;
  }
  const read = readKeyFile(config.encryptKeyFile, fileFrom);
  if (!read.ok) {
    problems.push(read.problem);
    return null;
  }
  warnings.push(...read.warnings);
  return read.keys;
}

function crossCheck(config: SidecarConfig, origins: Record<string, string>, problems: string[]): void {
  if (config.discovery.includes('docker') && config.servicesNamer === 'regex') {
    const where = origins['servicesNameMatch'] ?? 'SERVICES_NAME_MATCH';
    if (config.servicesNameMatch === '') {
      problems.push(`${where === 'default' ? 'SERVICES_NAME_MATCH' : where}: the regex namer needs a pattern, e.g. ^/(.+)(-[0-9a-z]{7,14})$`);
    } else {
      try {
        new RegExp(config.servicesNameMatch);
      } catch (err) {
        problems.push(`${where}=${JSON.stringify(config.servicesNameMatch)}: not a valid regular expression (${(err as Error).message})`);
      }
    }
  }
}
