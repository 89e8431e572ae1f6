// The one shape every consumer's entry file exports: a Lambda handler that builds
// itself from the environment on its first call, and that the local stack can build
// again for each stack it runs (instantiate), with the stack's variables.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readStackEnv } from '../../core/index.ts';
import { METRICS_NAMESPACE } from '../aggregator/index.ts';
import type { ConsumerEntry, ConsumerHost, ConsumerInstance } from './types.ts';

/**
 * A consumer entry from `build`. On Lambda the host comes from the environment the
 * CDK app sets: POWERTOOLS_SERVICE_NAME (`sluice-<name>`, else `defaultServiceName`)
 * and POWERTOOLS_METRICS_NAMESPACE.
 */
export function defineConsumerEntry(defaultServiceName: string, build: (host: ConsumerHost) => ConsumerInstance): ConsumerEntry {
  let onLambda: ConsumerInstance | undefined;
  const entry = (async (event, context) => {
    onLambda ??= build(lambdaHost(defaultServiceName));
    return onLambda.handler(event, context);
  }) as ConsumerEntry;
  entry.instantiate = build;
  return entry;
}

/** True for what defineConsumerEntry (and so defineSubscriber) returns. */
export function isConsumerEntry(value: unknown): value is ConsumerEntry {
  return typeof value === 'function' && typeof (value as Partial<ConsumerEntry>).instantiate === 'function';
}

function lambdaHost(defaultServiceName: string): ConsumerHost {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName;
  return {
    name: serviceName.replace(/^sluice-/, ''),
    env: readStackEnv(),
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName }),
  };
}
