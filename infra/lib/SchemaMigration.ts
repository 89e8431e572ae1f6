// Applies sluice's SQL migrations to Aurora on every deploy that changes them: a
// CloudFormation custom resource whose Lambda runs schema's `migrate` through the
// Data API, the same runner the local stack uses on start.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { MIGRATIONS_DIR } from '../../schema/index.ts';
import type { RollupDatabase } from './RollupDatabase.ts';
import { REPO_ROOT, SluiceFunction } from './SluiceFunction.ts';

/** Where the migrations and their runner live, relative to the repository root. */
const SCHEMA_DIR = 'schema';

export interface SchemaMigrationProps {
  readonly database: RollupDatabase;
  /**
   * How long one migration run may take, including waiting for a paused cluster
   * to resume (at most 15 minutes, Lambda's limit).
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
}

/**
 * A digest of every file under schema/: it changes when a migration or the runner
 * changes, which makes CloudFormation update the resource and run them again
 * (the runner skips migrations already applied).
 */
export function schemaDigest(root: string = REPO_ROOT): string {
  const dir = join(root, SCHEMA_DIR);
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dir);
  const hash = createHash('sha256');
  for (const f of files.sort()) {
    hash.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return hash.digest('hex');
}

export class SchemaMigration extends Construct {
  readonly function: SluiceFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SchemaMigrationProps) {
    super(scope, id);
    this.function = new SluiceFunction(this, 'Function', {
      entry: 'infra/lambda/migrate.ts',
      description: 'sluice schema migrations through the RDS Data API (CloudFormation custom resource)',
      serviceName: 'sluice-migrate',
      timeout: props.timeout ?? Duration.minutes(10),
      environment: props.database.dataApiEnvironment(),
      // The runner reads the SQL files at run time; the entry looks for them here.
      bundleFiles: [{ from: relative(REPO_ROOT, MIGRATIONS_DIR), to: 'migrations' }],
    });
    props.database.grantDataApiAccess(this.function);

    const provider = new cr.Provider(this, 'Provider', { onEventHandler: this.function });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SluiceSchema',
      properties: { SchemaDigest: schemaDigest() },
    });
    // The writer instance must exist before the Data API can run statements.
    this.resource.node.addDependency(props.database.cluster);
  }
}
