// AWS entry of the ingest endpoint: API Gateway HTTP API (payload format 2.0) in
// front of this Lambda, serving the same POST /v1/events contract through the same
// IngestService. The producer is built once per container from the environment.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ENV, awsClientConfig, readStackEnv, requireEnv } from '../../core/index.ts';
import { KinesisProducer } from '../KinesisProducer.ts';
import { compressionFor, recordFormatFromEnv } from '../RecordFormat.ts';
import { handleIngest, type EventSink, type IngestOptions } from './IngestService.ts';

let producer: KinesisProducer | undefined;

function defaultProducer(): KinesisProducer {
  if (!producer) {
    const env = readStackEnv();
    producer = new KinesisProducer({
      client: new KinesisClient(awsClientConfig(env, 'kinesis')),
      streamName: requireEnv(env, ENV.streamName),
      // The caller waits for the acknowledgements, so batches leave quickly.
      maxBufferTimeMs: 10,
      // Compressed aggregates unless SLUICE_RECORD_FORMAT=kpl (other consumers read the stream).
      compression: compressionFor(recordFormatFromEnv(env)),
    });
  }
  return producer;
}

/** A handler for API Gateway payload v2 events, sending through `sink`. */
export function createIngestLambdaHandler(sink: () => EventSink = defaultProducer, options: IngestOptions = {}) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const headers = lowerCase(event.headers ?? {});
    const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const out = await handleIngest(sink(), {
      method: event.requestContext?.http?.method ?? 'POST',
      path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
      contentType: headers['content-type'],
      body,
    }, options);
    return { statusCode: out.status, headers: out.headers, body: out.body };
  };
}

function lowerCase(h: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

export const handler = createIngestLambdaHandler();
