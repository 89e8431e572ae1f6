// Turns PostgreSQL results (text format plus type OIDs) into what Aurora
// PostgreSQL's Data API returns: typed `records`, `columnMetadata`, and the
// `formattedRecords` JSON string.
//
// Mapping (as Aurora returns each type):
//   bool -> booleanValue; int2, int4, oid -> longValue; int8 -> longValue, or
//   stringValue with longReturnType STRING; float4, float8 -> doubleValue;
//   numeric -> stringValue (decimalReturnType STRING, the default) or
//   doubleValue/longValue (DOUBLE_OR_LONG); bytea -> blobValue; arrays ->
//   arrayValue (longValues, doubleValues, booleanValues, stringValues; a
//   multidimensional array is refused with UnsupportedResultException, as
//   documented); everything else (text, uuid, json, jsonb, date, time,
//   timestamp, interval, enums, ...) -> stringValue in PostgreSQL's text form, with
//   timestamptz in UTC without an offset ('2024-01-02 03:04:05.123').
// Choices where the AWS documentation is silent: longReturnType applies to int8 only
// (Aurora's LONG is the JDBC BIGINT); a float that is NaN or infinite (JSON has no
// such number) comes back as a stringValue; in formattedRecords, json/jsonb values
// stay strings holding the JSON text, bytea is base64, numeric follows
// decimalReturnType as in records.
import type { SqlField, SqlResult } from '../database/index.ts';
import { parseArrayLiteral, type ArrayTree } from './ArrayLiteral.ts';
import { DataApiError } from './errors.ts';
import { jdbcDescription, type CatalogQuery, type PgType, type TypeCatalog } from './TypeCatalog.ts';
import type { WireArrayValue, WireColumnMetadata, WireField, WireResultSetOptions } from './types.ts';

export interface EncodeOptions {
  resultSetOptions?: WireResultSetOptions;
}

interface ColumnCodec {
  field: SqlField;
  type: PgType;
  element: PgType | undefined;
}

export async function columnCodecs(result: SqlResult, catalog: TypeCatalog, query: CatalogQuery): Promise<ColumnCodec[]> {
  const out: ColumnCodec[] = [];
  for (const field of result.fields) {
    let type = await catalog.get(field.typeOid, query);
    // A domain is returned as the type it is based on.
    while (type.baseOid) type = await catalog.get(type.baseOid, query);
    let element = type.category === 'A' && type.elementOid ? await catalog.get(type.elementOid, query) : undefined;
    while (element?.baseOid) element = await catalog.get(element.baseOid, query);
    out.push({ field, type, element });
  }
  return out;
}

export function validateResultSetOptions(o: WireResultSetOptions | undefined): void {
  if (!o) return;
  if (o.decimalReturnType !== undefined && o.decimalReturnType !== 'STRING' && o.decimalReturnType !== 'DOUBLE_OR_LONG') {
    throw new DataApiError('BadRequestException', `Invalid decimalReturnType ${String(o.decimalReturnType)}: expected STRING or DOUBLE_OR_LONG`);
  }
  if (o.longReturnType !== undefined && o.longReturnType !== 'STRING' && o.longReturnType !== 'LONG') {
    throw new DataApiError('BadRequestException', `Invalid longReturnType ${String(o.longReturnType)}: expected STRING or LONG`);
  }
}

/** One typed value as in `records`. */
export function encodeValue(text: string | null, c: ColumnCodec, opts: EncodeOptions): WireField {
  if (text === null) return { isNull: true };
  if (c.type.category === 'A' && c.element) return { arrayValue: encodeArray(parseArrayLiteral(text), c.element, opts) };
  return scalarField(text, c.type, opts);
}

function scalarField(text: string, t: PgType, opts: EncodeOptions): WireField {
  switch (t.name) {
    case 'bool':
      return { booleanValue: text === 't' || text === 'true' };
    case 'int2': case 'int4': case 'oid':
      return { longValue: Number(text) };
    case 'int8':
      return opts.resultSetOptions?.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
    case 'float4': case 'float8': {
      const d = Number(text);
      return Number.isFinite(d) ? { doubleValue: d } : { stringValue: text };
    }
    case 'numeric':
      if (opts.resultSetOptions?.decimalReturnType === 'DOUBLE_OR_LONG') {
        if (/^-?\d+$/.test(text)) return { longValue: Number(text) };
        const d = Number(text);
        return Number.isFinite(d) ? { doubleValue: d } : { stringValue: text };
      }
      return { stringValue: text };
    case 'bytea':
      return { blobValue: byteaToBase64(text) };
    case 'timestamptz':
      return { stringValue: timestamptzToUtc(text) };
    default:
      return { stringValue: text };
  }
}

