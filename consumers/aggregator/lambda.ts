// AWS Lambda entry of the aggregator: builds the handler once per container from the
// environment the CDK app sets (database coordinates, region, optional config file).
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
  rdsData: new RDSDataClient(awsClientConfig(env, 'rdsData')),
  resourceArn: requireEnv(env, ENV.dbClusterArn),
  secretArn: requireEnv(env, ENV.dbSecretArn),
  database: requireEnv(env, ENV.dbName),
  // SLUICE_CONFIG_FILE is not a shared variable: a deployment may bundle sluice.config.json beside the handler.
  config: loadConfig(env.SLUICE_CONFIG_FILE),
  logger,
  metrics,
});
