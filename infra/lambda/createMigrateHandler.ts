// The schema custom resource's handler, built from its client and settings like the
// consumers' handlers: on Create and Update it applies pending migrations through
// the Data API; on Delete it keeps the data (dropping rollups is never implicit).
import { sleep as defaultSleep } from '../../core/index.ts';
import { DatabaseResumingException, type RDSDataClient } from '@aws-sdk/client-rds-data';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { migrate, type DataApiTarget, type Migration } from '../../schema/index.ts';

/** One resource per stack: its id never changes, so an update is never a replacement. */
export const SCHEMA_RESOURCE_ID = 'sluice-schema';

export interface MigrateHandlerDeps {
  client: RDSDataClient;
  target: DataApiTarget;
  /** Reads the migrations to apply (from the bundle's `migrations/` directory on AWS). */
  loadMigrations: () => Migration[];
  /** How long to wait between tries while the cluster resumes. @default 5000 */
  resumeWaitMs?: number;
  /** Stop retrying this long before the invocation's deadline. @default 30000 */
  safetyMarginMs?: number;
  /** Waits between tries, injectable for tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export interface MigrateContext {
  getRemainingTimeInMillis(): number;
}

/** The error, or any error in its `cause` chain, is Aurora waking from auto-pause. */
export function isDatabaseResuming(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof DatabaseResumingException || e.name === 'DatabaseResumingException') return true;
  }
  return false;
}

export function createMigrateHandler(deps: MigrateHandlerDeps) {
  const wait = deps.resumeWaitMs ?? 5000;
  const margin = deps.safetyMarginMs ?? 30_000;
  const sleep = deps.sleep ?? defaultSleep;

  return async (event: CdkCustomResourceEvent, context: MigrateContext): Promise<CdkCustomResourceResponse> => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const migrations = deps.loadMigrations();
    // A cluster at 0 ACU answers DatabaseResumingException until it is up; each
    // migration runs in its own transaction, so trying again is always safe.
    for (;;) {
      try {
        const { applied } = await migrate(deps.client, deps.target, { migrations });
        return {
          PhysicalResourceId: SCHEMA_RESOURCE_ID,
          Data: { Applied: applied.join(','), Latest: migrations.at(-1)?.name ?? '' },
        };
      } catch (err) {
        if (!isDatabaseResuming(err) || context.getRemainingTimeInMillis() < wait + margin) throw err;
        await sleep(wait);
      }
    }
  };
}
