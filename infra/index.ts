// The CDK app's public surface: the stack, its constructs and their props, for
// anyone composing sluice into a larger CDK app.
export { SluiceStack, QUERY_ROUTE_PATH, QUERY_API_PATHS } from './lib/SluiceStack.ts';
export type { SluiceStackProps } from './lib/SluiceStack.ts';
export { EventStream } from './lib/EventStream.ts';
export type { EventStreamProps } from './lib/EventStream.ts';
export { RollupDatabase } from './lib/RollupDatabase.ts';
export type { RollupDatabaseProps } from './lib/RollupDatabase.ts';
export { EventArchive, ARCHIVE_DATA_PREFIX, ARCHIVE_ERROR_PREFIX } from './lib/EventArchive.ts';
export type { EventArchiveProps } from './lib/EventArchive.ts';
export { StreamConsumer, validateConsumerSettings } from './lib/StreamConsumer.ts';
export type { StreamConsumerProps } from './lib/StreamConsumer.ts';
export { IngestApi, INGEST_THROTTLE_DEFAULTS } from './lib/IngestApi.ts';
export type { IngestApiProps } from './lib/IngestApi.ts';
export { SchemaMigration, schemaDigest } from './lib/SchemaMigration.ts';
export type { SchemaMigrationProps } from './lib/SchemaMigration.ts';
export { PipelineMonitoring } from './lib/PipelineMonitoring.ts';
export type { PipelineMonitoringProps } from './lib/PipelineMonitoring.ts';
export { SluiceFunction, REPO_ROOT } from './lib/SluiceFunction.ts';
export type { SluiceFunctionProps } from './lib/SluiceFunction.ts';
export type { StreamConsumerSettings, QueryRouteProps } from './lib/types.ts';
export { lagPolicy, checkLagSettings } from './lib/lagPolicy.ts';
export type { LagPolicy } from './lib/lagPolicy.ts';
export { applySluiceNagSuppressions } from './lib/nagSuppressions.ts';
export { InfraConfigError } from './lib/errors.ts';
export { SLUICE_APP_CONTEXT } from './lib/appContext.ts';
// The schema custom resource's handler factory (its Lambda entry is lambda/migrate.ts).
export { createMigrateHandler, isDatabaseResuming, SCHEMA_RESOURCE_ID } from './lambda/createMigrateHandler.ts';
export type { MigrateHandlerDeps, MigrateContext } from './lambda/createMigrateHandler.ts';
