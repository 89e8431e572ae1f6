// Reading rollup rows back from the Data API by column name (never by position):
// the rows of a response, as `records` with `columnMetadata` or as `formattedRecords`,
// become objects keyed by column label, and each kept measure reads its value from
// the column named after it.
import type { ColumnMetadata, Field } from '@aws-sdk/client-rds-data';
import { fieldValue } from '../schema/index.ts';
import { ResultShapeError } from './errors.ts';
import type { Measure } from './Measure.ts';
import { MEASURES } from './measures/index.ts';
import type { RollupConfig } from './RollupConfig.ts';
import type { MeasureValues } from './RollupDelta.ts';

const ALL_MEASURES: readonly Measure[] = MEASURES as readonly Measure[];

/** A result row by column label. */
export type NamedRow = Record<string, unknown>;

/** The parts of an ExecuteStatement response that carry rows. */
export interface DataApiRows {
  records?: Field[][];
  columnMetadata?: ColumnMetadata[];
  formattedRecords?: string;
}

/**
 * The rows of a Data API response by column label: from `formattedRecords` when the
 * statement asked for JSON, else from `records` with their `columnMetadata` (the
 * statement must ask for includeResultMetadata). Throws ResultShapeError otherwise.
 */
export function namedRows(out: DataApiRows): NamedRow[] {
  if (out.formattedRecords !== undefined) {
    const parsed: unknown = JSON.parse(out.formattedRecords);
    if (!Array.isArray(parsed)) throw new ResultShapeError('formattedRecords is not a JSON array');
    return parsed as NamedRow[];
  }
  const records = out.records ?? [];
  if (records.length === 0) return [];
  const meta = out.columnMetadata;
  if (!meta) throw new ResultShapeError('records without columnMetadata: the statement must ask for includeResultMetadata');
  const names = meta.map((c, i) => c.label ?? c.name ?? `column${i}`);
  return records.map((fields) => {
    const row: NamedRow = {};
    for (let i = 0; i < names.length; i++) {
      const v = fieldValue(fields[i]);
      row[names[i]!] = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v;
    }
    return row;
  });
}

/** The measures `rollup` keeps, read from the columns named after them (see rebucketSelect). */
export function readMeasures(row: NamedRow, rollup: RollupConfig): MeasureValues {
  const out: Record<string, unknown> = {};
  for (const m of ALL_MEASURES) {
    if (!m.kept(rollup)) continue;
    if (!(m.name in row)) throw new ResultShapeError(`the row has no column "${m.name}"`);
    out[m.name] = m.read(row[m.name]);
  }
  return out as MeasureValues;
}

/** Two rows' measures merged as one (totals, or coarser buckets in TypeScript). */
export function combineMeasures(a: MeasureValues, b: MeasureValues): MeasureValues {
  const out: Record<string, unknown> = {};
  const av = a as Record<string, unknown>;
  const bv = b as Record<string, unknown>;
  for (const m of ALL_MEASURES) {
    if (av[m.name] === undefined) {
      if (bv[m.name] !== undefined) out[m.name] = bv[m.name];
    } else {
      out[m.name] = bv[m.name] === undefined ? av[m.name] : m.combine(av[m.name], bv[m.name]);
    }
  }
  return out as MeasureValues;
}
