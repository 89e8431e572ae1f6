// The AWS front door for HTTP clients: an API Gateway HTTP API whose only route,
// `POST /v1/events`, invokes the same ingest handler the local stack serves, which
// validates events and puts them on the stream through the producer SDK.
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { ENV } from '../../core/index.ts';
import { INGEST_PATH } from '../../producers/index.ts';
import { SluiceFunction } from './SluiceFunction.ts';

export interface IngestApiProps {
  readonly stream: kinesis.IStream;
  /** @default 512 */
  readonly memorySize?: number;
  /** Function timeout; API Gateway itself gives up after 30 s. @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default 'sluice' */
  readonly metricsNamespace?: string;
  /** Steady request rate per second across the API. @default undefined (account limit) */
  readonly throttleRateLimit?: number;
  /** Burst of requests above the steady rate. @default undefined (account limit) */
  readonly throttleBurstLimit?: number;
}

export class IngestApi extends Construct {
  readonly function: SluiceFunction;
  readonly api: apigw.HttpApi;
  /** Full URL of `POST /v1/events`. */
  readonly ingestUrl: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    this.function = new SluiceFunction(this, 'Function', {
      entry: 'producers/ingest/lambda.ts',
      description: 'sluice HTTP ingest: POST /v1/events to the Kinesis stream',
      serviceName: 'sluice-ingest',
      metricsNamespace: props.metricsNamespace,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      environment: { [ENV.streamName]: props.stream.streamName },
    });
    // PutRecords and ListShards (the producer learns the shard map), on this stream only.
    props.stream.grantWrite(this.function);

    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'sluice event ingest',
      createDefaultStage: false,
    });
    new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle:
        props.throttleRateLimit !== undefined || props.throttleBurstLimit !== undefined
          ? { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit }
          : undefined,
    });
    // The route the local stack serves too: the same contract on AWS.
    this.api.addRoutes({
      path: INGEST_PATH,
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Ingest', this.function),
    });
    this.ingestUrl = `${this.api.apiEndpoint}${INGEST_PATH}`;
  }
}
