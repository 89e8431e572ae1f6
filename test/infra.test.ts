// The CDK app: what it deploys, checked on the synthesized CloudFormation template
// (mapping settings, runtimes, Data API, env names, scoped IAM, Firehose keys), that
// each Lambda bundle loads and the migrate bundle really migrates (against the local
// Data API), and that `npx cdk synth` works from infra/ as `npm run synth` runs it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATOR_MAPPING, ARCHIVER_MAPPING, ENV, RESOURCE_NAMES } from '../core/index.ts';
import { AGGREGATOR_METRICS, METRICS_NAMESPACE } from '../consumers/index.ts';
import {
  ARCHIVE_DATA_PREFIX, ARCHIVE_ERROR_PREFIX, EventStream, InfraConfigError, REPO_ROOT, SLUICE_APP_CONTEXT,
  INGEST_THROTTLE_DEFAULTS, QUERY_API_PATHS, SluiceStack, lagPolicy, schemaDigest, validateConsumerSettings, type SluiceStackProps,
} from '../infra/index.ts';
import { DataApiServer, FirehoseServer, KinesisServer, openDatabase, type SqlDatabase } from '../local/index.ts';
import { startRecordingProxy, type RecordingProxy } from './support/recordingProxy.ts';
import { INGEST_PATH } from '../producers/index.ts';
import { MIGRATIONS_DIR } from '../schema/index.ts';
import { kinesisRecord } from './support/kinesisRecords.ts';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import type { CfnResource } from './support/cloudFormation.ts';
import { arrayContaining, stringMatching } from './support/matchers.ts';

const run = promisify(execFile);

const ENV_ACCOUNT = { account: '123456789012', region: 'eu-west-1' };

/** A stack synthesized without bundling, for checks of settings only (fast). */
function synthWithoutBundling(props: SluiceStackProps = {}): Template {
  const app = new App({ context: { ...SLUICE_APP_CONTEXT, 'aws:cdk:bundling-stacks': [] }, outdir: mkdtempSync(join(tmpdir(), 'sluice-cdk-')) });
  const stack = new SluiceStack(app, 'Sluice', { env: ENV_ACCOUNT, ...props });
  const template = Template.fromStack(stack);
  rmSync(app.outdir, { recursive: true, force: true });
  return template;
}

