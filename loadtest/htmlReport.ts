// A load test's report as one self-contained HTML page: the summary, the inline SVG
// chart of send rate and latency over time, the rollup check per type and the raw
// per-second table. No script, stylesheet or font is fetched from anywhere.
import { buildChartSvg, escapeXml } from './svgChart.ts';
import type { LoadTestReport } from './types.ts';

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

export function renderHtmlReport(r: LoadTestReport): string {
  const e = escapeXml;
  const row = (k: string, v: string) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`;
  const o = r.options;
  const rollupRows = Object.entries(r.rollups.expected).map(([type, exp]) => {
    const got = r.rollups.observed[type];
    const ok = !!got && got.count === exp.count && got.sum === exp.sum;
    return `<tr class="${ok ? 'ok' : 'bad'}"><td>${e(type)}</td><td>${exp.count}</td><td>${exp.sum}</td><td>${got?.count ?? '-'}</td><td>${got?.sum ?? '-'}</td><td>${ok ? 'exact' : 'mismatch'}</td></tr>`;
  });
  const seconds = r.timeline.map((s) => `<tr><td>${s.second}</td><td>${s.sent}</td><td>${s.acked}</td><td>${s.failed}</td><td>${fmt(s.latencyP50Ms)}</td><td>${fmt(s.latencyP99Ms)}</td></tr>`);
  const verdict = !r.rollups.checked ? 'not checked' : r.rollups.matched ? `exact after ${fmt((r.rollups.lagMs ?? 0) / 1000, 2)} s` : 'did not match in time';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice load test ${e(r.runId)}</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222;max-width:960px}
table{border-collapse:collapse;margin:1em 0}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
th{font-weight:600}.ok td:last-child{color:#2a7a2a}.bad td:last-child{color:#b00020;font-weight:600}
.verdict{font-size:1.2em;font-weight:600;color:${r.ok ? '#2a7a2a' : '#b00020'}}
</style></head><body>
<h1>sluice load test ${e(r.runId)}</h1>
<p class="verdict">${r.ok ? 'OK' : 'FAILED'}</p>
<table>
${row('started', r.startedAt)}
${row('target', `${r.target} ${r.endpoint}`)}
${row('offered', `${o.rate} events/s for ${o.durationSec} s, ${o.types} types, ${o.keys} keys (Zipf ${o.zipfExponent}), ~${o.payloadBytes}-byte payloads, seed ${r.seed}`)}
${row('sent / accepted / failed', `${r.sent} / ${r.accepted} / ${r.failed}`)}
${row('achieved rate', `${fmt(r.achievedRate)} events/s`)}
${row('ack latency', `p50 ${fmt(r.latencyMs.p50)} ms, p95 ${fmt(r.latencyMs.p95)} ms, p99 ${fmt(r.latencyMs.p99)} ms, max ${fmt(r.latencyMs.max)} ms`)}
${row('rollups', verdict)}
${Object.entries(r.failures).map(([k, n]) => row(`failed: ${k}`, String(n))).join('\n')}
</table>
<h2>Rate and latency over time</h2>
${buildChartSvg(r.timeline)}
<h2>Rollups per type</h2>
<table><tr><th>type</th><th>expected count</th><th>expected sum</th><th>rollup count</th><th>rollup sum</th><th></th></tr>
${rollupRows.join('\n')}
</table>
<h2>Per second</h2>
<table><tr><th>second</th><th>sent</th><th>acknowledged</th><th>failed</th><th>p50 ms</th><th>p99 ms</th></tr>
${seconds.join('\n')}
</table>
</body></html>
`;
}
