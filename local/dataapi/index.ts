// The local RDS Data API emulator (strict: what works here works on Aurora).
export { DataApiServer, FAULTS_PATH, STATS_PATH } from './DataApiServer.ts';
export type { DataApiServerOptions, DataApiStats } from './DataApiServer.ts';
export { DataApiFaults, DATA_API_OPERATIONS } from './DataApiFaults.ts';
export type { DataApiOperation, FaultSpec, DropMode } from './DataApiFaults.ts';
export { DataApiError, DATA_API_ERROR_STATUS } from './errors.ts';
export type { DataApiErrorName } from './errors.ts';
