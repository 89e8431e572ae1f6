// The archiver's Lambda entry: builds the handler from the environment (the CDK app
// sets the variables on AWS; the local stack writes them to its env file).
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { ENV, awsClientConfig, readStackEnv, requireEnv } from '../../core/index.ts';
import { createArchiverHandler } from './createArchiverHandler.ts';

const env = readStackEnv();

export const handler = createArchiverHandler({
  firehose: new FirehoseClient(awsClientConfig(env, 'firehose')),
  deliveryStreamName: requireEnv(env, ENV.deliveryStreamName),
});
