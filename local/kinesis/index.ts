// The local Kinesis endpoint: kinesalite behind a front that adds what it lacks
// (per-shard write limits, injected faults). ShardWriteMeter is internal.
export { KinesisServer, KINESIS_FRONT_TIMEOUTS } from './KinesisServer.ts';
export type { KinesisServerOptions } from './KinesisServer.ts';
export { KinesisFaults } from './KinesisFaults.ts';
export type { InjectedCallError } from './KinesisFaults.ts';