describe('SluiceStack (bundled)', () => {
  let outdir: string;
  let template: Template;
  let resources: Record<string, CfnResource>;

  const logicalId = (type: string, pred: (r: CfnResource) => boolean): string => {
    const ids = Object.entries(resources).filter(([, r]) => r.Type === type && pred(r)).map(([id]) => id);
    expect(ids, `one ${type}`).toHaveLength(1);
    return ids[0]!;
  };
  const descFnId = (prefix: string) => logicalId('AWS::Lambda::Function', (r) => String(r.Properties.Description ?? '').startsWith(prefix));
  const fnId = (name: 'aggregator' | 'archiver') => descFnId(`sluice ${name}:`);
  const ourFunctions = () => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description ?? '').startsWith('sluice'));
  const statementsOf = (functionId: string) => {
    const roleId = resources[functionId]!.Properties.Role!['Fn::GetAtt'][0];
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles?.some((x) => x.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument!.Statement)
      .map((s) => ({ actions: ([] as string[]).concat(s.Action), resource: s.Resource }));
  };
  const actionsOf = (functionId: string) => statementsOf(functionId).flatMap((s) => s.actions);
  const assetDir = (functionId: string) => join(outdir, `asset.${resources[functionId]!.Properties.Code!.S3Key.replace(/\.zip$/, '')}`);

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'sluice-cdk-'));
    const app = new App({ context: SLUICE_APP_CONTEXT, outdir });
    const stack = new SluiceStack(app, 'Sluice', { env: ENV_ACCOUNT });
    template = Template.fromStack(stack);
    app.synth();
    resources = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('deploys an on-demand, encrypted stream', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      RetentionPeriodHours: 24,
    });
  });

  it.each([
    ['aggregator', AGGREGATOR_MAPPING],
    ['archiver', ARCHIVER_MAPPING],
  ] as const)('maps the stream to the %s with the shared mapping settings and an on-failure queue', (name, mapping) => {
    const fn = fnId(name);
    const esm = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName?.Ref === fn)!;
    expect(esm.Properties).toMatchObject({
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
      ParallelizationFactor: mapping.parallelizationFactor,
      BisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
      MaximumRetryAttempts: mapping.maximumRetryAttempts,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
    });
    // -1 (until the stream drops them) would lose records unseen: bounded by the retention instead.
    const age = mapping.maximumRecordAgeInSeconds === -1 ? lagPolicy(Duration.hours(24)).maxRecordAge.toSeconds() : mapping.maximumRecordAgeInSeconds;
    expect(esm.Properties.MaximumRecordAgeInSeconds).toBe(age);
    expect(age).toBeLessThan(24 * 3600);
    const queueId = esm.Properties.DestinationConfig!.OnFailure.Destination['Fn::GetAtt'][0];
    expect(resources[queueId]!.Type).toBe('AWS::SQS::Queue');
    expect(resources[fn]!.Properties.Timeout).toBe(mapping.functionTimeoutSeconds);
    // The cap on concurrent invocations (the aggregator's maxDatabaseWriters) is the function's reserved concurrency.
    expect(resources[fn]!.Properties.ReservedConcurrentExecutions).toBe(mapping.maxConcurrentInvocations);
  });

  it('runs every sluice function on Node.js 22 (arm64) outside any VPC', () => {
    const fns = ourFunctions();
    expect(fns.map(([, r]) => r.Properties.Description).sort()).toHaveLength(4);
    for (const [, r] of fns) {
      expect(r.Properties.Runtime).toBe('nodejs22.x');
      expect(r.Properties.Architectures).toEqual(['arm64']);
      expect(r.Properties.VpcConfig).toBeUndefined();
      expect(r.Properties.Environment!.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'sluice', POWERTOOLS_SERVICE_NAME: stringMatching(/^sluice-/) });
    }
  });

  it('runs Aurora PostgreSQL Serverless v2 with the Data API in isolated subnets, no NAT', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableHttpEndpoint: true,
      DatabaseName: RESOURCE_NAMES.database,
      StorageEncrypted: true,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4 },
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  it('gives each function exactly the variables it reads, under the core ENV names', () => {
    const vars = (id: string) => resources[id]!.Properties.Environment!.Variables as Record<string, unknown>;
    const own = (id: string) => Object.keys(vars(id)).filter((k) => k.startsWith('SLUICE_')).sort();
    const aggregator = fnId('aggregator');
    const archiver = fnId('archiver');
    const ingest = descFnId('sluice HTTP ingest');
    const migrate = descFnId('sluice schema migrations');
    const db = [ENV.dbClusterArn, ENV.dbName, ENV.dbSecretArn].sort();
    expect(own(aggregator)).toEqual(db);
    expect(own(migrate)).toEqual(db);
    expect(own(archiver)).toEqual([ENV.deliveryStreamName]);
    expect(own(ingest)).toEqual([ENV.streamName]);

    const clusterId = logicalId('AWS::RDS::DBCluster', () => true);
    const streamId = logicalId('AWS::Kinesis::Stream', () => true);
    const firehoseId = logicalId('AWS::KinesisFirehose::DeliveryStream', () => true);
    expect(JSON.stringify(vars(aggregator)[ENV.dbClusterArn])).toContain(clusterId);
    expect(vars(aggregator)[ENV.dbName]).toBe(RESOURCE_NAMES.database);
    expect(vars(archiver)[ENV.deliveryStreamName]).toEqual({ Ref: firehoseId });
    expect(vars(ingest)[ENV.streamName]).toEqual({ Ref: streamId });
  });

  it('grants each function only what it uses, on its own resources, never on *', () => {
    const aggregator = fnId('aggregator');
    const archiver = fnId('archiver');
    const ingest = descFnId('sluice HTTP ingest');
    const migrate = descFnId('sluice schema migrations');
    for (const id of [aggregator, archiver, ingest, migrate]) {
      for (const s of statementsOf(id)) expect(JSON.stringify(s.resource), `${id} ${s.actions.join(',')}`).not.toBe('"*"');
    }
    const clusterId = logicalId('AWS::RDS::DBCluster', () => true);
    const dataApi = statementsOf(aggregator).find((s) => s.actions.includes('rds-data:ExecuteStatement'))!;
    expect(JSON.stringify(dataApi.resource)).toContain(clusterId);
    expect(actionsOf(aggregator)).toContain('secretsmanager:GetSecretValue');
    expect(actionsOf(aggregator).filter((a) => a.startsWith('firehose:') || a === 'kinesis:PutRecords')).toEqual([]);
    expect(actionsOf(migrate)).toContain('rds-data:ExecuteStatement');
    expect(actionsOf(migrate).filter((a) => a.startsWith('kinesis:') || a.startsWith('firehose:'))).toEqual([]);

    const firehoseId = logicalId('AWS::KinesisFirehose::DeliveryStream', () => true);
    const put = statementsOf(archiver).find((s) => s.actions.includes('firehose:PutRecordBatch'))!;
    expect(put.resource).toEqual({ 'Fn::GetAtt': [firehoseId, 'Arn'] });
    expect(actionsOf(archiver).filter((a) => a.startsWith('rds-data:') || a.startsWith('secretsmanager:') || a === 'kinesis:PutRecords')).toEqual([]);

    const streamId = logicalId('AWS::Kinesis::Stream', () => true);
    expect(statementsOf(ingest)).toEqual([
      { actions: arrayContaining(['kinesis:PutRecords', 'kinesis:ListShards']), resource: { 'Fn::GetAtt': [streamId, 'Arn'] } },
    ]);
  });

  it('archives through Firehose to S3 as GZIP under YYYY/MM/dd/HH/ keys, errors apart', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: ARCHIVE_DATA_PREFIX,
        ErrorOutputPrefix: ARCHIVE_ERROR_PREFIX,
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
      }),
    });
    expect(ARCHIVE_DATA_PREFIX).toBe('!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/');
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });

  it('serves POST /v1/events from the ingest function through an HTTP API', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `POST ${INGEST_PATH}` });
    const ingest = descFnId('sluice HTTP ingest');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [ingest, 'Arn'] },
    });
  });

  it('migrates the schema on deploy, after the cluster and before the aggregator', () => {
    const cr = logicalId('Custom::SluiceSchema', () => true);
    expect(resources[cr]!.Properties.SchemaDigest).toBe(schemaDigest());
    const deps = resources[cr]!.DependsOn ?? [];
    expect(deps.some((d) => resources[d]?.Type === 'AWS::RDS::DBInstance')).toBe(true);
    const aggregator = fnId('aggregator');
    const esm = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName?.Ref === aggregator)!;
    expect(resources[esm[0]]!.DependsOn ?? []).toContain(cr);
  });

  it('alarms on lag, errors and given-up batches, from typed metrics, with a dashboard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kinesis', MetricName: 'GetRecords.IteratorAgeMilliseconds', Statistic: 'Maximum', Threshold: 6 * 3600 * 1000,
    });
    for (const name of ['aggregator', 'archiver'] as const) {
      const fn = fnId(name);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE, MetricName: AGGREGATOR_METRICS.eventsQuarantined, Statistic: 'Sum', Threshold: 1,
      Dimensions: [{ Name: 'service', Value: RESOURCE_NAMES.aggregatorFunction }],
    });
    const alarmsOnQueues = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(alarmsOnQueues).toHaveLength(2);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('outputs the ingest URL, stream, cluster and secret, described by their env names', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Description: string }>;
    expect(outputs.IngestUrl!.Description).toBe(ENV.ingestUrl);
    expect(outputs.StreamName!.Description).toBe(ENV.streamName);
    expect(outputs.ClusterArn!.Description).toBe(ENV.dbClusterArn);
    expect(outputs.SecretArn!.Description).toBe(ENV.dbSecretArn);
    expect(outputs.DatabaseName!.Description).toBe(ENV.dbName);
  });

  describe("each bundle on Lambda's temporary credentials", () => {
    // What Lambda gives a function: a key, a secret and a session token. A request
    // signed without the token is refused by AWS, so every one must carry it.
    const creds = { key: 'ASIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', token: `session-${Date.now()}` };
    const db = { resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:bundles', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:bundles-AbCdEf', database: 'sluice' };
    let dir: string;
    let database: SqlDatabase;
    let dataApi: DataApiServer;
    let kinesis: KinesisServer;
    let firehose: FirehoseServer;
    const proxies: Record<'kinesis' | 'firehose' | 'rdsData', RecordingProxy> = {} as never;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sluice-bundles-'));
      database = await openDatabase({ dataDir: join(dir, 'pg') });
      dataApi = await DataApiServer.start({ database, resourceArn: db.resourceArn, secretArn: db.secretArn, databaseName: db.database });
      kinesis = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 2 }], shardWriteLimits: false });
      firehose = await FirehoseServer.start({ dataDir: join(dir, 'firehose'), deliveryStreams: [{ name: 'archive', bucket: 'archive' }] });
      proxies.kinesis = await startRecordingProxy(kinesis.endpoint, { http2: true });
      proxies.firehose = await startRecordingProxy(firehose.endpoint);
      proxies.rdsData = await startRecordingProxy(dataApi.endpoint);
    });
    afterAll(async () => {
      for (const p of Object.values(proxies)) await p?.close();
      await firehose?.close();
      await kinesis?.close();
      await dataApi?.close();
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the bundle's handler in a fresh Node process with a Lambda-like environment. */
    const invoke = async <Result>(functionId: string, event: unknown): Promise<Result> => {
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|SLUICE_|POWERTOOLS_)/.test(k)));
      const script = `const { handler } = await import(${JSON.stringify(join(assetDir(functionId), 'index.mjs'))});
const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 60000 };
const out = await handler(JSON.parse(process.argv[1]), context);
process.stdout.write('\\nRESULT ' + JSON.stringify(out ?? null) + '\\n');`;
      const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, JSON.stringify(event)], {
        cwd: tmpdir(),
        env: {
          ...inherited,
          ...(resources[functionId]!.Properties.Environment!.Variables as Record<string, string>),
          POWERTOOLS_METRICS_DISABLED: 'true',
          AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'f',
          AWS_ACCESS_KEY_ID: creds.key, AWS_SECRET_ACCESS_KEY: creds.secret, AWS_SESSION_TOKEN: creds.token,
          [ENV.kinesisEndpoint]: proxies.kinesis.url, [ENV.firehoseEndpoint]: proxies.firehose.url, [ENV.rdsDataEndpoint]: proxies.rdsData.url,
          [ENV.streamName]: 'events', [ENV.deliveryStreamName]: 'archive',
          [ENV.dbClusterArn]: db.resourceArn, [ENV.dbSecretArn]: db.secretArn, [ENV.dbName]: db.database,
        },
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, stdout).toBeDefined();
      return JSON.parse(line!.slice('RESULT '.length)) as Result;
    };
    /** Every request since `from` was signed with the temporary key and carried its session token. */
    const expectSignedWithSessionToken = (proxy: RecordingProxy, from: number) => {
      const sent = proxy.requests.slice(from);
      expect(sent.length).toBeGreaterThan(0);
      for (const r of sent) {
        expect(r.headers.authorization, r.path).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${creds.key}/\\d{8}/eu-west-1/`));
        expect(r.headers['x-amz-security-token'], r.path).toBe(creds.token);
      }
    };
    const kinesisEvent = (events: object[]) => ({
      Records: events.map((e, i) => kinesisRecord({
        data: Buffer.from(JSON.stringify(e)), sequenceNumber: String(1000 + i), partitionKey: `pk${i}`,
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/f', streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
      })),
    });
    const someEvents = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `bundle-${i}`, type: 'bundle.test', ts: Date.UTC(2026, 10, 30, 12, 0, i), value: i }));

    it('migrate: applies the schema through the Data API, every call signed with the session token', async () => {
      const from = proxies.rdsData.requests.length;

      const out = await invoke<{ PhysicalResourceId: string; Data: { Applied: string } }>(descFnId('sluice schema migrations'), { RequestType: 'Create', ResourceProperties: {} });

      expect(out.PhysicalResourceId).toBe('sluice-schema');
      expect(out.Data.Applied).not.toBe('');
      expectSignedWithSessionToken(proxies.rdsData, from);
    });

    it('ingest: puts a POST body on the stream, every Kinesis call signed with the session token', async () => {
      const from = proxies.kinesis.requests.length;

      const out = await invoke<{ statusCode: number; body: string }>(descFnId('sluice HTTP ingest'), {
        version: '2.0', rawPath: INGEST_PATH, headers: { 'content-type': 'application/json' }, isBase64Encoded: false,
        requestContext: { http: { method: 'POST', path: INGEST_PATH } }, body: JSON.stringify(someEvents(3)),
      });

      expect(out.statusCode).toBe(200);
      expect((JSON.parse(out.body) as { results: { status: string }[] }).results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(proxies.kinesis.requests.slice(from).some((r) => r.headers['x-amz-target'] === 'Kinesis_20131202.PutRecords')).toBe(true);
      expectSignedWithSessionToken(proxies.kinesis, from);
    });

    it('archiver: writes a batch to Firehose, every call signed with the session token', async () => {
      const from = proxies.firehose.requests.length;

      const out = await invoke<KinesisStreamBatchResponse>(fnId('archiver'), kinesisEvent(someEvents(4)));

      expect(out).toEqual({ batchItemFailures: [] });
      expect(proxies.firehose.requests.slice(from).some((r) => r.headers['x-amz-target'] === 'Firehose_20150804.PutRecordBatch')).toBe(true);
      expectSignedWithSessionToken(proxies.firehose, from);
    });

    it('aggregator: writes rollups through the Data API, every call signed with the session token', async () => {
      const from = proxies.rdsData.requests.length;

      const out = await invoke<KinesisStreamBatchResponse>(fnId('aggregator'), kinesisEvent(someEvents(5)));

      expect(out).toEqual({ batchItemFailures: [] });
      const rows = await database.query("SELECT count(*) FROM sluice_rollups WHERE event_type = 'bundle.test'");
      expect(Number(rows.rows[0]![0])).toBeGreaterThan(0);
      expectSignedWithSessionToken(proxies.rdsData, from);
    });
  });

  describe('the migrate bundle against the local Data API', () => {
    let database: SqlDatabase;
    let dataApi: DataApiServer;
    let pgDir: string;
    const target = { resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:infra-test', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:infra-test', database: 'sluice' };

    beforeAll(async () => {
      pgDir = mkdtempSync(join(tmpdir(), 'sluice-infra-pg-'));
      database = await openDatabase({ dataDir: pgDir });
      dataApi = await DataApiServer.start({ database, resourceArn: target.resourceArn, secretArn: target.secretArn, databaseName: target.database });
    });
    afterAll(async () => {
      await dataApi?.close();
      await database?.close();
      rmSync(pgDir, { recursive: true, force: true });
    });

    it('carries the SQL migrations and applies them on Create, nothing on a later Update', async () => {
      const dir = assetDir(descFnId('sluice schema migrations'));
      expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort());
      const invoke = async (requestType: string) => {
        const script = `const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
const out = await handler({ RequestType: ${JSON.stringify(requestType)}, PhysicalResourceId: 'sluice-schema', ResourceProperties: {} }, { getRemainingTimeInMillis: () => 60000 });
process.stdout.write(JSON.stringify(out));`;
        const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
          cwd: tmpdir(),
          env: {
            ...process.env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
            [ENV.rdsDataEndpoint]: dataApi.endpoint, [ENV.dbClusterArn]: target.resourceArn, [ENV.dbSecretArn]: target.secretArn, [ENV.dbName]: target.database,
          },
        });
        return JSON.parse(stdout) as { PhysicalResourceId: string; Data: { Applied: string } };
      };
      const migrations = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort().map((f) => f.slice(0, -4));

      const created = await invoke('Create');
      const updated = await invoke('Update');

      expect(created).toEqual({ PhysicalResourceId: 'sluice-schema', Data: { Applied: migrations.join(','), Latest: migrations.at(-1) } });
      expect(updated.Data.Applied).toBe('');
      const tables = await database.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sluice_rollups'");
      expect(tables.rows[0]).toEqual(['1']);
    });
  });
});

describe('SluiceStack settings (no bundling)', () => {
  it('deploys a provisioned stream when a shard count is given', () => {
    const t = synthWithoutBundling({ stream: { shardCount: 8, retentionPeriod: Duration.hours(48) } });
    t.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 8, StreamModeDetails: { StreamMode: 'PROVISIONED' }, RetentionPeriodHours: 48 });
  });

  it('applies mapping overrides on top of the shared defaults', () => {
    const t = synthWithoutBundling({
      aggregator: { parallelizationFactor: 4, retryAttempts: 100, maxRecordAge: Duration.hours(6), batchSize: 5000 },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: Match.anyValue(),
      ParallelizationFactor: 4, MaximumRetryAttempts: 100, MaximumRecordAgeInSeconds: 6 * 3600, BatchSize: 5000,
      MaximumBatchingWindowInSeconds: AGGREGATOR_MAPPING.maximumBatchingWindowInSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it.each([
    [{ parallelizationFactor: 11 }, 'parallelizationFactor'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ batchSize: 10_001 }, 'batchSize'],
    [{ retryAttempts: -2 }, 'retryAttempts'],
    [{ maxRecordAge: Duration.seconds(30) }, 'maxRecordAge'],
    [{ maxBatchingWindow: Duration.seconds(301) }, 'maxBatchingWindow'],
  ])('refuses mapping settings outside Lambda ranges: %o', (settings, prop) => {
    expect(() => validateConsumerSettings(settings)).toThrowError(InfraConfigError);
    expect(() => validateConsumerSettings(settings)).toThrowError(new RegExp(`^${prop}:`));
  });

  it('refuses a shard count or retention Kinesis would refuse, naming the prop', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => new EventStream(stack, 'A', { shardCount: 0 })).toThrowError(/^shardCount:/);
    expect(() => new EventStream(stack, 'B', { retentionPeriod: Duration.hours(12) })).toThrowError(/^retentionPeriod:/);
  });
});

describe('the front door', () => {
  it('requires IAM (SigV4) on every route, query included, throttles the stage and logs access', () => {
    // The ingest entry stands in for the query handler: this checks the routing only.
    const t = synthWithoutBundling({ query: { entry: 'producers/ingest/lambda.ts' } });
    const routes = Object.values(t.findResources('AWS::ApiGatewayV2::Route')) as CfnResource[];

    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...QUERY_API_PATHS.map((p) => `GET ${p}`), `POST ${INGEST_PATH}`].sort());
    expect(QUERY_API_PATHS).toEqual(['/v1/query', '/v1/catalog', '/openapi.json']);
    for (const r of routes) expect(r.Properties.AuthorizationType, r.Properties.RouteKey).toBe('AWS_IAM');
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: INGEST_THROTTLE_DEFAULTS.rateLimit, ThrottlingBurstLimit: INGEST_THROTTLE_DEFAULTS.burstLimit },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    const outputs = t.toJSON().Outputs as Record<string, { Description: string }>;
    expect(outputs.QueryUrl!.Description).toBe(ENV.queryUrl);
    // The base URL (as SLUICE_QUERY_URL locally): the API's endpoint, no path after it.
    expect(JSON.stringify((outputs.QueryUrl as unknown as { Value: unknown }).Value)).not.toContain('/v1/');
  });

  it('takes other throttle limits and refuses a zero rate', () => {
    const t = synthWithoutBundling({ ingest: { throttleRateLimit: 50, throttleBurstLimit: 60 } });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 60 } });
    expect(() => synthWithoutBundling({ ingest: { throttleRateLimit: 0 } })).toThrowError(InfraConfigError);
  });
});

describe('no silent loss', () => {
  type Alarm = { Properties: { MetricName: string; Namespace: string; Threshold: number; AlarmActions: unknown[]; OKActions: unknown[]; ComparisonOperator: string } };
  const alarmsOf = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Alarm[];

  it.each([
    [Duration.hours(24), 18 * 3600, 6 * 3600],
    [Duration.hours(48), 36 * 3600, 12 * 3600],
    [Duration.days(365), 604_800, 302_400],
  ])('with %s retention, gives batches up at %i s (before expiry) and alarms on lag at %i s', (retention, recordAgeS, alarmS) => {
    const t = synthWithoutBundling({ stream: { retentionPeriod: retention } });

    const mappings = Object.values(t.findResources('AWS::Lambda::EventSourceMapping')) as CfnResource[];
    const lagAlarms = alarmsOf(t).filter((a) => /IteratorAge/.test(a.Properties.MetricName));

    expect(mappings).toHaveLength(2);
    for (const m of mappings) {
      expect(m.Properties.MaximumRecordAgeInSeconds).toBe(recordAgeS);
      expect(m.Properties.MaximumRecordAgeInSeconds).toBeLessThan(retention.toSeconds());
      expect(m.Properties.DestinationConfig!.OnFailure.Destination).toBeDefined();
    }
    expect(lagAlarms).toHaveLength(3);
    for (const a of lagAlarms) expect(a.Properties.Threshold).toBe(alarmS * 1000);
    expect(lagPolicy(retention)).toMatchObject({ maxRecordAge: Duration.seconds(recordAgeS), iteratorAgeAlarm: Duration.seconds(alarmS) });
  });

  it('refuses a record age at or past the retention, and a lag alarm at or past the record age', () => {
    expect(() => synthWithoutBundling({ aggregator: { maxRecordAge: Duration.hours(24) } })).toThrowError(/^maxRecordAge: must be shorter than the stream's retention/);
    expect(() => synthWithoutBundling({ maxIteratorAge: Duration.hours(18) })).toThrowError(/^maxIteratorAge:/);
  });

  it('alarms on throttles, write throughput, on-failure queues, quarantine and Firehose delivery, all to the SNS topic', () => {
    const t = synthWithoutBundling({ alarmSubscriptions: [new EmailSubscription('ops@example.com')] });

    const topicId = Object.keys(t.findResources('AWS::SNS::Topic'));
    const alarms = alarmsOf(t);
    const metrics = alarms.map((a) => `${a.Properties.Namespace} ${a.Properties.MetricName}`);

    expect(topicId).toHaveLength(1);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId[0] } });
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId[0] }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId[0] }]);
    }
    expect(metrics).toEqual(arrayContaining([
      'AWS/Kinesis WriteProvisionedThroughputExceeded', 'AWS/Kinesis ReadProvisionedThroughputExceeded',
      'AWS/SQS ApproximateNumberOfMessagesVisible', `${METRICS_NAMESPACE} ${AGGREGATOR_METRICS.eventsQuarantined}`,
      'AWS/Firehose DeliveryToS3.DataFreshness', 'AWS/Firehose DeliveryToS3.Success', 'AWS/Firehose ThrottledRecords',
    ]));
    expect(metrics.filter((m) => m === 'AWS/Lambda Throttles')).toHaveLength(3);
    expect(metrics.filter((m) => m === 'AWS/SQS ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    const success = alarms.find((a) => a.Properties.MetricName === 'DeliveryToS3.Success')!;
    expect(success.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold' });
    const freshness = alarms.find((a) => a.Properties.MetricName === 'DeliveryToS3.DataFreshness')!;
    expect(freshness.Properties.Threshold).toBe(60 + 15 * 60);
  });
});

describe('physical names and the archive', () => {
  const NAME_PROPERTIES: Record<string, string> = {
    'AWS::Kinesis::Stream': 'Name', 'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName', 'AWS::Lambda::Function': 'FunctionName',
    'AWS::SQS::Queue': 'QueueName', 'AWS::SNS::Topic': 'TopicName', 'AWS::S3::Bucket': 'BucketName', 'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::CloudWatch::Dashboard': 'DashboardName', 'AWS::CloudWatch::Alarm': 'AlarmName', 'AWS::IAM::Role': 'RoleName',
    'AWS::RDS::DBCluster': 'DBClusterIdentifier', 'AWS::ApiGatewayV2::Api': 'Name',
  };

  it('names nothing, so two stacks deploy side by side in one account', () => {
    const app = new App({ context: { ...SLUICE_APP_CONTEXT, 'aws:cdk:bundling-stacks': [] }, outdir: mkdtempSync(join(tmpdir(), 'sluice-cdk-')) });
    const stacks = ['SluiceA', 'SluiceB'].map((id) => new SluiceStack(app, id, { env: ENV_ACCOUNT }));
    try {
      for (const stack of stacks) {
        const resources = Template.fromStack(stack).toJSON().Resources as Record<string, CfnResource>;
        for (const [id, r] of Object.entries(resources)) {
          const prop = NAME_PROPERTIES[r.Type];
          // HTTP APIs need a Name; CDK derives it from the construct path, unique per stack.
          if (prop && r.Type === 'AWS::ApiGatewayV2::Api') expect(r.Properties.Name).toBe(stack.ingest.api.node.id);
          else if (prop) expect(r.Properties[prop], `${stack.stackName} ${id}`).toBeUndefined();
        }
      }
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  it('moves archived objects to Standard-IA at 30 days and deletes them at 365 by default', () => {
    const t = synthWithoutBundling();
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'archive-retention', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, ExpirationInDays: 365, Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] }] },
    });
  });

  it('takes another lifecycle, or none, and refuses one S3 would', () => {
    const shorter = synthWithoutBundling({ archive: { infrequentAccessAfter: null, expiration: Duration.days(90) } });
    const forever = synthWithoutBundling({ archive: { infrequentAccessAfter: Duration.days(60), expiration: null } });

    shorter.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectEquals({ Id: 'archive-retention', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, ExpirationInDays: 90 })] } });
    forever.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectEquals({ Id: 'archive-retention', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 60 }] })] } });
    expect(() => synthWithoutBundling({ archive: { infrequentAccessAfter: Duration.days(10) } })).toThrowError(/^infrequentAccessAfter:/);
    expect(() => synthWithoutBundling({ archive: { expiration: Duration.days(20) } })).toThrowError(/^expiration:/);
  });
});

describe('the CDK app from the command line', () => {
  it('`npx cdk synth` from infra/ writes the Sluice template', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sluice-cdk-cli-'));
    try {
      await run('npx', ['cdk', 'synth', '-q', '-o', out], { cwd: join(REPO_ROOT, 'infra'), env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' }, timeout: 150_000 });
      const tpl = JSON.parse(readFileSync(join(out, 'Sluice.template.json'), 'utf8')) as { Resources: Record<string, CfnResource> };
      const types = Object.values(tpl.Resources).map((r) => r.Type);
      expect(types).toEqual(arrayContaining(['AWS::Kinesis::Stream', 'AWS::RDS::DBCluster', 'AWS::KinesisFirehose::DeliveryStream', 'Custom::SluiceSchema']));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
