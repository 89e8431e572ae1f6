// Lambda handlers that consume the stream: each has a factory taking its clients
// and settings, and a `lambda.ts` entry that builds them from the environment.
export { createArchiverHandler } from './archiver/index.ts';
export type { ArchiverHandler, ArchiverDeps } from './archiver/index.ts';
export {
  createAggregatorHandler, applyBatch, decodeBatch,
  classifyDataApiError, BatchNotAppliedError, AGGREGATOR_METRICS, METRICS_NAMESPACE, upsertRollupStatements, backoffDelayMs,
} from './aggregator/index.ts';
export type { AggregatorDeps, AggregatorHandler, AggregatorBatchReport, BatchOutcome, DecodedRecord, PoisonRecord, Statement } from './aggregator/index.ts';
export { loadConfig, validateConfig, DEFAULT_CONFIG, CONFIG_FILE } from './config/index.ts';
export type { SluiceConfig, SluiceConfigInput } from './config/index.ts';
