// The rollups that apply when the configuration declares none: every event type
// counted per minute.
import type { RollupConfig } from './RollupConfig.ts';

export const DEFAULT_ROLLUP_NAME = 'by_type';

export const DEFAULT_ROLLUPS: RollupConfig[] = [{ name: DEFAULT_ROLLUP_NAME, types: '*', groupBy: [], windows: [60] }];
