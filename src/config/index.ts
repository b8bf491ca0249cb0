/** config: settings from flags and environment, validated once, then frozen. */
export {
  type SidecarConfig,
  type ConfigKey,
  type RawFlag,
  type FlagDef,
  type Setting,
  type DiscoveryMethod,
  type ServiceNamer,
  SETTINGS,
  DISCOVERY_METHODS,
} from './schema.js';
export { loadConfig, type ConfigInput, type LoadedConfig } from './load.js';
export { loggableConfig } from './loggable.js';
export { chooseAdvertiseIp, isPrivateIpv4, type AdvertiseChoice } from './advertise-ip.js';
export { renderConfigurationDoc } from './docs.js';
export { parseGoBool, parseGoInt, parseGoDuration, parseList, formatGoDuration } from './go-values.js';
