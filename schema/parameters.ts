// Conversions between JavaScript values and the Data API's typed parameters and
// result fields. Values always travel as bound parameters, never inside SQL text.
import type { Field, SqlParameter } from '@aws-sdk/client-rds-data';
import type { SqlValue } from './types.ts';

/** A named Data API parameter for a JavaScript value. */
export function sqlParameter(name: string, value: SqlValue): SqlParameter {
  if (value === null) return { name, value: { isNull: true } };
  if (typeof value === 'string') return { name, value: { stringValue: value } };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (typeof value === 'bigint') return { name, value: { stringValue: value.toString() } };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { name, value: { longValue: value } } : { name, value: { doubleValue: value } };
  }
  return { name, value: { blobValue: value } };
}

/** Parameters from an object of name: value. */
export function sqlParameters(values: Record<string, SqlValue>): SqlParameter[] {
  return Object.entries(values).map(([k, v]) => sqlParameter(k, v));
}

/** The JavaScript value of a result field (numbers stay numbers, numeric text stays text). */
export function fieldValue(field: Field | undefined): string | number | boolean | Uint8Array | null {
  if (field === undefined || field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return field.blobValue;
  return null;
}

/** A field read as text (numbers converted), or null. */
export function fieldText(field: Field | undefined): string | null {
  const v = fieldValue(field);
  if (v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

/** A field read as a finite number, or null. */
export function fieldNumber(field: Field | undefined): number | null {
  const v = fieldValue(field);
  if (v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

/** A field read as bytes (blob, or base64 text), or null. */
export function fieldBytes(field: Field | undefined): Buffer | null {
  const v = fieldValue(field);
  if (v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return null;
}
