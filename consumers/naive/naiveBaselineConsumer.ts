// The naive baseline's consumer as the local stack registers it: Lambda's default
// event source mapping settings (what a team gets without tuning), reading the
// baseline's stream instead of sluice's.
import { fileURLToPath } from 'node:url';
import { ENV, NAIVE_BASELINE, SUBSCRIBER_MAPPING } from '../../core/index.ts';
import type { RegisteredSubscriber } from '../subscribers/index.ts';

export function naiveBaselineConsumer(): RegisteredSubscriber {
  return {
    name: 'naive',
    functionName: NAIVE_BASELINE.functionName,
    entry: fileURLToPath(new URL('./lambda.ts', import.meta.url)),
    description: 'the naive baseline: one INSERT per event through the RDS Data API',
    mapping: SUBSCRIBER_MAPPING,
    types: undefined,
    enhancedFanOut: false,
    memorySize: undefined,
    environment: { [ENV.streamName]: NAIVE_BASELINE.stream },
    uses: ['database'],
    readsConfig: false,
    builtIn: true,
  };
}
