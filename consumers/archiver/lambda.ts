// Entry of the archiver (AWS Lambda and the local stack): builds the handler from the
// host's variables (the CDK app sets them on AWS; the local stack passes its own).
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { ENV, RESOURCE_NAMES, awsClientConfig, requireEnv } from '../../core/index.ts';
import { defineConsumerEntry } from '../subscribers/index.ts';
import { createArchiverHandler } from './createArchiverHandler.ts';

export const handler = defineConsumerEntry(RESOURCE_NAMES.archiverFunction, ({ env, logger, metrics }) => {
  const firehose = new FirehoseClient(awsClientConfig(env, 'firehose'));
  return {
    handler: createArchiverHandler({ firehose, deliveryStreamName: requireEnv(env, ENV.deliveryStreamName), logger, metrics }),
    close: () => firehose.destroy(),
  };
});
