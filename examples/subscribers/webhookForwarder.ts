// Example subscriber: forwards each event to an HTTP endpoint as JSON, in stream
// order, retrying a failed POST with exponential back-off. Which events it forwards
// is the registration's `types` filter:
//
//   { "name": "purchases-webhook", "handler": "./examples/subscribers/webhookForwarder.ts",
//     "types": ["purchase"], "environment": { "WEBHOOK_URL": "https://hooks.example.com/sluice" } }
//
// Delivery is at least once: the receiver deduplicates on the `idempotency-key` header
// (the event id). An event the endpoint keeps failing (5xx, 429, network) is returned
// as not handled, so the stream re-delivers from its record; one the endpoint refuses
// for good (another 4xx) is logged and counted (WebhookRejected), never retried.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { defineSubscriber, type SubscriberEvent } from '../../consumers/index.ts';

/** POST attempts per event inside one invocation. */
const ATTEMPTS = 4;
const BASE_DELAY_MS = 100;
/** Stop retrying when less than this is left of the invocation. */
const RESERVE_MS = 2_000;

type Outcome = 'delivered' | 'rejected' | 'failed';

async function post(url: string, e: SubscriberEvent, timeoutMs: number): Promise<{ status: number } | { error: Error }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': e.event.id },
      body: JSON.stringify({ ...e.event, position: { shardId: e.shardId, sequenceNumber: e.sequenceNumber, subSequenceNumber: e.subSequenceNumber } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (err) {
    return { error: err as Error };
  }
}

export const handler = defineSubscriber(async (events, { env, logger, metrics, remainingTimeInMillis }) => {
  const url = env.WEBHOOK_URL;
  if (!url) throw new Error('WEBHOOK_URL is not set (the subscriber\'s "environment" in sluice.config.json)');
  let rejected = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    let outcome: Outcome = 'failed';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const res = await post(url, e, Math.max(1_000, remainingTimeInMillis() - RESERVE_MS));
      const retryable = 'error' in res || res.status >= 500 || res.status === 429 || res.status === 408;
      if (!('error' in res) && res.status < 300) outcome = 'delivered';
      else if (!retryable) outcome = 'rejected';
      if (outcome !== 'failed') break;
      const delay = BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      if (attempt === ATTEMPTS || remainingTimeInMillis() - delay < RESERVE_MS) {
        logger.warn('webhook failing; the stream re-delivers from this event', { eventId: e.event.id, attempt, ...('error' in res ? { error: res.error.message } : { status: res.status }) });
        break;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
    if (outcome === 'rejected') {
      rejected++;
      logger.error('webhook refused the event; not retried', { eventId: e.event.id, type: e.event.type });
    }
    if (outcome === 'failed') {
      metrics.addMetric('WebhookRejected', MetricUnit.Count, rejected);
      // This one and every later one: order is kept, nothing after it was sent.
      return events.slice(i);
    }
  }
  metrics.addMetric('WebhookRejected', MetricUnit.Count, rejected);
});
