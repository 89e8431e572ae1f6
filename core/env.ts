// Every environment variable sluice reads, named once. The local stack writes these
// to `<dataDir>/env` so later commands (send, query, quarantine) find the stack;
// on AWS the CDK app sets the same names on each Lambda function.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { localEndpointCredentials } from './credentials.ts';
import { DATA_API } from './limits.ts';
import { isLoopbackUrl } from './loopback.ts';

export const ENV = {
  region: 'AWS_REGION',
  /** The region the AWS CLI v1 reads (it ignores AWS_REGION). */
  defaultRegion: 'AWS_DEFAULT_REGION',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
  cloudFormationEndpoint: 'AWS_ENDPOINT_URL_CLOUDFORMATION',
  kinesisEndpoint: 'AWS_ENDPOINT_URL_KINESIS',
  firehoseEndpoint: 'AWS_ENDPOINT_URL_FIREHOSE',
  rdsDataEndpoint: 'AWS_ENDPOINT_URL_RDS_DATA',
  streamName: 'SLUICE_STREAM_NAME',
  deliveryStreamName: 'SLUICE_DELIVERY_STREAM_NAME',
  dbClusterArn: 'SLUICE_DB_CLUSTER_ARN',
  dbSecretArn: 'SLUICE_DB_SECRET_ARN',
  dbName: 'SLUICE_DB_NAME',
  ingestUrl: 'SLUICE_INGEST_URL',
  queryUrl: 'SLUICE_QUERY_URL',
  /** The local stack's control API (its parts, the consumer-crash fault, the naive baseline's consumer); local only. */
  controlUrl: 'SLUICE_CONTROL_URL',
  dataDir: 'SLUICE_DATA_DIR',
  /** JSON list of the event types a subscriber receives (all when unset); the CDK app sets it from the registration. */
  subscriberTypes: 'SLUICE_SUBSCRIBER_TYPES',
  /** The archive's S3 bucket (`sluice replay` reads it through the S3 API). */
  archiveBucket: 'SLUICE_ARCHIVE_BUCKET',
  /** The S3 endpoint; the local stack's serves the archive bucket read-only. */
  s3Endpoint: 'AWS_ENDPOINT_URL_S3',
  databaseUrl: 'DATABASE_URL',
  /** Records sluice's own writers put: `compressed` (default) or `kpl` for streams other consumers read. */
  recordFormat: 'SLUICE_RECORD_FORMAT',
} as const;

/** The region the local stack reports and a local client signs for when none is set. */
export const LOCAL_REGION = 'us-east-1';

/** The CloudFormation stack `cdk deploy` creates and `--target aws` reads unless told another. */
export const DEFAULT_STACK_NAME = 'Sluice';

/** The data directory `npm start` uses when SLUICE_DATA_DIR is not set. */
export const DEFAULT_DATA_DIR = '.sluice';
/** File inside the data directory that holds the running stack's variables. */
export const STACK_ENV_FILE = 'env';

export type StackEnv = Record<string, string | undefined>;

/** Parses `KEY=value` lines (comments and blank lines ignored). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/**
 * The variables commands run with: the running local stack's file (if any) under
 * whatever the process environment sets, so an explicit export always wins.
 */
export function readStackEnv(processEnv: StackEnv = process.env): StackEnv {
  const dataDir = processEnv[ENV.dataDir] ?? DEFAULT_DATA_DIR;
  const file = join(dataDir, STACK_ENV_FILE);
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...processEnv };
}

/** A variable that must be set, with a message that says how to set it. */
export function requireEnv(env: StackEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set: start the local stack with \`npm start\` or export ${name}`);
  return v;
}

type Service = 'kinesis' | 'firehose' | 'rdsData' | 'cloudFormation' | 's3';
const endpointVar: Record<Service, string> = {
  kinesis: ENV.kinesisEndpoint,
  firehose: ENV.firehoseEndpoint,
  rdsData: ENV.rdsDataEndpoint,
  cloudFormation: ENV.cloudFormationEndpoint,
  s3: ENV.s3Endpoint,
};

/** The region of these variables: AWS_REGION, else AWS_DEFAULT_REGION (what the AWS CLI v1 reads). */
export function regionOf(env: StackEnv): string | undefined {
  return env[ENV.region] || env[ENV.defaultRegion] || undefined;
}

/**
 * SDK client configuration from the given variables: region and the service
 * endpoint when set. Credentials always come from the SDK's default provider chain
 * (session tokens included); a client aimed at a loopback endpoint (the local
 * stack) falls back to placeholders when the chain finds none. The Data API client
 * waits longer than the 45 s statement timeout, as AWS advises.
 */
export function awsClientConfig(env: StackEnv, service: Service) {
  const config: {
    region?: string;
    endpoint?: string;
    credentials?: ReturnType<typeof localEndpointCredentials>;
    requestHandler?: NodeHttpHandler;
    maxAttempts?: number;
    forcePathStyle?: boolean;
  } = {};
  const endpoint = env[endpointVar[service]];
  const local = endpoint !== undefined && isLoopbackUrl(endpoint);
  // Against AWS an unset region is left to the SDK (the profile's), which names it when missing.
  const region = regionOf(env) ?? (local ? LOCAL_REGION : undefined);
  if (region) config.region = region;
  if (endpoint) config.endpoint = endpoint;
  if (local) config.credentials = localEndpointCredentials();
  // An S3 endpoint of its own (the local stack's, MinIO) answers path-style requests; AWS's own takes both.
  if (endpoint && service === 's3') config.forcePathStyle = true;
  if (service === 'rdsData') {
    config.requestHandler = new NodeHttpHandler({ requestTimeout: DATA_API.statementTimeoutMs + 15_000 });
  }
  return config;
}
