// The configuration that applies when no sluice.config.json exists: every event type
// counted per minute, event ids remembered for 15 minutes of stream time.
import { DEFAULT_ROLLUPS } from '../../rollup/index.ts';
import type { SluiceConfig } from './types.ts';

export const DEFAULT_CONFIG: SluiceConfig = {
  rollups: DEFAULT_ROLLUPS,
  dedupHorizonSeconds: 900,
  checkpointRetentionSeconds: 8 * 86_400,
};

/** The file `loadConfig()` reads from the working directory. */
export const CONFIG_FILE = 'sluice.config.json';
