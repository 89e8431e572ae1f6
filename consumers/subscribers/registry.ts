// The one registry of the stream's consumers: the built-in aggregator and archiver,
// then every subscriber of sluice.config.json. The local stack runs each entry and
// the CDK app deploys each one from this list; adding a subscriber touches no sluice file.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGGREGATOR_MAPPING, ARCHIVER_MAPPING, SUBSCRIBER_MAPPING, subscriberFunctionName } from '../../core/index.ts';
import type { SluiceConfig } from '../config/index.ts';
import type { RegisteredSubscriber } from './types.ts';

/** The names of the built-in consumers, which a configured subscriber may not take. */
export const BUILT_IN_SUBSCRIBER_NAMES = ['aggregator', 'archiver'] as const;

function builtIns(): RegisteredSubscriber[] {
  const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));
  const common = { types: undefined, enhancedFanOut: false, memorySize: undefined, environment: {}, builtIn: true };
  return [
    {
      ...common,
      name: 'aggregator',
      functionName: subscriberFunctionName('aggregator'),
      entry: entry('../aggregator/lambda.ts'),
      description: 'sluice aggregator: Kinesis batches to exact rollups through the RDS Data API',
      mapping: AGGREGATOR_MAPPING,
      // The rollup tables and the quarantine; the rollups it keeps come from the configuration.
      uses: ['database'],
      readsConfig: true,
    },
    {
      ...common,
      name: 'archiver',
      functionName: subscriberFunctionName('archiver'),
      entry: entry('../archiver/lambda.ts'),
      description: 'sluice archiver: raw events from Kinesis to S3 through Firehose',
      mapping: ARCHIVER_MAPPING,
      uses: ['archive'],
      readsConfig: false,
    },
  ];
}

/**
 * Every consumer of the stream: the built-in ones, then the configuration's
 * subscribers in order, their handler paths resolved against `baseDir` (the
 * directory of the configuration file) and their unset mapping settings filled
 * from SUBSCRIBER_MAPPING.
 */
export function registeredSubscribers(config: Pick<SluiceConfig, 'subscribers'>, baseDir: string = process.cwd()): RegisteredSubscriber[] {
  const configured = config.subscribers.map((s): RegisteredSubscriber => {
    const { name, handler, types, enhancedFanOut, memorySize, environment, ...mapping } = s;
    return {
      name,
      functionName: subscriberFunctionName(name),
      entry: isAbsolute(handler) ? handler : resolve(baseDir, handler),
      description: `sluice subscriber ${name}: ${handler}`,
      mapping: { ...SUBSCRIBER_MAPPING, ...mapping },
      types,
      enhancedFanOut: enhancedFanOut ?? false,
      memorySize,
      environment: environment ?? {},
      // The quarantine, where its poison records go as the aggregator's do.
      uses: ['database'],
      readsConfig: false,
      builtIn: false,
    };
  });
  return [...builtIns(), ...configured];
}
