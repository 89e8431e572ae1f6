// The load-test harness: paces realistic events into the running stack (through the
// producer SDK or the HTTP ingest), measures acknowledgement latency and checks
// that the rollups reach the exact totals, with a text, JSON or HTML report.
export { runLoadTest } from './runLoadTest.ts';
export type { LoadTestDeps } from './runLoadTest.ts';
export type {
  LoadTestOptions, LoadTestReport, LoadTarget, LoadSink, SendOutcome, RollupTotals, RollupVerification,
} from './types.ts';
export { LOADTEST_DEFAULTS, LOADTEST_RANGES, resolveOptions } from './options.ts';
export { LoadTestOptionError, RemoteTargetError, TargetNotConfiguredError } from './errors.ts';
export { ZipfSampler } from './ZipfSampler.ts';
export { seededRandom } from './SeededRandom.ts';
export { EventGenerator, MAX_TYPES } from './EventGenerator.ts';
export type { GeneratorOptions, GeneratedEvent } from './EventGenerator.ts';
export { percentile, summarizeLatencies } from './percentiles.ts';
export type { LatencySummary } from './percentiles.ts';
export { Timeline } from './Timeline.ts';
export { RunTally } from './RunTally.ts';
export type { SecondSample } from './Timeline.ts';
export { buildChartSvg, panelSvg, niceCeiling, escapeXml } from './svgChart.ts';
export type { ChartOptions, Series } from './svgChart.ts';
export { renderHtmlReport } from './htmlReport.ts';
export { formatSummary, progressPrinter } from './summary.ts';
export { assertLoopback } from './loopback.ts';
export { watchRollups, totalsEqual } from './RollupWatcher.ts';
export type { RollupReader, WatchOptions } from './RollupWatcher.ts';
export { KinesisSink } from './KinesisSink.ts';
export { HttpSink } from './HttpSink.ts';
export { DataApiRollupReader } from './DataApiRollupReader.ts';
