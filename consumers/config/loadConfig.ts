// Reads the configuration from one place: sluice.config.json in the working
// directory (or the path given), defaults when there is no such file.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_FILE, DEFAULT_CONFIG } from './defaults.ts';
import { ConfigError } from '../../rollup/index.ts';
import type { SluiceConfig } from './types.ts';
import { validateConfig } from './validateConfig.ts';

/**
 * The configuration at `path` (must exist), or `./sluice.config.json` when present,
 * or the defaults. Throws ConfigError for unreadable JSON or a value outside the schema.
 */
export function loadConfig(path?: string): SluiceConfig {
  const file = resolve(path ?? CONFIG_FILE);
  if (!existsSync(file)) {
    if (path !== undefined) throw new ConfigError(file, 'file not found');
    return structuredClone(DEFAULT_CONFIG);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, `is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return validateConfig(parsed);
}
