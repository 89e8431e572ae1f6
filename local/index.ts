// The embedded local stack: emulators of the AWS services sluice uses, and the
// runner that plays the Lambda event source mapping.
export { KinesisServer } from './kinesis/KinesisServer.ts';
export type { KinesisServerOptions } from './kinesis/KinesisServer.ts';
export { KinesisFaults } from './kinesis/KinesisFaults.ts';
