// Shapes of a subscriber: what its function receives and returns, the host that
// runs it (Lambda or the local stack), and its registration in sluice.config.json.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ConsumerMapping, SluiceEvent, StackEnv } from '../../core/index.ts';
import type { SluiceConfig } from '../config/index.ts';

/** One decoded event of the batch and where it sits in the stream. */
export interface SubscriberEvent {
  /** The validated event (id, type, ts in epoch ms, dims, value, payload). */
  event: SluiceEvent;
  shardId: string;
  /** The Kinesis record's sequence number. */
  sequenceNumber: string;
  /** Position inside a KPL or compressed aggregate; 0 for a plain record. */
  subSequenceNumber: number;
  partitionKey: string;
  /** When Kinesis accepted the record, epoch ms (stream time). */
  arrivalMs: number;
}

/** What a subscriber's function gets beside its events. */
export interface SubscriberContext {
  /** The registered name (`webhook`). */
  readonly name: string;
  /** Powertools logger, service `sluice-<name>`. */
  readonly logger: Logger;
  /** Powertools metrics; what the function adds is published with the batch's metrics. */
  readonly metrics: Metrics;
  /** The variables the subscriber reads: the stack's, plus its registration's `environment`. */
  readonly env: StackEnv;
  /** Milliseconds left before the invocation times out. */
  remainingTimeInMillis(this: void): number;
  /** The Lambda context of the invocation. */
  readonly lambdaContext: Context;
}

/**
 * A subscriber: handles a batch's events, in stream order per shard. Returns nothing
 * when all were handled, or the events it could not handle: the batch is then
 * re-delivered from the record of the earliest of them (events before it are not
 * delivered again; events after it are). Throwing fails the whole batch (retries,
 * bisect and the on-failure queue follow the event source mapping).
 */
export type SubscriberFunction = (events: SubscriberEvent[], context: SubscriberContext) => Promise<void | readonly SubscriberEvent[]>;

/** A Kinesis Lambda handler with partial batch responses. */
export type StreamHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

/** What runs a consumer gives it: on Lambda from the environment, locally from the stack. */
export interface ConsumerHost {
  /** Registered name (`aggregator`, `webhook`). */
  readonly name: string;
  /** The variables the handler reads (process.env on Lambda; the stack's env locally). */
  readonly env: StackEnv;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The configuration the host loaded (the local stack's). Default: loadConfig() beside the code. */
  readonly config?: SluiceConfig;
  /** Figures the host collects by name (the local stack's health meter); absent on Lambda. */
  readonly report?: (name: string, value: unknown) => void;
}

/** A consumer built for one host: its handler, and what to release when the host stops. */
export interface ConsumerInstance {
  readonly handler: StreamHandler;
  close?(): void | Promise<void>;
}

/**
 * The `handler` a consumer's entry file exports: Lambda calls it (it builds itself
 * from the environment on the first call); the local stack builds one per stack
 * with `instantiate`, so several stacks can run in one process.
 */
export interface ConsumerEntry extends StreamHandler {
  instantiate(host: ConsumerHost): ConsumerInstance;
}

/** AWS resources a registered consumer uses: the CDK app grants them and sets their variables. */
export type ConsumerResource = 'database' | 'archive';

/** One entry of `"subscribers"` in sluice.config.json, as written (checked by validateSubscribers). */
export interface SubscriberConfig extends Partial<ConsumerMapping> {
  /** 1..40 lower-case letters, digits and `-`, starting with a letter; names its function `sluice-<name>`. */
  name: string;
  /** The entry file exporting `handler = defineSubscriber(...)`, relative to the configuration file. */
  handler: string;
  /** Event types the subscriber receives. Default: every type. */
  types?: string[];
  /** Read through a registered stream consumer (enhanced fan-out) on AWS. Default false. */
  enhancedFanOut?: boolean;
  /** Function memory in MB on AWS. Default 512. */
  memorySize?: number;
  /** Variables set on the function (and given to it locally). Default none. */
  environment?: Record<string, string>;
}

/** A consumer of the stream as the local stack and the CDK app run it: built in, or registered. */
export interface RegisteredSubscriber {
  name: string;
  /** Function and Powertools service name, `sluice-<name>`. */
  functionName: string;
  /** Absolute path of the entry file. */
  entry: string;
  /** Shown in the Lambda console. */
  description: string;
  /** Event source mapping settings, every one filled. */
  mapping: ConsumerMapping;
  /** Event types it receives; undefined for all. */
  types: readonly string[] | undefined;
  enhancedFanOut: boolean;
  memorySize: number | undefined;
  environment: Record<string, string>;
  uses: readonly ConsumerResource[];
  /** It reads sluice.config.json beside itself (the aggregator's rollups). */
  readsConfig: boolean;
  builtIn: boolean;
}
