// Entry of the naive baseline's consumer: the local stack runs it (on demand, for the
// load test's comparison) on the baseline's own stream, like any other consumer.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, NAIVE_BASELINE, awsClientConfig, requireEnv } from '../../core/index.ts';
import { defineConsumerEntry } from '../subscribers/index.ts';
import { createNaiveHandler } from './createNaiveHandler.ts';

export const handler = defineConsumerEntry(NAIVE_BASELINE.functionName, ({ env }) => {
  const rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  return {
    handler: createNaiveHandler({
      rdsData,
      target: { resourceArn: requireEnv(env, ENV.dbClusterArn), secretArn: requireEnv(env, ENV.dbSecretArn), database: requireEnv(env, ENV.dbName) },
    }),
    close: () => rdsData.destroy(),
  };
});
