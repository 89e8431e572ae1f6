// The query API: one transport-free handler (GET /v1/query, catalog, health,
// OpenAPI, dashboard), its node:http server and its Lambda entry (lambda.ts).
export { createQueryApi } from './createQueryApi.ts';
export type { QueryApiHandler } from './createQueryApi.ts';
export { QueryServer } from './QueryServer.ts';
export { createQueryLambdaHandler } from './lambda.ts';
export { buildOpenApiDocument } from './openApiDocument.ts';
export { QUERY_ROUTES } from './routes.ts';
export type { ApiErrorBody, ApiRequest, ApiResponse, HealthSource, PipelineHealth, QueryApiDeps } from './types.ts';
