// Lambda entry of the schema custom resource (infra/lib/SchemaMigration.ts): builds
// the handler from the environment the CDK app sets. The bundle carries the SQL
// files in `migrations/` beside this module.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, readStackEnv, requireEnv } from '../../core/index.ts';
import { loadMigrations } from '../../schema/index.ts';
import { createMigrateHandler } from './createMigrateHandler.ts';

const env = readStackEnv();
const bundledMigrations = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export const handler = createMigrateHandler({
  client: new RDSDataClient(awsClientConfig(env, 'rdsData')),
  target: {
    resourceArn: requireEnv(env, ENV.dbClusterArn),
    secretArn: requireEnv(env, ENV.dbSecretArn),
    database: requireEnv(env, ENV.dbName),
  },
  loadMigrations: () => loadMigrations(bundledMigrations),
});
