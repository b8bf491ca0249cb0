import { Option, type Command } from '@commander-js/extra-typings';
import { SETTINGS, type ConfigKey, type RawFlag } from '../config/index.js';

/** Adds one commander option per setting that has a flag; returns attribute → setting key. */
export interface FlagBinding {
  readonly key: ConfigKey;
  /** A `--no-x` switch: commander stores false under `x` when it is given. */
  readonly negated: boolean;
}

export function addSettingOptions(command: Command<[], Record<string, unknown>>): Map<string, FlagBinding> {
  const byAttribute = new Map<string, FlagBinding>();
  for (const s of SETTINGS) {
    if (s.flag === undefined) continue;
    const names = `${s.flag.short === undefined ? '' : `${s.flag.short}, `}${s.flag.long}`;
    const spec = s.flag.switch === true ? names : `${names} ${s.flag.arg ?? '<value>'}`;
    const envs = s.env.length > 0 ? ` [env: ${s.env.join(', ')}]` : '';
    const option = new Option(spec, `${s.doc} (default: ${s.defaultText})${envs}`);
    if (s.flag.repeatable === true) {
      option.argParser((value: string, previous: unknown) => [...((previous as string[] | undefined) ?? []), value]);
    }
    command.addOption(option as unknown as Option);
    byAttribute.set(option.attributeName(), { key: s.key, negated: option.negate });
  }
  return byAttribute;
}

/** The flag values the user actually typed, by setting key, raw (config validates them). */
export function collectFlags(command: Command<[], Record<string, unknown>>, byAttribute: Map<string, FlagBinding>): Partial<Record<ConfigKey, RawFlag>> {
  const opts = command.opts();
  const flags: Partial<Record<ConfigKey, RawFlag>> = {};
  for (const [attribute, { key, negated }] of byAttribute) {
    if (command.getOptionValueSource(attribute) !== 'cli') continue;
    const value = opts[attribute];
    // `--no-proxy` stores proxy=false; the setting it feeds is proxyDisabled=true.
    if (typeof value === 'boolean') flags[key] = negated ? !value : value;
    else if (typeof value === 'string' || Array.isArray(value)) flags[key] = value as RawFlag;
  }
  return flags;
}
