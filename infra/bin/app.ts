// `npx cdk synth|deploy` entry (see infra/cdk.json): one SluiceStack in the account
// and region of the caller's AWS profile, checked by cdk-nag's AWS Solutions rules.
// Context: `-c stackName=NAME` (default Sluice) deploys another, independent stack;
// `-c shards=N` a provisioned stream of N shards instead of an on-demand one;
// `-c alarmEmail=a@example.com[,b@...]` subscribes addresses to the alarm topic;
// `-c config=PATH` deploys another sluice.config.json (rollups and subscribers) than
// the one at the repository root.
import { resolve } from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../../core/index.ts';
import { SLUICE_APP_CONTEXT, SluiceStack, InfraConfigError, applySluiceNagSuppressions } from '../index.ts';

const app = new App({ context: SLUICE_APP_CONTEXT });
const shards = app.node.tryGetContext('shards') as string | number | undefined;
const shardCount = shards === undefined ? undefined : Number(shards);
if (shardCount !== undefined && !Number.isInteger(shardCount)) {
  throw new InfraConfigError('shards', `context -c shards=N needs an integer, got "${shards}"`);
}
const stackName = String(app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME);
const configFile = app.node.tryGetContext('config') as string | undefined;
const emails = String(app.node.tryGetContext('alarmEmail') ?? '').split(',').map((e) => e.trim()).filter(Boolean);

const stack = new SluiceStack(app, stackName, {
  description: 'sluice: event ingestion on Kinesis, rollups on Aurora (Data API), archive on S3',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  stream: { shardCount },
  alarmSubscriptions: emails.map((e) => new EmailSubscription(e)),
  ...(configFile ? { configFile: resolve(process.env.INIT_CWD ?? process.cwd(), configFile) } : {}),
  // GET /v1/query, /v1/catalog and /openapi.json on the ingest API, behind IAM.
  query: { entry: 'query/api/lambda.ts' },
});
applySluiceNagSuppressions(stack);
Aspects.of(app).add(new AwsSolutionsChecks());
app.synth();
