// `npx cdk synth|deploy` entry (see infra/cdk.json): one SluiceStack in the account
// and region of the caller's AWS profile. Context `-c shards=N` deploys a provisioned
// stream of N shards instead of an on-demand one.
import { App } from 'aws-cdk-lib';
import { SLUICE_APP_CONTEXT, SluiceStack, InfraConfigError } from '../index.ts';

const app = new App({ context: SLUICE_APP_CONTEXT });
const shards = app.node.tryGetContext('shards') as string | number | undefined;
const shardCount = shards === undefined ? undefined : Number(shards);
if (shardCount !== undefined && !Number.isInteger(shardCount)) {
  throw new InfraConfigError('shards', `context -c shards=N needs an integer, got "${shards}"`);
}

new SluiceStack(app, 'Sluice', {
  description: 'sluice: event ingestion on Kinesis, rollups on Aurora (Data API), archive on S3',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  stream: { shardCount },
});
app.synth();
