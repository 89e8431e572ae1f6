// Shapes of the query API: its requests and responses independent of the transport
// (node:http locally, API Gateway in Lambda), and the pipeline health it reports.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { RollupSet } from '../../rollup/index.ts';
import type { DataApiTarget } from '../../schema/index.ts';

/** The pipeline's health figures, as GET /v1/health returns them and the dashboard shows them. */
export interface PipelineHealth {
  /** When measured, ISO-8601. */
  at: string;
  /** Events (and poison records) the aggregator read per second, over the last 10 s. */
  eventsPerSecond: number;
  /** Age of the last record the aggregator finished, ms (how far behind the stream it is). */
  iteratorAgeMs: number;
  /** Events per Data API statement over the last minute; null before the first batch. */
  eventsPerStatement: number | null;
  /** Quarantine entries waiting for a redrive. */
  quarantinePending: number;
}

/** Where health comes from: a function, so the stack can measure it however its parts run. */
export type HealthSource = () => Promise<PipelineHealth>;

export interface QueryApiDeps {
  rdsData: RDSDataClient;
  target: DataApiTarget;
  /** The rollups (names, dimensions, windows) queries are checked against. */
  config: RollupSet;
  /** Serves GET /v1/health. Default: none (404). */
  health?: HealthSource;
  /** Serves the dashboard (GET /) and its scripts and styles. Default false. */
  dashboard?: boolean;
  /** Clock for relative ranges. Default Date.now. */
  now?: () => number;
}

export interface ApiRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Iterable<readonly [string, string]>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The body of every error response. */
export interface ApiErrorBody {
  error: {
    /** The parameter at fault, when one is. */
    parameter?: string;
    message: string;
    /** For an unknown type: the types that have rows. */
    known?: string[];
  };
}
