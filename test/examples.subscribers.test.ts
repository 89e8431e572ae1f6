// The example subscribers of examples/subscribers/, registered as a user would in the
// configuration and run by the local stack: the webhook forwarder retries a failing
// endpoint and forwards only its types, the spike alert fires once per crossing.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ENV, awsClientConfig, type SluiceEvent } from '../core/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { validateConfig } from '../consumers/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';
import { anyNumber, stringMatching } from './support/matchers.ts';

const example = (name: string) => fileURLToPath(new URL(`../examples/subscribers/${name}`, import.meta.url));

interface Received<Body> { headers: http.IncomingHttpHeaders; body: Body }
/** What the webhook forwarder posts: the event and where it sat in the stream. */
type ForwardedEvent = SluiceEvent & { position: { shardId: string; sequenceNumber: string; subSequenceNumber: number } };
/** What the spike alert posts. */
interface SpikeAlert { type: string; minute: string; count: number; threshold: number }

/** An HTTP endpoint that answers 503 to its first `failFirst` requests, then 200. */
async function endpoint<Body>(failFirst = 0) {
  const received: Received<Body>[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (refused < failFirst) {
        refused++;
        res.writeHead(503).end();
        return;
      }
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    refused: () => refused,
    close: () => new Promise<void>((ok) => { server.close(() => ok()); server.closeAllConnections(); }),
  };
}

describe('example subscribers on the local stack', () => {
  let stack: LocalStack;
  let scratch: ScratchDatabase | undefined;
  let dataDir: string;
  let webhook: Awaited<ReturnType<typeof endpoint<ForwardedEvent>>>;
  let alerts: Awaited<ReturnType<typeof endpoint<SpikeAlert>>>;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-examples-'));
    scratch = await scratchDatabaseUrl();
    webhook = await endpoint<ForwardedEvent>(3);
    alerts = await endpoint<SpikeAlert>();
    const config = validateConfig({
      subscribers: [
        { name: 'purchases-webhook', handler: example('webhookForwarder.ts'), types: ['purchase'], environment: { WEBHOOK_URL: webhook.url } },
        { name: 'login-spikes', handler: example('spikeAlert.ts'), types: ['login'], environment: { SPIKE_THRESHOLD: '50', SPIKE_ALERT_URL: alerts.url } },
      ],
    });
    stack = await startStack({ dataDir, config, ...(scratch ? { databaseUrl: scratch.url } : {}) });
  });
  afterAll(async () => {
    await stack?.stop();
    await webhook?.close();
    await alerts?.close();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('forwards each event of its types to the webhook, through its failures, keyed by event id', async () => {
    const minute = Date.UTC(2026, 10, 30, 9, 0, 0);
    const events = [
      ...Array.from({ length: 40 }, (_, i) => ({ id: `purchase-${i}`, type: 'purchase', ts: minute + i, value: i, payload: { sku: `s${i}` } })),
      ...Array.from({ length: 40 }, (_, i) => ({ id: `view-${i}`, type: 'page_view', ts: minute + i })),
    ];
    const kinesis = new KinesisClient(awsClientConfig(stack.env, 'kinesis'));
    const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
    await Promise.all(events.map((e) => producer.send(e)));
    await producer.close();
    kinesis.destroy();

    await stack.runners['purchases-webhook']!.waitIdle();

    expect(webhook.refused()).toBe(3);
    const ids = webhook.received.map((r) => r.body.id!);
    expect(new Set(ids)).toEqual(new Set(events.filter((e) => e.type === 'purchase').map((e) => e.id)));
    for (const r of webhook.received) {
      expect(r.headers['idempotency-key']).toBe(r.body.id);
      expect(r.body.position).toMatchObject({ shardId: stringMatching(/^shardId-/), sequenceNumber: stringMatching(/^\d+$/) });
    }
    expect(webhook.received.find((r) => r.body.id === 'purchase-7')!.body.payload).toEqual({ sku: 's7' });
  });

  it('alerts once when a type passes its threshold in a minute, across shards and batches', async () => {
    const minute = Date.UTC(2026, 10, 30, 10, 0, 0);
    const events = [
      ...Array.from({ length: 80 }, (_, i) => ({ id: `login-a-${i}`, type: 'login', ts: minute + i * 500 })),
      // The next minute stays under the threshold; other types never count.
      ...Array.from({ length: 30 }, (_, i) => ({ id: `login-b-${i}`, type: 'login', ts: minute + 60_000 + i })),
      ...Array.from({ length: 80 }, (_, i) => ({ id: `logout-${i}`, type: 'logout', ts: minute + i })),
    ];
    const kinesis = new KinesisClient(awsClientConfig(stack.env, 'kinesis'));
    const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
    // Two sends, so the count crosses the threshold over more than one batch.
    await Promise.all(events.slice(0, 40).map((e, i) => producer.send(e, { partitionKey: `user-${i}` })));
    await producer.flush();
    await stack.runners['login-spikes']!.waitIdle();
    await Promise.all(events.slice(40).map((e, i) => producer.send(e, { partitionKey: `user-${i}` })));
    await producer.close();
    kinesis.destroy();

    await stack.runners['login-spikes']!.waitIdle();

    expect(alerts.received.map((r) => r.body)).toEqual([
      { type: 'login', minute: new Date(minute).toISOString(), count: anyNumber(), threshold: 50 },
    ]);
    expect(alerts.received[0]!.body.count).toBeGreaterThanOrEqual(50);
    expect(alerts.received[0]!.body.count).toBeLessThanOrEqual(80);
  });
});
