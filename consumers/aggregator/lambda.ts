// AWS Lambda entry of the aggregator: builds the handler once per container from the
// environment the CDK app sets (database coordinates, region) and the bundled config.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { awsClientConfig, ENV, readStackEnv, requireEnv, RESOURCE_NAMES } from '../../core/index.ts';
import { loadConfig } from '../config/index.ts';
import { createAggregatorHandler } from './createAggregatorHandler.ts';
import { METRICS_NAMESPACE } from './metricNames.ts';

const env = readStackEnv();
// The CDK app sets POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, and alarms on
// what they name; the defaults are the same values.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? RESOURCE_NAMES.aggregatorFunction;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName });

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
