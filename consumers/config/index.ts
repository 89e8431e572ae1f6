// The configuration: one typed schema (the rollups, defined in rollup/, plus the
// aggregator's horizons), read from sluice.config.json or defaults.
export { loadConfig } from './loadConfig.ts';
export { validateConfig } from './validateConfig.ts';
export { DEFAULT_CONFIG, CONFIG_FILE } from './defaults.ts';
export type { SluiceConfig, SluiceConfigInput } from './types.ts';
