// AWS Lambda entry of the query API: API Gateway HTTP API (payload format 2.0) in
// front, the same handler as the local stack's, reading through the Data API with
// the database coordinates the CDK app sets. The dashboard is not served here.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ENV, awsClientConfig, readStackEnv, requireEnv } from '../../core/index.ts';
import { loadConfig } from '../../consumers/index.ts';
import { createQueryApi, type QueryApiHandler } from './createQueryApi.ts';
import type { QueryApiDeps } from './types.ts';

/** A handler for API Gateway payload v2 events; `deps` builds the API's dependencies once per container. */
export function createQueryLambdaHandler(deps: () => QueryApiDeps = defaultDeps) {
  let api: QueryApiHandler | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    api ??= createQueryApi(deps());
    const query = new URLSearchParams(event.rawQueryString ?? '');
    const out = await api({
      method: event.requestContext?.http?.method ?? 'GET',
      path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
      query,
    });
    const body = typeof out.body === 'string' ? out.body : out.body.toString('base64');
    return { statusCode: out.status, headers: out.headers, body, isBase64Encoded: typeof out.body !== 'string' };
  };
}

function defaultDeps(): QueryApiDeps {
  const env = readStackEnv();
  return {
    rdsData: new RDSDataClient(awsClientConfig(env, 'rdsData')),
    target: {
      resourceArn: requireEnv(env, ENV.dbClusterArn),
      secretArn: requireEnv(env, ENV.dbSecretArn),
      database: requireEnv(env, ENV.dbName),
    },
    // sluice.config.json bundled with the function, defaults otherwise: the same rollups the aggregator keeps.
    config: loadConfig(),
  };
}

export const handler = createQueryLambdaHandler();
