// Lambda handlers that consume the stream: each has a factory taking its clients
// and settings, and a `lambda.ts` entry that builds them from the environment.
export { createArchiverHandler } from './archiver/index.ts';
export type { ArchiverHandler, ArchiverDeps } from './archiver/index.ts';
