// The read side: the query engine over the rollups (one for the CLI, the HTTP API and
// the dashboard), its parameters as every front accepts them, and the quarantine's records.
export { executeQuery, MAX_RESULT_ROWS } from './executeQuery.ts';
export { queryRollups } from './queryRollups.ts';
export { planQuery, MAX_TOP, MAX_TYPES } from './planQuery.ts';
export type { QueryPlan } from './planQuery.ts';
export { buildQueryStatement } from './querySql.ts';
export { readCatalog } from './catalog.ts';
export type { QueryCatalog } from './catalog.ts';
export { parseTimeBound, parseBucket, formatBucket, TIME_BOUND_FORMS } from './timeRange.ts';
export { QUERY_PARAMETERS, parseQueryParameters } from './parameters.ts';
export type { QueryParameter } from './parameters.ts';
export { QueryError, UnknownTypeError, QueryTooLargeError } from './errors.ts';
export { RANKING_MEASURES } from './types.ts';
export type {
  RankingMeasure, QueryRequest, QueryOptions, QueryResult, TypeResult, QueryRow, QueryGroup, MeasureValues,
  RollupQuery, RollupResult, RollupRow,
} from './types.ts';
export { createQueryApi, QueryServer, createQueryLambdaHandler, buildOpenApiDocument, QUERY_ROUTES } from './api/index.ts';
export type { QueryApiHandler, ApiErrorBody, ApiRequest, ApiResponse, HealthSource, PipelineHealth, QueryApiDeps } from './api/index.ts';
export { QuarantineStore } from './QuarantineStore.ts';
export type { QuarantineEntry, QuarantineStatus } from './QuarantineStore.ts';
export { redriveQuarantine, redriveEventId } from './redriveQuarantine.ts';
export type { QuarantineFix, QuarantineFixInput, RedriveResult } from './redriveQuarantine.ts';
