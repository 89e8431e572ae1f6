// Turns Data API parameters into PostgreSQL `$n` parameters with the type Aurora
// gives them. Aurora PostgreSQL binds through JDBC, so a stringValue arrives as
// `character varying`, a longValue as bigint, a doubleValue as double precision, a
// blobValue as bytea, a booleanValue as boolean, and the typeHints DATE, TIME,
// TIMESTAMP, DECIMAL, UUID and JSON as date, time, timestamp, numeric, uuid and
// json. Each placeholder gets an explicit cast to that type, so PostgreSQL raises the
// same errors Aurora does (a string into a jsonb or timestamp column without a
// typeHint fails with "... is of type jsonb but expression is of type character
// varying"). isNull stays untyped, so PostgreSQL infers its type from the context.
import { DataApiError } from './errors.ts';
import type { ParsedSql } from './SqlText.ts';
import type { TypeHint, WireSqlParameter } from './types.ts';
import type { SqlParam } from '../database/index.ts';

const TYPE_HINTS: Record<TypeHint, string> = {
  DATE: 'date', TIME: 'time', TIMESTAMP: 'timestamp', DECIMAL: 'numeric', UUID: 'uuid', JSON: 'json',
};

// Formats the AWS documentation gives for each typeHint. Aurora parses the string
// before it reaches PostgreSQL, so forms PostgreSQL alone would accept (an ISO 'T',
// a zone offset) are refused here too.
const HINT_FORMATS: Partial<Record<TypeHint, RegExp>> = {
  DATE: /^\d{4}-\d{2}-\d{2}$/,
  TIME: /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
  TIMESTAMP: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
  DECIMAL: /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/,
  UUID: /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
};

export interface BoundStatement {
  /** SQL with `$n::type` placeholders. */
  sql: string;
  params: SqlParam[];
  /** Maps a 1-based position in `sql` (as PostgreSQL reports errors) back to the caller's SQL. */
  originalPosition(position: number): number;
}

interface TypedValue {
  text: SqlParam;
  /** The cast for the placeholder, or '' to leave the type to PostgreSQL. */
  cast: string;
}

/** Binds one parameter set to a parsed statement. */
export function bindParameters(parsed: ParsedSql, parameters: readonly WireSqlParameter[] | undefined): BoundStatement {
  const byName = new Map<string, TypedValue>();
  // The wire is JSON from any client: a set that is not a list is the caller's error.
  const list: readonly WireSqlParameter[] = parameters ?? [];
  if (!Array.isArray(list as unknown)) {
    throw new DataApiError('BadRequestException', 'parameters must be a list of SqlParameter (each set of parameterSets too)');
  }
  for (const p of list) {
    if (typeof p?.name !== 'string' || p.name === '') throw new DataApiError('BadRequestException', 'Parameter name must be specified');
    if (byName.has(p.name)) throw new DataApiError('BadRequestException', `Duplicate parameter name: ${p.name}`);
    byName.set(p.name, typedValue(p));
  }
  const index = new Map<string, number>();
  const params: SqlParam[] = [];
  let sql = parsed.chunks[0]!;
  let original = sql.length;
  // Where each placeholder sits in the bound SQL and in the caller's.
  const shifts: { bound: number; boundEnd: number; original: number; originalEnd: number }[] = [];
  parsed.names.forEach((name, i) => {
    const value = byName.get(name);
    // Aurora's JDBC layer fails the same way when a placeholder has no value.
    if (!value) throw new DataApiError('BadRequestException', `No value specified for parameter: ${name}`);
    let n = index.get(name);
    if (n === undefined) {
      params.push(value.text);
      n = params.length;
      index.set(name, n);
    }
    const placeholder = `$${n}${value.cast ? `::${value.cast}` : ''}`;
    shifts.push({ bound: sql.length, boundEnd: sql.length + placeholder.length, original, originalEnd: original + name.length + 1 });
    sql += placeholder + parsed.chunks[i + 1]!;
    original += name.length + 1 + parsed.chunks[i + 1]!.length;
  });
  const originalPosition = (position: number) => {
    const at = position - 1;
    let delta = 0;
    for (const s of shifts) {
      if (at < s.bound) break;
      if (at < s.boundEnd) return s.original + 1;
      delta = s.originalEnd - s.boundEnd;
    }
    return at + delta + 1;
  };
  return { sql, params, originalPosition };
}

function typedValue(p: WireSqlParameter): TypedValue {
  const v = p.value;
  const hint = p.typeHint;
  if (hint !== undefined && !Object.hasOwn(TYPE_HINTS, hint)) {
    throw new DataApiError('BadRequestException', `Invalid typeHint ${hint} for parameter ${p.name}: expected one of ${Object.keys(TYPE_HINTS).join(', ')}`);
  }
  if (!v || typeof v !== 'object') throw new DataApiError('BadRequestException', `Parameter ${p.name} has no value`);
  const members = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
  if (members.length !== 1) throw new DataApiError('BadRequestException', `Parameter ${p.name} must set exactly one value member, got ${members.length}`);
  if (v.arrayValue !== undefined) throw new DataApiError('BadRequestException', 'Array parameters are not supported.');
  if (v.isNull !== undefined) {
    if (v.isNull !== true) throw new DataApiError('BadRequestException', `Parameter ${p.name}: isNull must be true when set`);
    return { text: null, cast: hint ? TYPE_HINTS[hint as TypeHint] : '' };
  }
  if (hint !== undefined && v.stringValue === undefined) {
    throw new DataApiError('BadRequestException', `Parameter ${p.name}: typeHint ${hint} applies only to a stringValue`);
  }
  if (v.stringValue !== undefined) {
    if (typeof v.stringValue !== 'string') throw new DataApiError('BadRequestException', `Parameter ${p.name}: stringValue must be a string`);
    if (hint) {
      const format = HINT_FORMATS[hint as TypeHint];
      if (format && !format.test(v.stringValue)) {
        throw new DataApiError('BadRequestException', `Parameter ${p.name}: "${v.stringValue}" is not a valid ${hint} value`);
      }
      return { text: v.stringValue, cast: TYPE_HINTS[hint as TypeHint] };
    }
    return { text: v.stringValue, cast: 'varchar' };
  }
  if (v.longValue !== undefined) {
    if (typeof v.longValue !== 'number' || !Number.isInteger(v.longValue)) throw new DataApiError('BadRequestException', `Parameter ${p.name}: longValue must be an integer`);
    return { text: BigInt(v.longValue).toString(), cast: 'int8' };
  }
  if (v.doubleValue !== undefined) {
    if (typeof v.doubleValue !== 'number') throw new DataApiError('BadRequestException', `Parameter ${p.name}: doubleValue must be a number`);
    return { text: String(v.doubleValue), cast: 'float8' };
  }
  if (v.booleanValue !== undefined) {
    if (typeof v.booleanValue !== 'boolean') throw new DataApiError('BadRequestException', `Parameter ${p.name}: booleanValue must be a boolean`);
    return { text: v.booleanValue ? 'true' : 'false', cast: 'bool' };
  }
  if (v.blobValue !== undefined) {
    if (typeof v.blobValue !== 'string') throw new DataApiError('BadRequestException', `Parameter ${p.name}: blobValue must be base64`);
    return { text: `\\x${Buffer.from(v.blobValue, 'base64').toString('hex')}`, cast: 'bytea' };
  }
  throw new DataApiError('BadRequestException', `Parameter ${p.name} has an unknown value member ${members[0]}`);
}
