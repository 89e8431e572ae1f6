// The stream's consumers: the aggregator and the archiver, each a factory taking its
// clients and settings with a `lambda.ts` entry, and subscribers written with
// defineSubscriber; all of them registered in one place (registeredSubscribers).
export { createArchiverHandler } from './archiver/index.ts';
export type { ArchiverHandler, ArchiverDeps } from './archiver/index.ts';
export {
  createAggregatorHandler, applyBatch, decodeBatch,
  classifyDataApiError, BatchNotAppliedError, AGGREGATOR_METRICS, METRICS_NAMESPACE, upsertRollupStatements,
} from './aggregator/index.ts';
export type { AggregatorDeps, AggregatorHandler, AggregatorBatchReport, BatchOutcome, DecodedRecord, PoisonRecord, Statement } from './aggregator/index.ts';
export { createNaiveHandler, naiveBaselineConsumer, NAIVE_TABLE_DDL } from './naive/index.ts';
export { loadConfig, validateConfig, DEFAULT_CONFIG, CONFIG_FILE } from './config/index.ts';
export type { SluiceConfig, SluiceConfigInput } from './config/index.ts';
export {
  defineSubscriber, defineConsumerEntry, isConsumerEntry, registeredSubscribers, BUILT_IN_SUBSCRIBER_NAMES,
  SUBSCRIBER_METRICS, SubscriberLoadError, QuarantineUnavailableError, UnknownFailedEventError,
} from './subscribers/index.ts';
export type {
  SubscriberOptions, SubscriberEvent, SubscriberContext, SubscriberFunction, SubscriberConfig, RegisteredSubscriber,
  ConsumerEntry, ConsumerHost, ConsumerInstance, ConsumerResource, StreamHandler,
} from './subscribers/index.ts';
