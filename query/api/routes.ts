// The API's paths, named once for the handler, the OpenAPI document, the dashboard
// and the stack's printed URLs.
export const QUERY_ROUTES = {
  query: '/v1/query',
  catalog: '/v1/catalog',
  health: '/v1/health',
  openApi: '/openapi.json',
  dashboard: '/',
  assets: '/assets/',
} as const;
