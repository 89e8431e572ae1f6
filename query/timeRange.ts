// Time bounds and bucket sizes as people type them: ISO-8601, epoch milliseconds, or
// relative to now (`-1h`, `-15m`, `-7d`, `now`); buckets as seconds or `5m`, `1h`, `1d`.
// Every front (CLI, HTTP, dashboard) parses through these, so they agree.
import { QueryError } from './errors.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const RELATIVE = /^-(\d{1,9})(s|m|h|d|w)$/;
const DURATION = /^(\d{1,9})(s|m|h|d|w)?$/;
const EPOCH_MS = /^\d{1,16}$/;
/** Events are 2000..2100 (core's event rules); a bound outside is a typo. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/** The forms a time bound may take, for error messages and the API description. */
export const TIME_BOUND_FORMS = 'ISO-8601 (2026-11-28T14:00:00Z), epoch milliseconds, `now`, or relative to now (-15m, -1h, -7d)';

/**
 * Epoch milliseconds of a bound: a Date, a number (epoch ms), or text in one of
 * TIME_BOUND_FORMS. `now` is the clock relative bounds count from.
 * Throws QueryError naming `option` for anything else.
 */
export function parseTimeBound(value: string | number | Date, option: string, now: number): number {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else {
    const text = value.trim();
    const rel = RELATIVE.exec(text);
    if (text === 'now') ms = now;
    else if (rel) ms = now - Number(rel[1]) * UNIT_SECONDS[rel[2]!]! * 1000;
    else if (EPOCH_MS.test(text)) ms = Number(text);
    // A date-time without a zone would be read in the host's zone: refuse it.
    else if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-]\d{2}:?\d{2})$/i.test(text) || /^\d{4}-\d{2}-\d{2}$/.test(text)) ms = Date.parse(text);
    else ms = NaN;
  }
  if (!Number.isFinite(ms)) throw new QueryError(option, `"${String(value)}" is not a time: use ${TIME_BOUND_FORMS}`);
  if (ms < MIN_MS || ms > MAX_MS) throw new QueryError(option, `${new Date(ms).toISOString()} is outside 2000..2100`);
  return ms;
}

/** Seconds of a bucket size: a whole number of seconds or a duration (`5m`, `1h`, `1d`). */
export function parseBucket(value: string | number): number {
  const text = String(value).trim();
  const m = DURATION.exec(text);
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new QueryError('bucket', `"${text}" is not a bucket size: use seconds or a duration such as 1m, 5m, 1h, 1d`);
  }
  return seconds;
}

/** A bucket size as people write it (300 -> "5m"). */
export function formatBucket(seconds: number): string {
  for (const [unit, s] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % s === 0) return `${seconds / s}${unit}`;
  }
  return `${seconds}s`;
}
