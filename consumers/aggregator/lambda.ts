// Entry of the aggregator (AWS Lambda and the local stack): builds the handler from
// the host's variables (database coordinates, region) and the bundled config.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { awsClientConfig, ENV, requireEnv, RESOURCE_NAMES } from '../../core/index.ts';
import { loadConfig } from '../config/index.ts';
import { defineConsumerEntry } from '../subscribers/index.ts';
import { createAggregatorHandler } from './createAggregatorHandler.ts';

export const handler = defineConsumerEntry(RESOURCE_NAMES.aggregatorFunction, ({ env, logger, metrics, config, report }) => {
  // The handler retries whole transactions itself; an SDK retry of one statement inside a
  // transaction could apply it twice.
  const rdsData = new RDSDataClient({ ...awsClientConfig(env, 'rdsData'), maxAttempts: 1 });
  return {
    handler: createAggregatorHandler({
      rdsData,
      resourceArn: requireEnv(env, ENV.dbClusterArn),
      secretArn: requireEnv(env, ENV.dbSecretArn),
      database: requireEnv(env, ENV.dbName),
      // The host's (the local stack's), else sluice.config.json in the working directory
      // (the bundle on Lambda), else the defaults.
      config: config ?? loadConfig(),
      logger,
      metrics,
      ...(report ? { onBatch: (batch) => report('batch', batch) } : {}),
    }),
    close: () => rdsData.destroy(),
  };
});
