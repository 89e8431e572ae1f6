// The AWS front door for HTTP clients: an API Gateway HTTP API whose routes all
// require IAM (SigV4-signed requests), with default throttling and access logs.
// `POST /v1/events` invokes the same ingest handler the local stack serves, which
// validates events and puts them on the stream through the producer SDK; other
// routes (the query API) join with `addRoute` behind the same authorization.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../core/index.ts';
import { INGEST_PATH } from '../../producers/index.ts';
import { InfraConfigError } from './errors.ts';
import { SluiceFunction } from './SluiceFunction.ts';

/**
 * Default stage throttle: each request carries up to 1,000 events (1 MiB), so 500
 * requests/s is already far more than an on-demand stream takes at first
 * (4,000 records/s); raise both with the stream.
 */
export const INGEST_THROTTLE_DEFAULTS = { rateLimit: 500, burstLimit: 1000 } as const;

export interface IngestApiProps {
  readonly stream: kinesis.IStream;
  /** @default 512 */
  readonly memorySize?: number;
  /** Function timeout; API Gateway itself gives up after 30 s. @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default 'sluice' */
  readonly metricsNamespace?: string;
  /** Steady request rate per second across the API. @default INGEST_THROTTLE_DEFAULTS.rateLimit (500) */
  readonly throttleRateLimit?: number;
  /** Burst of requests above the steady rate. @default INGEST_THROTTLE_DEFAULTS.burstLimit (1000) */
  readonly throttleBurstLimit?: number;
  /** How long the API's access log keeps entries. @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
}

export class IngestApi extends Construct {
  readonly function: SluiceFunction;
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLog: logs.LogGroup;
  /** Full URL of `POST /v1/events`. */
  readonly ingestUrl: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const rateLimit = props.throttleRateLimit ?? INGEST_THROTTLE_DEFAULTS.rateLimit;
    const burstLimit = props.throttleBurstLimit ?? INGEST_THROTTLE_DEFAULTS.burstLimit;
    if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1) {
      throw new InfraConfigError('throttleRateLimit/throttleBurstLimit', `need a positive rate and burst, got ${rateLimit}/${burstLimit}`);
    }
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

    // IAM on every route: callers are services holding AWS credentials, so they sign
    // with what they already have and get a per-caller policy (grantInvoke), with
    // no key to hand out, store or rotate.
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'sluice event ingest',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    this.accessLog = new logs.LogGroup(this, 'AccessLog', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLog) },
    });
    // The route the local stack serves too: the same contract on AWS.
    this.addRoute(INGEST_PATH, apigw.HttpMethod.POST, this.function);
    this.ingestUrl = `${this.api.apiEndpoint}${INGEST_PATH}`;
  }

  /** A route to `handler`, behind the API's IAM authorization and throttle. */
  addRoute(path: string, method: apigw.HttpMethod, handler: lambda.IFunction): apigw.HttpRoute[] {
    return this.api.addRoutes({ path, methods: [method], integration: new HttpLambdaIntegration(`${method}${path.replace(/\W/g, '')}`, handler) });
  }

  /** Lets `grantee` call every route of the API (execute-api:Invoke). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi()],
    });
  }
}
