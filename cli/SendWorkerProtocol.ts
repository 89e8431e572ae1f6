// What `sluice send`'s main thread and its worker threads tell each other: the main
// thread reads the input and hands out chunks of whole lines; each worker validates,
// packs and sends them with a KinesisProducer of its own and reports every line.
import type { StackEnv } from '../core/index.ts';
import type { ProducerOptions } from '../producers/index.ts';
import type { LineRefusal } from './LineSender.ts';

/** What a worker is started with. */
export interface SendWorkerData {
  env: StackEnv;
  streamName: string;
  compression: ProducerOptions['compression'];
  /** This worker's share of each shard's write limit: the workers together keep under it. */
  shardRateLimit: NonNullable<ProducerOptions['shardRateLimit']>;
}

/** Main thread to worker. */
export type ToSendWorker =
  /** Lines to send; `bytes` is moved, not copied. */
  | { type: 'chunk'; id: number; bytes: Uint8Array; firstLine: number; lines: number }
  /** No more chunks: settle what is outstanding, close the producer, report. */
  | { type: 'end' };

/** Worker to main thread. */
export type FromSendWorker =
  /** Every line of chunk `id` has settled. */
  | { type: 'settled'; id: number; accepted: number; refused: LineRefusal[] }
  /** The producer is closed: what it put, for the summary. */
  | { type: 'closed'; kinesisRecords: number; kinesisBytes: number };
