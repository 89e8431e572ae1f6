// The AWS Solutions (cdk-nag) findings sluice accepts, each on the resource it
// concerns and with its reason. `infra/bin/app.ts` runs the checks on every synth,
// and test/infra.nag.test.ts allows no other error or warning.
import { NagSuppressions } from 'cdk-nag';
import type { SluiceStack } from './SluiceStack.ts';

const BASIC_EXECUTION_ROLE = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/** Suppresses, on `stack`, exactly the findings sluice's design accepts. */
export function applySluiceNagSuppressions(stack: SluiceStack): void {
  NagSuppressions.addStackSuppressions(stack, [
    { id: 'AwsSolutions-L1', reason: 'Functions run Node.js 22, the runtime the code and its tests target; the runtime moves with the code, not with each release.' },
    {
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch logs; AWS maintains it.',
      appliesTo: [BASIC_EXECUTION_ROLE],
    },
  ]);

  NagSuppressions.addResourceSuppressions(stack.migration, [{
    id: 'AwsSolutions-IAM5',
    reason: "The custom-resource provider invokes the migration function's versions (<arn>:*), that function only.",
    appliesTo: [{ regex: '/^Resource::<SchemaFunction[0-9A-F]+\\.Arn>:\\*$/' }],
  }], true);

  NagSuppressions.addResourceSuppressions(stack.archive.deliveryStream, [{
    id: 'AwsSolutions-IAM5',
    reason: 'Firehose writes objects under generated keys and manages multipart uploads: object actions on this archive bucket only (the grant aws-cdk-lib makes).',
    appliesTo: ['Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', { regex: '/^Resource::<ArchiveBucket[0-9A-F]+\\.Arn>\\/\\*$/' }],
  }], true);
  NagSuppressions.addResourceSuppressions(stack.archive.bucket, [{
    id: 'AwsSolutions-S1',
    reason: 'Only Firehose writes to the archive bucket and public access is blocked; S3 access logs would need a second bucket per stack. Enable CloudTrail data events for an audit trail.',
  }]);

  for (const consumer of [stack.aggregator, stack.archiver]) {
    NagSuppressions.addResourceSuppressions(consumer.onFailureQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself the dead-letter destination of the stream mapping (Lambda's on-failure record); it is alarmed on, never consumed automatically.",
    }]);
  }

  NagSuppressions.addResourceSuppressions(stack.database.cluster, [
    { id: 'AwsSolutions-RDS6', reason: 'Nothing connects to the cluster over the network: every statement goes through the RDS Data API, authorised by IAM and the Secrets Manager secret.' },
    { id: 'AwsSolutions-RDS10', reason: 'RemovalPolicy.SNAPSHOT keeps a final snapshot when the stack is deleted; deletion protection would make `cdk destroy` fail. Set it on the cluster for production if wanted.' },
    // The generated secret is a child of the cluster.
    { id: 'AwsSolutions-SMG4', reason: 'Rotation needs a rotation function inside the isolated VPC with a Secrets Manager endpoint (no NAT by design); the secret is only ever read by the Data API under IAM.' },
  ], true);
  NagSuppressions.addResourceSuppressions(stack.database.vpc, [{
    id: 'AwsSolutions-VPC7',
    reason: 'The VPC holds only the Aurora cluster in isolated subnets with no ingress and no route out; nothing in it talks over the network to log.',
  }]);
}
