// The numbered SQL migrations in schema/migrations/, read in order. Each file is
// applied once, in its own transaction, statement by statement.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitSqlStatements } from './statements.ts';
import { MigrationError } from './errors.ts';

export interface Migration {
  /** File name without `.sql`, e.g. `001_initial`: the key recorded once applied. */
  name: string;
  statements: string[];
}

const MIGRATION_FILE = /^(\d{3,})_[a-z0-9_]+\.sql$/;

/** The default directory of migration files, beside this module. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Reads the migration files of `dir`, ordered by number; rejects misnamed or duplicate numbers. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<string>();
  return files.map((file) => {
    const m = MIGRATION_FILE.exec(file);
    if (!m) throw new MigrationError(file, 'file name must look like 001_description.sql');
    if (seen.has(m[1]!)) throw new MigrationError(file, `number ${m[1]} is used twice`);
    seen.add(m[1]!);
    const statements = splitSqlStatements(readFileSync(`${dir}/${file}`, 'utf8'));
    if (statements.length === 0) throw new MigrationError(file, 'holds no statement');
    return { name: file.slice(0, -4), statements };
  });
}