function encodeArray(tree: ArrayTree, element: PgType, opts: EncodeOptions): WireArrayValue {
  // The service documents multidimensional arrays among the results it cannot return.
  if (tree.some((e) => Array.isArray(e))) {
    throw new DataApiError('UnsupportedResultException', `The result contains a multidimensional array (${element.name}[][]), which the Data API does not return.`);
  }
  const leaves = tree as (string | null)[];
  switch (element.name) {
    case 'bool':
      return { booleanValues: leaves.map((v) => (v === null ? null : v === 't' || v === 'true')) };
    case 'int2': case 'int4': case 'oid':
      return { longValues: leaves.map((v) => (v === null ? null : Number(v))) };
    case 'int8':
      return opts.resultSetOptions?.longReturnType === 'STRING'
        ? { stringValues: leaves }
        : { longValues: leaves.map((v) => (v === null ? null : Number(v))) };
    case 'float4': case 'float8':
      return { doubleValues: leaves.map((v) => (v === null ? null : Number(v))) };
    case 'bytea':
      // A blob array has no member in the model's ArrayValue; Aurora refuses it too.
      throw new DataApiError('UnsupportedResultException', 'The result contains the unsupported data type _bytea.');
    case 'timestamptz':
      return { stringValues: leaves.map((v) => (v === null ? null : timestamptzToUtc(v))) };
    default:
      return { stringValues: leaves };
  }
}

/** The value as it appears in formattedRecords. */
export function jsonValue(text: string | null, c: ColumnCodec, opts: EncodeOptions): unknown {
  return fieldToJson(encodeValue(text, c, opts));
}

function fieldToJson(f: WireField): unknown {
  if (f.isNull) return null;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.stringValue !== undefined) return f.stringValue;
  if (f.blobValue !== undefined) return f.blobValue;
  if (f.arrayValue) return arrayToJson(f.arrayValue);
  return null;
}

function arrayToJson(a: WireArrayValue): unknown[] {
  return a.arrayValues?.map(arrayToJson) ?? a.booleanValues ?? a.longValues ?? a.doubleValues ?? a.stringValues ?? [];
}

export function columnMetadata(c: ColumnCodec, tableName: string, nullable: number, autoIncrement: boolean): WireColumnMetadata {
  const d = jdbcDescription(c.type, c.element, c.field.typeModifier);
  const numeric = c.type.category === 'N';
  return {
    name: c.field.name,
    type: d.type,
    // The JDBC driver reports a serial column's type as serial/bigserial.
    typeName: autoIncrement ? (c.type.name === 'int8' ? 'bigserial' : c.type.name === 'int2' ? 'smallserial' : 'serial') : c.type.name,
    label: c.field.name,
    schemaName: '',
    tableName,
    isAutoIncrement: autoIncrement,
    isSigned: numeric && c.type.name !== 'oid',
    isCurrency: c.type.name === 'money',
    isCaseSensitive: c.type.category === 'S' || c.type.category === 'U' || c.type.category === 'E',
    nullable,
    precision: d.precision,
    scale: d.scale,
    arrayBaseColumnType: d.arrayBase,
  };
}

function byteaToBase64(text: string): string {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex').toString('base64');
  // The pre-9.0 'escape' output format, in case bytea_output was changed.
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') { bytes.push(92); i++; }
      else { bytes.push(parseInt(text.slice(i + 1, i + 4), 8)); i += 3; }
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('base64');
}

/** '2024-01-02 05:04:05.5+02' (any session time zone) -> '2024-01-02 03:04:05.5' (UTC). */
export function timestamptzToUtc(text: string): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?( BC)?$/.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac = '', sign, oh, om = '0', os = '0', bc] = m;
  if (bc) return text;
  const offsetSec = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  const local = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  // setUTCFullYear, because Date.UTC reads years 0-99 as 1900-1999.
  local.setUTCFullYear(Number(y));
  const u = new Date(local.getTime() - offsetSec * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(u.getUTCFullYear(), 4)}-${p(u.getUTCMonth() + 1)}-${p(u.getUTCDate())} ${p(u.getUTCHours())}:${p(u.getUTCMinutes())}:${p(u.getUTCSeconds())}${frac}`;
}
