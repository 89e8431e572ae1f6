// The load test's options and report: one typed shape each, shared by the CLI, the
// JSON output and the HTML report.
import type { LatencySummary } from './percentiles.ts';
import type { SecondSample } from './Timeline.ts';
import type { RecordFormat } from '../producers/index.ts';

export type LoadTarget = 'kinesis' | 'http';

export interface LoadTestOptions {
  /** Events per second to offer. @default 1000 */
  rate?: number;
  /** Seconds of sending; the run stops by itself after. @default 10 */
  durationSec?: number;
  /** Distinct event types. @default 5 */
  types?: number;
  /** Distinct partition keys (users), Zipf-distributed. @default 1000 */
  keys?: number;
  /** Approximate JSON payload bytes per event. @default 100 */
  payloadBytes?: number;
  /** Zipf exponent of keys and types (0 = uniform). @default 1.1 */
  zipfExponent?: number;
  /** Send through the producer SDK to Kinesis, or POST to the HTTP ingest. @default 'kinesis' */
  target?: LoadTarget;
  /** Records the producer SDK puts (target kinesis): sluice's compressed aggregates, or KPL's. The HTTP ingest's are its server's choice. @default 'compressed' */
  recordFormat?: RecordFormat;
  /** Allow an endpoint that is not loopback. @default false */
  allowRemote?: boolean;
  /** Check that the rollups reach the exact totals. @default true */
  verify?: boolean;
  /** How long after the last ack the rollups may take to match. @default 60 */
  settleTimeoutSec?: number;
  /** Seed of the event mix, to replay a run. @default random */
  seed?: number;
  /** Events sent but not yet acknowledged, at most; the offered rate drops above it. @default 50,000 */
  maxInFlight?: number;
  /** Receives one progress line per second. @default none */
  progress?: (line: string) => void;
}

export interface RollupTotals {
  count: number;
  sum: number;
}

export interface RollupVerification {
  /** Whether the rollups were checked at all (`verify: false` skips it). */
  checked: boolean;
  /** Every type's rollup count and sum equal what was accepted. */
  matched: boolean;
  /** From the last acknowledgement until the rollups matched (null if they did not). */
  lagMs: number | null;
  expected: Record<string, RollupTotals>;
  observed: Record<string, RollupTotals>;
}

export interface LoadTestReport {
  runId: string;
  seed: number;
  target: LoadTarget;
  /** The endpoint events went to. */
  endpoint: string;
  options: Required<Omit<LoadTestOptions, 'progress' | 'seed'>>;
  startedAt: string;
  /** Events handed to the target. */
  sent: number;
  /** Events the target acknowledged (landed on the stream). */
  accepted: number;
  /** Events that failed, by error name. */
  failed: number;
  failures: Record<string, number>;
  /** Sending time, first send to last send. */
  sendDurationMs: number;
  /** Accepted events per second of sending time. */
  achievedRate: number;
  /** send() to acknowledgement, per event. */
  latencyMs: LatencySummary;
  timeline: SecondSample[];
  /** The sink's own counters at the end (for Kinesis: PutRecords calls, records, retries). */
  sinkMetrics: Record<string, number>;
  rollups: RollupVerification;
  /** True when nothing failed and (if checked) the rollups matched. */
  ok: boolean;
}

export type SendOutcome = { ok: true } | { ok: false; error: string };

/** Where a run sends events; both sinks report one outcome per event and never reject. */
export interface LoadSink {
  /** Human-readable target, e.g. `kinesis stream sluice-events at http://127.0.0.1:4570`. */
  readonly description: string;
  /** The endpoint URL events go to. */
  readonly endpoint: string;
  /** One promise per event, resolved when the target has answered for it. */
  send(batch: ReadonlyArray<{ event: object; partitionKey: string }>): Promise<SendOutcome>[];
  /** Counters the target keeps itself (the producer's retries, Kinesis records, ...). */
  metrics?(): Record<string, number>;
  close(): Promise<void>;
}
