// How `sluice query` prints an answer: a table that fits an 80-column terminal, CSV
// (RFC 4180, one line per row, group and total) or the engine's JSON as the HTTP API
// returns it.
import { formatBucket } from '../query/index.ts';
import type { MeasureValues, QueryResult, TypeResult } from '../query/index.ts';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export function formatQueryResult(result: QueryResult, format: QueryFormat, width = 80): string {
  if (format === 'json') return JSON.stringify(result) + '\n';
  if (format === 'csv') return toCsv(result);
  return result.results.map((r) => toTable(result, r, width)).join('\n');
}

const measureCells = (m: MeasureValues, distinct: boolean) => [
  String(m.count), m.sumExact, m.min === null ? '-' : String(m.min), m.max === null ? '-' : String(m.max),
  ...(distinct ? [String(m.distinct ?? 0)] : []),
];

function toCsv(result: QueryResult): string {
  const anyDistinct = result.results.some((r) => r.distinctOf !== null);
  const header = ['kind', 'type', 'bucket', ...result.groupBy, 'count', 'sum', 'min', 'max', ...(anyDistinct ? ['distinct'] : [])];
  const lines = [header];
  for (const r of result.results) {
    const cells = (m: MeasureValues) => measureCells(m, anyDistinct).map((c) => (c === '-' ? '' : c));
    const dims = (d: Record<string, string | null> | undefined) => result.groupBy.map((g) => d?.[g] ?? '');
    for (const row of r.rows) lines.push(['row', r.type, row.bucket, ...dims(row.dims), ...cells(row)]);
    for (const g of r.groups) lines.push(['group', r.type, '', ...dims(g.dims), ...cells(g)]);
    lines.push(['total', r.type, '', ...dims(undefined), ...cells(r.totals)]);
  }
  return lines.map((l) => l.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Bucket starts as short as their size allows: a day needs no time, a minute no seconds. */
function bucketLabel(iso: string, bucket: number): string {
  if (bucket % 86_400 === 0) return iso.slice(0, 10);
  if (bucket % 60 === 0) return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, Math.max(1, max - 1)) + '…';
}

function toTable(result: QueryResult, r: TypeResult, width: number): string {
  const dimNames = result.groupBy;
  const distinct = r.distinctOf !== null;
  const header = ['bucket', ...dimNames, 'count', 'sum', 'min', 'max', ...(distinct ? ['distinct'] : [])];
  const dimCells = (d: Record<string, string | null> | undefined) => dimNames.map((n) => (d?.[n] ?? '(none)'));
  const body = r.rows.map((row) => [bucketLabel(row.bucket, result.bucket), ...dimCells(row.dims), ...measureCells(row, distinct)]);
  const groups = r.groups.map((g) => [dimNames.length ? 'all' : '', ...dimCells(g.dims), ...measureCells(g, distinct)]);
  const totals = ['total', ...dimNames.map(() => ''), ...measureCells(r.totals, distinct)];
  const numeric = (i: number) => i > dimNames.length;

  // Fit the width: clip long dimension values to 12, then leave out max and min, then
  // clip to 8; room left over goes back to the clipped values before any bar.
  let columns = header.map((_, i) => i);
  const all = [header, ...body, ...groups, totals];
  const natural = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const widths = [...natural];
  const used = () => columns.reduce((n, i) => n + widths[i]!, 0) + 2 * (columns.length - 1);
  const clipDims = (floor: number) => {
    for (let i = 1; i <= dimNames.length && used() > width; i++) widths[i] = Math.max(Math.min(floor, natural[i]!), widths[i]! - (used() - width));
  };
  clipDims(12);
  const dropped: string[] = [];
  for (const name of ['max', 'min']) {
    if (used() <= width) break;
    columns = columns.filter((i) => header[i] !== name);
    dropped.push(name);
  }
  clipDims(8);
  for (let i = 1; i <= dimNames.length && used() < width; i++) widths[i] = Math.min(natural[i]!, widths[i]! + (width - used()));
  const line = (row: string[]) => columns
    .map((i) => { const c = clip(row[i]!, widths[i]!); return numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!); })
    .join('  ').trimEnd();
  const rule = columns.map((i) => '-'.repeat(widths[i]!)).join('  ');
  // A bar of each row's count in the room left: the shape of the traffic at a glance.
  const room = width - used() - 2;
  const maxCount = Math.max(0, ...r.rows.map((row) => row.count));
  const withBar = (text: string, count: number) => {
    const bar = room >= 4 ? countBar(count, maxCount, Math.min(BAR_WIDTH, room)) : '';
    return bar ? `${text.padEnd(used())}  ${bar}` : text;
  };
  const at = (iso: string | null, open: string) => (iso === null ? open : bucketLabel(iso, 60));
  const title = [
    `${r.type}: ${r.rows.length} row${r.rows.length === 1 ? '' : 's'} of ${formatBucket(result.bucket)}, rollup ${r.rollup} (${formatBucket(r.window)} stored)` +
      (result.top !== null ? `, top ${result.top} by ${result.by}` : ''),
    `${at(result.from, 'start')} .. ${at(result.to, 'now')} UTC` + (dropped.length ? ` (${dropped.join(', ')} left out to fit)` : ''),
  ].join('; ');
  const out = [...wrap(title, width), line(header), rule, ...body.map((row, i) => withBar(line(row), r.rows[i]!.count))];
  if (groups.length) out.push(rule, ...groups.map(line));
  out.push(rule, line(totals));
  return out.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

const BAR_WIDTH = 24;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `count` against `max`, `width` characters at most, in eighths of a character. */
export function countBar(count: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || count <= 0) return '';
  const eighths = Math.max(1, Math.round((count / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}
