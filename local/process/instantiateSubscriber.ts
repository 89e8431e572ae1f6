// Loads a registered consumer's entry file and builds its handler for this stack:
// the same file Lambda runs, given the stack's variables instead of the function's.
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ENV } from '../../core/index.ts';
import {
  METRICS_NAMESPACE, SubscriberLoadError, isConsumerEntry,
  type ConsumerHost, type ConsumerInstance, type RegisteredSubscriber,
} from '../../consumers/index.ts';

/**
 * The consumer's handler, built from its entry's `handler` export. A plain Lambda
 * handler (not made by defineSubscriber) is run as it is, reading process.env.
 * Throws SubscriberLoadError when the file is missing, fails to load, or exports none.
 */
export async function instantiateSubscriber(sub: RegisteredSubscriber, host: Pick<ConsumerHost, 'env' | 'config' | 'report'>): Promise<ConsumerInstance> {
  if (!existsSync(sub.entry)) throw new SubscriberLoadError(sub.name, `handler file ${sub.entry} not found`);
  let mod: { handler?: unknown };
  try {
    mod = await import(pathToFileURL(sub.entry).href) as { handler?: unknown };
  } catch (err) {
    throw new SubscriberLoadError(sub.name, `loading ${sub.entry} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  const handler = mod.handler;
  if (typeof handler !== 'function') throw new SubscriberLoadError(sub.name, `${sub.entry} exports no function named handler`);
  if (!isConsumerEntry(handler)) return { handler: handler as ConsumerInstance['handler'] };
  const env = sub.types ? { ...host.env, [ENV.subscriberTypes]: JSON.stringify(sub.types) } : host.env;
  try {
    return handler.instantiate({
      name: sub.name,
      env,
      config: host.config,
      ...(host.report ? { report: host.report } : {}),
      logger: new Logger({ serviceName: sub.functionName }),
      metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: sub.functionName }),
    });
  } catch (err) {
    throw new SubscriberLoadError(sub.name, `building its handler failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}
