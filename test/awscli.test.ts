// The AWS CLI against the local stack with only the variables the stack prints (and
// writes to .sluice/env): AWS_DEFAULT_REGION for the CLI v1, which ignores
// AWS_REGION, the per-service AWS_ENDPOINT_URL_* overrides (S3 included), and
// placeholder credentials when the machine has none. Skipped where no `aws` is installed.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, STACK_ENV_FILE, parseEnvFile } from '../core/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import type { ListStreamsOutput } from '@aws-sdk/client-kinesis';
import type { ExecuteStatementResponse } from '@aws-sdk/client-rds-data';
import type { DescribeDeliveryStreamOutput } from '@aws-sdk/client-firehose';
import type { ListBucketsOutput, ListObjectsV2Output } from '@aws-sdk/client-s3';

const run = promisify(execFile);
const hasAwsCli = !spawnSync('aws', ['--version'], { stdio: 'ignore' }).error;

describe.skipIf(!hasAwsCli)('the AWS CLI against the local stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-awscli-'));
    stack = await startStack({ dataDir });
    // Only what the stack wrote, on a clean slate: no AWS_REGION, no profile.
    const written = parseEnvFile(readFileSync(join(dataDir, STACK_ENV_FILE), 'utf8'));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') || k === 'AWS_CA_BUNDLE'));
    const { [ENV.region]: _ignoredByCliV1, ...rest } = written;
    env = { ...inherited, ...rest, AWS_CONFIG_FILE: join(dataDir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-credentials') };
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The CLI's JSON output, read as the SDK's output shape of the same operation. */
  const aws = async <Output>(...args: string[]) => JSON.parse((await run('aws', [...args, '--output', 'json'], { env, timeout: 60_000 })).stdout) as Output;

  it('writes AWS_DEFAULT_REGION beside AWS_REGION', () => {
    const written = parseEnvFile(readFileSync(join(dataDir, STACK_ENV_FILE), 'utf8'));

    expect(written[ENV.defaultRegion]).toBe(written[ENV.region]);
  });

  it('lists the stream', async () => {
    const out = await aws<ListStreamsOutput>('kinesis', 'list-streams');

    expect(out.StreamNames).toContain(stack.env[ENV.streamName]);
  }, 60_000);

  it('runs a statement through the Data API', async () => {
    const out = await aws<ExecuteStatementResponse>('rds-data', 'execute-statement', '--resource-arn', stack.env[ENV.dbClusterArn]!, '--secret-arn', stack.env[ENV.dbSecretArn]!,
      '--database', stack.env[ENV.dbName]!, '--sql', "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'sluice_rollups'");

    expect(out.records).toEqual([[{ longValue: 1 }]]);
  }, 60_000);

  it('describes the delivery stream', async () => {
    const out = await aws<DescribeDeliveryStreamOutput>('firehose', 'describe-delivery-stream', '--delivery-stream-name', stack.env[ENV.deliveryStreamName]!);

    expect(out.DeliveryStreamDescription!.DeliveryStreamName).toBe(stack.env[ENV.deliveryStreamName]);
  }, 60_000);

  it('lists the archive bucket and its objects over the read-only S3 endpoint', async () => {
    const bucket = stack.env[ENV.archiveBucket]!;

    const buckets = await aws<ListBucketsOutput>('s3api', 'list-buckets');
    const objects = await aws<ListObjectsV2Output>('s3api', 'list-objects-v2', '--bucket', bucket);

    expect(buckets.Buckets!.map((b) => b.Name)).toEqual([bucket]);
    expect(objects.KeyCount ?? 0).toBe(0);
  }, 60_000);
});
