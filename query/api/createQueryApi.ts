// The query API as one transport-free handler: GET /v1/query (the engine), the
// catalog, health, the OpenAPI document and, when asked, the dashboard. node:http
// (QueryServer) and API Gateway (lambda.ts) both adapt to it, so they answer alike.
import { QueryError, UnknownTypeError } from '../errors.ts';
import { executeQuery } from '../executeQuery.ts';
import { readCatalog } from '../catalog.ts';
import { parseQueryParameters } from '../parameters.ts';
import { loadDashboardAssets } from '../dashboard/dashboardAssets.ts';
import { buildOpenApiDocument } from './openApiDocument.ts';
import { QUERY_ROUTES } from './routes.ts';
import type { ApiErrorBody, ApiRequest, ApiResponse, QueryApiDeps } from './types.ts';

export type QueryApiHandler = (request: ApiRequest) => Promise<ApiResponse>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function error(status: number, e: ApiErrorBody['error'], headers: Record<string, string> = {}): ApiResponse {
  return json(status, { error: e } satisfies ApiErrorBody, headers);
}

export function createQueryApi(deps: QueryApiDeps): QueryApiHandler {
  const now = deps.now ?? Date.now;
  const assets = deps.dashboard ? loadDashboardAssets() : undefined;
  const openApi = JSON.stringify(buildOpenApiDocument());

  async function route(req: ApiRequest): Promise<ApiResponse> {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    if (path === QUERY_ROUTES.query) {
      const result = await executeQuery(deps.rdsData, deps.target, parseQueryParameters(req.query), { config: deps.config, now: now() });
      return json(200, result);
    }
    if (path === QUERY_ROUTES.catalog) return json(200, await readCatalog(deps.rdsData, deps.target, deps.config));
    if (path === QUERY_ROUTES.health) {
      if (!deps.health) return error(404, { message: 'no health source here (the local stack serves one)' });
      return json(200, await deps.health());
    }
    if (path === QUERY_ROUTES.openApi) return { status: 200, headers: JSON_HEADERS, body: openApi };
    const asset = assets?.get(path === QUERY_ROUTES.dashboard ? '/index.html' : path.slice(QUERY_ROUTES.assets.length - 1));
    if (asset && (path === QUERY_ROUTES.dashboard || path.startsWith(QUERY_ROUTES.assets))) {
      return {
        status: 200,
        // Everything the page loads comes from here: the browser refuses anything else.
        headers: {
          'content-type': asset.contentType,
          'cache-control': 'no-cache',
          'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
          'x-content-type-options': 'nosniff',
        },
        body: asset.body,
      };
    }
    return error(404, { message: `no such path ${path} (paths: ${[QUERY_ROUTES.query, QUERY_ROUTES.catalog, QUERY_ROUTES.health, QUERY_ROUTES.openApi, ...(assets ? ['/'] : [])].join(', ')})` });
  }

  return async function queryApi(req) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, { message: `${req.method} is not allowed: only GET` }, { allow: 'GET, HEAD' });
    try {
      const res = await route(req);
      return req.method === 'HEAD' ? { ...res, body: '' } : res;
    } catch (err) {
      if (err instanceof UnknownTypeError) return error(404, { parameter: err.option, message: err.message, known: err.known });
      if (err instanceof QueryError) return error(400, { parameter: err.option, message: err.message });
      // The database (or the Data API in front of it) did not answer: say so, without internals.
      const message = err instanceof Error ? err.message : String(err);
      return error(503, { message: `the database did not answer: ${message.split('\n')[0]}` });
    }
  };
}
