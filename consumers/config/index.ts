// The rollup configuration: one typed schema, read from sluice.config.json or defaults.
export { loadConfig } from './loadConfig.ts';
export { validateConfig } from './validateConfig.ts';
export { DEFAULT_CONFIG, DEFAULT_ROLLUP_NAME, CONFIG_FILE } from './defaults.ts';
export { ConfigError } from './errors.ts';
export type { RollupConfig, SluiceConfig, SluiceConfigInput } from './types.ts';
