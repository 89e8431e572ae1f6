// Replay: the archive read back as the system of record, to back-fill a new rollup or
// rebuild a damaged range (`sluice replay`).
export { replayArchive, DEFAULT_SETTLE_SECONDS } from './replayArchive.ts';
export type { ReplayOptions, ReplayProgress, ReplaySummary, RollupRebuildSummary } from './replayArchive.ts';
export { S3ArchiveSource } from './ArchiveSource.ts';
export type { ArchiveSource } from './ArchiveSource.ts';
export { readArchiveObject, isErrorObjectKey } from './ArchiveObjectReader.ts';
export { archiveKeys, arrivalWindow, keyHourMs } from './ArchiveRange.ts';
export { planRebuild } from './RebuildPlan.ts';
export type { RollupRebuildPlan, WindowRange } from './RebuildPlan.ts';
export { ReplayError } from './errors.ts';
export type { ArchivedEvent, ArchiveProblem, ArchiveObjectContent, LinePosition } from './types.ts';
