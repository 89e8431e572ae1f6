// Subscribers of the stream: a consumer written as a function of decoded events
// (defineSubscriber), the entry shape every consumer exports (defineConsumerEntry),
// and the registry of built-in and configured consumers the stack and the CDK app run.
export { defineSubscriber } from './defineSubscriber.ts';
export type { SubscriberOptions } from './defineSubscriber.ts';
export { defineConsumerEntry, isConsumerEntry } from './defineConsumerEntry.ts';
export { registeredSubscribers, BUILT_IN_SUBSCRIBER_NAMES } from './registry.ts';
export { validateSubscribers } from './validateSubscribers.ts';
export { SUBSCRIBER_METRICS } from './metricNames.ts';
export { SubscriberLoadError, QuarantineUnavailableError, UnknownFailedEventError } from './errors.ts';
export type {
  SubscriberEvent, SubscriberContext, SubscriberFunction, SubscriberConfig, RegisteredSubscriber,
  ConsumerEntry, ConsumerHost, ConsumerInstance, ConsumerResource, StreamHandler,
} from './types.ts';
