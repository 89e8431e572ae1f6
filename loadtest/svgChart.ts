// The report's chart as one inline SVG string (no script, no CDN): send and ack rate
// per second on top, ack latency p50/p99 below, on a shared time axis. Pure, so its
// geometry is unit-tested.
import type { SecondSample } from './Timeline.ts';

export interface ChartOptions {
  /** @default 900 */
  width?: number;
  /** Height of each of the two panels. @default 220 */
  panelHeight?: number;
}

export interface Series {
  label: string;
  color: string;
  values: number[];
}

const MARGIN = { left: 64, right: 16, top: 28, bottom: 30 } as const;

/** Smallest 1, 2 or 5 × 10^k at or above `v` (1 for v <= 0), so axis labels read well. */
export function niceCeiling(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * exp >= v - exp * 1e-9) return m * exp;
  return 10 * exp;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * One panel: a polyline per series (points skipped where a value is NaN, which
 * breaks the line), a y axis from 0 to a nice maximum, and a legend.
 */
export function panelSvg(title: string, unit: string, series: Series[], width: number, height: number, offsetY: number): string {
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const finite = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const yMax = niceCeiling(finite.length ? Math.max(...finite) : 0);
  const x = (i: number) => MARGIN.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v: number) => MARGIN.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [`<g transform="translate(0,${offsetY})">`];
  parts.push(`<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`);
  for (const frac of [0, 0.5, 1]) {
    const yy = y(yMax * frac).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${yy}" font-size="11" text-anchor="end" dominant-baseline="middle">${formatNumber(yMax * frac)} ${escapeXml(unit)}</text>`);
  }
  parts.push(`<text x="${MARGIN.left}" y="${height - 8}" font-size="11">0 s</text>`);
  parts.push(`<text x="${width - MARGIN.right}" y="${height - 8}" font-size="11" text-anchor="end">${Math.max(0, n - 1)} s</text>`);
  if (finite.length === 0) {
    parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH / 2}" font-size="12" text-anchor="middle" fill="#888">no data</text>`);
  }
  series.forEach((s, si) => {
    const segments: string[][] = [[]];
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) segments.at(-1)!.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      else if (segments.at(-1)!.length) segments.push([]);
    });
    for (const seg of segments.filter((p) => p.length > 0)) {
      parts.push(`<polyline data-series="${escapeXml(s.label)}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.5" points="${seg.join(' ')}"/>`);
    }
    const lx = width - MARGIN.right - 120 * (series.length - si);
    parts.push(`<rect x="${lx}" y="6" width="10" height="10" fill="${escapeXml(s.color)}"/>`);
    parts.push(`<text x="${lx + 14}" y="15" font-size="11">${escapeXml(s.label)}</text>`);
  });
  parts.push('</g>');
  return parts.join('');
}

/** The full chart: rates on top, latency below. */
export function buildChartSvg(samples: SecondSample[], options: ChartOptions = {}): string {
  const width = options.width ?? 900;
  const h = options.panelHeight ?? 220;
  const rates = panelSvg('events per second', '/s', [
    { label: 'sent', color: '#1f77b4', values: samples.map((s) => s.sent) },
    { label: 'acknowledged', color: '#2ca02c', values: samples.map((s) => s.acked) },
  ], width, h, 0);
  const latency = panelSvg('ack latency', 'ms', [
    { label: 'p50', color: '#9467bd', values: samples.map((s) => s.latencyP50Ms) },
    { label: 'p99', color: '#d62728', values: samples.map((s) => s.latencyP99Ms) },
  ], width, h, h);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${2 * h}" viewBox="0 0 ${width} ${2 * h}" font-family="sans-serif" role="img">${rates}${latency}</svg>`;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** One panel as its own SVG, named by `data-chart` so a reader (or a test) can find it. */
export function chartSvg(name: string, title: string, unit: string, series: Series[], options: ChartOptions = {}): string {
  const width = options.width ?? 900;
  const h = options.panelHeight ?? 220;
  return `<svg xmlns="http://www.w3.org/2000/svg" data-chart="${escapeXml(name)}" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="sans-serif" role="img">${panelSvg(title, unit, series, width, h, 0)}</svg>`;
}
