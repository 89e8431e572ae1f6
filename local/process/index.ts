// How the local stack runs its parts as processes of their own, so they share the
// machine's cores, and how each part stops when the stack does or dies.
export { forkEntry } from './forkEntry.ts';
export { StackPart } from './StackPart.ts';
export { SupervisedPart, DEFAULT_RESTART_POLICY } from './SupervisedPart.ts';
export type { RestartPolicy } from './SupervisedPart.ts';
export { PartFailedError } from './errors.ts';
export { processTreeCpuMicros } from './processCpu.ts';
export { isLiveProcess } from './liveProcess.ts';
export { readPartsFile, removePartsFile, waitForLeftoverParts, writePartsFile } from './PartsFile.ts';
export type { PartProcess } from './PartsFile.ts';
export type { CpuMicros, PartRole } from './PartMessages.ts';
export type { KinesisPartConfig } from './kinesisPart.ts';
export type { DatabasePartConfig } from './databasePart.ts';
export type { FirehosePartConfig } from './firehosePart.ts';
export type { ConsumerPartConfig } from './consumerPart.ts';
export type { IngestPartConfig } from './ingestPart.ts';
