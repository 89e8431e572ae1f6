// The CDK app: what it deploys, checked on the synthesized CloudFormation template
// (mapping settings, runtimes, Data API, env names, scoped IAM, Firehose keys), that
// each Lambda bundle loads and the migrate bundle really migrates (against the local
// Data API), and that `npx cdk synth` works from infra/ as `npm run synth` runs it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATOR_MAPPING, ARCHIVER_MAPPING, ENV, RESOURCE_NAMES } from '../core/index.ts';
import { AGGREGATOR_METRICS, METRICS_NAMESPACE } from '../consumers/index.ts';
import {
  ARCHIVE_DATA_PREFIX, ARCHIVE_ERROR_PREFIX, EventStream, InfraConfigError, REPO_ROOT, SLUICE_APP_CONTEXT,
  SluiceStack, schemaDigest, validateConsumerSettings, type SluiceStackProps,
} from '../infra/index.ts';
import { DataApiServer, openDatabase, type SqlDatabase } from '../local/index.ts';
import { INGEST_PATH } from '../producers/index.ts';
import { MIGRATIONS_DIR } from '../schema/index.ts';

const run = promisify(execFile);
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

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
  let resources: Record<string, Resource>;

  const logicalId = (type: string, pred: (r: Resource) => boolean): string => {
    const ids = Object.entries(resources).filter(([, r]) => r.Type === type && pred(r)).map(([id]) => id);
    expect(ids, `one ${type}`).toHaveLength(1);
    return ids[0]!;
  };
  const fnId = (name: string) => logicalId('AWS::Lambda::Function', (r) => r.Properties.FunctionName === name);
  const descFnId = (prefix: string) => logicalId('AWS::Lambda::Function', (r) => String(r.Properties.Description ?? '').startsWith(prefix));
  const ourFunctions = () => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description ?? '').startsWith('sluice'));
  const statementsOf = (functionId: string) => {
    const roleId = resources[functionId]!.Properties.Role['Fn::GetAtt'][0];
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: { Ref: string }) => x.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .map((s) => ({ actions: ([] as string[]).concat(s.Action), resource: s.Resource }));
  };
  const actionsOf = (functionId: string) => statementsOf(functionId).flatMap((s) => s.actions);
  const assetDir = (functionId: string) => join(outdir, `asset.${String(resources[functionId]!.Properties.Code.S3Key).replace(/\.zip$/, '')}`);

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'sluice-cdk-'));
    const app = new App({ context: SLUICE_APP_CONTEXT, outdir });
    const stack = new SluiceStack(app, 'Sluice', { env: ENV_ACCOUNT });
    template = Template.fromStack(stack);
    app.synth();
    resources = template.toJSON().Resources;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('deploys an on-demand, encrypted stream under the name the local stack uses', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: RESOURCE_NAMES.stream,
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      RetentionPeriodHours: 24,
    });
  });

  it.each([
    ['aggregator', RESOURCE_NAMES.aggregatorFunction, AGGREGATOR_MAPPING],
    ['archiver', RESOURCE_NAMES.archiverFunction, ARCHIVER_MAPPING],
  ] as const)('maps the stream to the %s with the shared mapping settings and an on-failure queue', (_, name, mapping) => {
    const fn = fnId(name);
    const esm = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === fn)!;
    expect(esm.Properties).toMatchObject({
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
      ParallelizationFactor: mapping.parallelizationFactor,
      BisectBatchOnFunctionError: mapping.bisectBatchOnFunctionError,
      MaximumRetryAttempts: mapping.maximumRetryAttempts,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
    });
    // -1 (records kept until the stream drops them) is CloudFormation's default: no property.
    if (mapping.maximumRecordAgeInSeconds === -1) expect(esm.Properties.MaximumRecordAgeInSeconds).toBeUndefined();
    else expect(esm.Properties.MaximumRecordAgeInSeconds).toBe(mapping.maximumRecordAgeInSeconds);
    const queueId = esm.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
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
      expect(r.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'sluice', POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^sluice-/) });
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
    const vars = (id: string) => resources[id]!.Properties.Environment.Variables as Record<string, unknown>;
    const own = (id: string) => Object.keys(vars(id)).filter((k) => k.startsWith('SLUICE_')).sort();
    const aggregator = fnId(RESOURCE_NAMES.aggregatorFunction);
    const archiver = fnId(RESOURCE_NAMES.archiverFunction);
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
    const aggregator = fnId(RESOURCE_NAMES.aggregatorFunction);
    const archiver = fnId(RESOURCE_NAMES.archiverFunction);
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
      { actions: expect.arrayContaining(['kinesis:PutRecords', 'kinesis:ListShards']), resource: { 'Fn::GetAtt': [streamId, 'Arn'] } },
    ]);
  });

  it('archives through Firehose to S3 as GZIP under YYYY/MM/dd/HH/ keys, errors apart', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: RESOURCE_NAMES.deliveryStream,
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
    const aggregator = fnId(RESOURCE_NAMES.aggregatorFunction);
    const esm = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === aggregator)!;
    expect(resources[esm[0]]!.DependsOn ?? []).toContain(cr);
  });

  it('alarms on lag, errors and given-up batches, from typed metrics, with a dashboard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kinesis', MetricName: 'GetRecords.IteratorAgeMilliseconds', Statistic: 'Maximum', Threshold: 300_000,
    });
    for (const name of [RESOURCE_NAMES.aggregatorFunction, RESOURCE_NAMES.archiverFunction]) {
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

  it('bundles every function as an ESM file that loads on Node and exports its handler', async () => {
    const env = {
      ...process.env,
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x',
      [ENV.streamName]: 's', [ENV.deliveryStreamName]: 'd', [ENV.dbClusterArn]: 'arn:aws:rds:eu-west-1:1:cluster:c',
      [ENV.dbSecretArn]: 'arn:aws:secretsmanager:eu-west-1:1:secret:s', [ENV.dbName]: 'sluice',
    };
    for (const [id] of ourFunctions()) {
      const file = join(assetDir(id), 'index.mjs');
      expect(existsSync(file), file).toBe(true);
      const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); process.stdout.write(typeof m.handler);`], { env, cwd: tmpdir() });
      expect(stdout, id).toBe('function');
    }
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

describe('the CDK app from the command line', () => {
  it('`npx cdk synth` from infra/ writes the Sluice template', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sluice-cdk-cli-'));
    try {
      await run('npx', ['cdk', 'synth', '-q', '-o', out], { cwd: join(REPO_ROOT, 'infra'), env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' }, timeout: 150_000 });
      const tpl = JSON.parse(readFileSync(join(out, 'Sluice.template.json'), 'utf8')) as { Resources: Record<string, Resource> };
      const types = Object.values(tpl.Resources).map((r) => r.Type);
      expect(types).toEqual(expect.arrayContaining(['AWS::Kinesis::Stream', 'AWS::RDS::DBCluster', 'AWS::KinesisFirehose::DeliveryStream', 'Custom::SluiceSchema']));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
