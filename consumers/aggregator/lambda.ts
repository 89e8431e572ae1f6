// AWS Lambda entry of the aggregator: builds the handler once per container from the
// environment the CDK app sets (database coordinates, region) and the bundled config.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { awsClientConfig, ENV, readStackEnv, requireEnv } from '../../core/index.ts';
import { loadConfig } from '../config/index.ts';
import { createAggregatorHandler } from './createAggregatorHandler.ts';

const env = readStackEnv();
const logger = new Logger({ serviceName: 'sluice-aggregator' });
const metrics = new Metrics({ namespace: 'sluice', serviceName: 'sluice-aggregator' });

export const handler = createAggregatorHandler({
  // The handler retries whole transactions itself; an SDK retry of one statement inside a
  // transaction could apply it twice.
  rdsData: new RDSDataClient({ ...awsClientConfig(env, 'rdsData'), maxAttempts: 1 }),
  resourceArn: requireEnv(env, ENV.dbClusterArn),
  secretArn: requireEnv(env, ENV.dbSecretArn),
  database: requireEnv(env, ENV.dbName),
  // sluice.config.json in the function's working directory (the bundle), defaults otherwise.
  config: loadConfig(),
  logger,
  metrics,
});
