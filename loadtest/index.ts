// The load-test harness: paces realistic events into the running stack (through the
// producer SDK or the HTTP ingest), measures acknowledgement latency and checks
// that the rollups reach the exact totals, with a text, JSON or HTML report.
export { runLoadTest, scheduleOf } from './runLoadTest.ts';
export type { LoadTestDeps } from './runLoadTest.ts';
export type {
  LoadTestOptions, LoadTestReport, LoadTarget, LoadMode, LoadSink, SendOutcome, RollupTotals, RollupVerification, Discrepancy, DbWork,
} from './types.ts';
export { RateSchedule, parseRamp, parseSteps } from './RateSchedule.ts';
export type { RateShape } from './RateSchedule.ts';
export { parseChaos, parsePoison } from './ChaosPlan.ts';
export type { ChaosEvent, ChaosKind } from './ChaosPlan.ts';
export { LatencyHistogram } from './LatencyHistogram.ts';
export type { LatencySummary } from './LatencyHistogram.ts';
export { VisibilityTracker } from './VisibilityTracker.ts';
export { StackProbe } from './StackProbe.ts';
export type { DbCounters } from './StackProbe.ts';
export { PoisonSender } from './PoisonSender.ts';
export { NaiveSink } from './NaiveSink.ts';
export { StackControlClient, describeCrash } from './StackControlClient.ts';
export type { ConsumerCrash } from './StackControlClient.ts';
export { NaiveReader } from './NaiveReader.ts';
export { PRICES } from './prices.ts';
export type { PriceTable } from './prices.ts';
export { estimateCost, shardsFor, SHARD_LIMITS, DEFAULT_COST_ASSUMPTIONS } from './costModel.ts';
export type { CostEstimate, CostAssumptions, RunCounts } from './costModel.ts';
export { LOADTEST_DEFAULTS, LOADTEST_RANGES, resolveOptions } from './options.ts';
export { LoadTestOptionError, RemoteTargetError, TargetNotConfiguredError, FaultControlError } from './errors.ts';
export { ZipfSampler } from './ZipfSampler.ts';
export { seededRandom } from './SeededRandom.ts';
export { EventGenerator, MAX_TYPES } from './EventGenerator.ts';
export type { GeneratorOptions, GeneratedEvent } from './EventGenerator.ts';
export { Timeline } from './Timeline.ts';
export { RunTally } from './RunTally.ts';
export type { SecondSample, PipelineSample } from './Timeline.ts';
export type { GroupTotals } from './RunTally.ts';
export { buildChartSvg, chartSvg, panelSvg, niceCeiling, escapeXml } from './svgChart.ts';
export type { ChartOptions, Series } from './svgChart.ts';
export { renderHtmlReport, reportCharts } from './htmlReport.ts';
export { formatSummary, progressPrinter, comparisonRows } from './summary.ts';
export { assertLoopback } from './loopback.ts';
export { watchRollups, totalsEqual, compareTotals } from './RollupWatcher.ts';
export type { RollupReader, WatchOptions } from './RollupWatcher.ts';
export { KinesisSink } from './KinesisSink.ts';
export { HttpSink } from './HttpSink.ts';
export { DataApiRollupReader } from './DataApiRollupReader.ts';
export { capacityPlan, figuresFromReport, formatPlan, REFERENCE_FIGURES, PLAN_ASSUMPTIONS } from './capacityPlan.ts';
export type { CapacityPlan, MeasuredFigures, PlanInput } from './capacityPlan.ts';
