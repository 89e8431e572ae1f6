// A load test's report as one self-contained HTML page: the verdict and its reasons,
// the summary, inline SVG charts of throughput, latency percentiles, lag and database
// work over time, the rollup check, the cost, and the raw per-second table. No
// script, stylesheet or font is fetched from anywhere.
import { describeCrash } from './StackControlClient.ts';
import { comparisonRows } from './summary.ts';
import { chartSvg, escapeXml, type Series } from './svgChart.ts';
import type { SecondSample } from './Timeline.ts';
import type { LoadTestReport } from './types.ts';

const fmt = (v: number | null | undefined, digits = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-');

/** Per-second rate of a running total that starts at 0 (NaN where it was not read; a gap's growth spread over it). */
function perSecond(samples: SecondSample[], pick: (s: SecondSample) => number | undefined): number[] {
  let prev = 0;
  let prevSecond = -1;
  return samples.map((s) => {
    const v = pick(s);
    if (v === undefined) return Number.NaN;
    const rate = Math.max(0, v - prev) / (s.second - prevSecond);
    prev = v;
    prevSecond = s.second;
    return rate;
  });
}

export function reportCharts(t: SecondSample[]): string[] {
  const v = (pick: (s: SecondSample) => number | undefined) => t.map((s) => pick(s) ?? Number.NaN);
  const series = (label: string, color: string, values: number[]): Series => ({ label, color, values });
  return [
    chartSvg('throughput', 'events per second', '/s', [
      series('offered', '#7f7f7f', v((s) => s.offered)),
      series('sent', '#1f77b4', v((s) => s.sent)),
      series('accepted', '#2ca02c', v((s) => s.acked)),
      series('aggregated', '#ff7f0e', perSecond(t, (s) => s.aggregated)),
    ]),
    chartSvg('latency', 'ack latency from the intended send time', 'ms', [
      series('p50', '#9467bd', v((s) => s.latencyP50Ms)),
      series('p90', '#8c564b', v((s) => s.latencyP90Ms)),
      series('p99', '#d62728', v((s) => s.latencyP99Ms)),
    ]),
    chartSvg('lag', 'backlog in the stream (accepted, not yet in the rollups)', 'events', [
      series('backlog', '#17becf', v((s) => s.backlog)),
    ]),
    chartSvg('lag-age', 'age of the oldest event not yet in the rollups', 'ms', [
      series('lag', '#bcbd22', v((s) => s.lagMs)),
    ]),
    chartSvg('db', 'database work per second', '/s', [
      series('Data API calls', '#1f77b4', perSecond(t, (s) => s.dataApiCalls)),
      series('tuple writes', '#e377c2', perSecond(t, (s) => s.tupleWrites)),
    ]),
  ];
}

export function renderHtmlReport(r: LoadTestReport): string {
  const e = escapeXml;
  const row = (k: string, v: string) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`;
  const o = r.options;
  const lat = (l: LoadTestReport['latency']['ack']) => `p50 ${fmt(l.p50)} ms, p90 ${fmt(l.p90)} ms, p99 ${fmt(l.p99)} ms, p99.9 ${fmt(l.p999)} ms, max ${fmt(l.max)} ms (${l.count} samples)`;
  const rollupRows = Object.entries(r.rollups.expected).map(([type, exp]) => {
    const got = r.rollups.observed[type];
    const ok = !!got && got.count === exp.count && got.sum === exp.sum;
    return `<tr class="${ok ? 'ok' : 'bad'}"><td>${e(type)}</td><td>${exp.count}</td><td>${exp.sum}</td><td>${got?.count ?? '-'}</td><td>${got?.sum ?? '-'}</td><td>${ok ? 'exact' : 'mismatch'}</td></tr>`;
  });
  const groupRows = r.rollups.groups.map((d) => `<tr class="bad"><td>${e(d.scope.rollup ?? '')}</td><td>${e(d.scope.type)}</td><td>${e(JSON.stringify(d.scope.group ?? {}))}</td><td>${d.expected.count}</td><td>${d.observed.count}</td><td>${d.lost}</td><td>${d.duplicated}</td></tr>`);
  const seconds = r.timeline.map((s) => `<tr><td>${s.second}</td><td>${s.offered}</td><td>${s.sent}</td><td>${s.shortfall}</td><td>${s.acked}</td><td>${s.failed}</td><td>${fmt(s.latencyP50Ms)}</td><td>${fmt(s.latencyP99Ms)}</td><td>${s.aggregated ?? '-'}</td><td>${s.backlog ?? '-'}</td><td>${e(s.fault ?? '')}</td></tr>`);
  const verdict = !r.rollups.checked ? 'not checked' : r.rollups.matched ? `exact after ${fmt((r.rollups.lagMs ?? 0) / 1000, 2)} s` : `lost ${r.lost}, duplicated ${r.duplicated}`;
  const costRows = r.cost ? Object.entries(r.cost.items).map(([k, v]) => row(k, `$${v.toFixed(4)}`)).join('\n') : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice load test ${e(r.runId)}</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222;max-width:960px}
table{border-collapse:collapse;margin:1em 0}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
th{font-weight:600}.ok td:last-child{color:#2a7a2a}.bad td{color:#b00020}
.verdict{font-size:1.2em;font-weight:600;color:${r.ok ? '#2a7a2a' : '#b00020'}}
</style></head><body>
<h1>sluice load test ${e(r.runId)}</h1>
<p class="verdict">${r.ok ? 'OK' : 'FAILED'}</p>
${r.problems.length ? `<ul class="problems">${r.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul>` : ''}
<table>
${row('started', r.startedAt)}
${row('target', `${r.target} ${r.endpoint}`)}
${row('schedule', `${r.schedule}, ${o.types} types, ${o.keys} keys (Zipf ${o.zipfExponent}), ~${o.payloadBytes}-byte payloads, seed ${r.seed}`)}
${row('offered / sent / shortfall', `${r.offered} / ${r.sent} / ${r.shortfall}`)}
${row('accepted / failed', `${r.accepted} / ${r.failed}`)}
${row('achieved', `${fmt(r.achievedEventsPerSec)} events/s`)}
${row('ack latency', lat(r.latency.ack))}
${row('end-to-end latency', lat(r.latency.e2e))}
${row('rollups', verdict)}
${row('Data API calls per 10,000 events', fmt(r.db.statementsPer10kEvents))}
${row('tuple writes per 10,000 events', fmt(r.db.tupleWritesPer10kEvents))}
${row('most concurrent transactions', String(r.db.maxConcurrentTransactions))}
${row('poison records sent / quarantined', `${r.poison.sent} / ${r.poison.quarantined ?? '-'}`)}
${r.chaos.map((c) => row(`chaos ${c.kind}`, `at ${fmt(c.firedAtSec)} s${c.durationSec ? ` for ${c.durationSec} s` : ''}${c.crash ? `: ${describeCrash(c.crash)}` : ''}${c.error ? `: ${c.error}` : ''}`)).join('\n')}
${row('cost per million events', r.costPerMillionEventsUsd === null ? 'not estimated' : `$${r.costPerMillionEventsUsd.toFixed(4)} (${r.cost?.prices.region} prices as of ${r.cost?.prices.asOf})`)}
${Object.entries(r.failures).map(([k, n]) => row(`failed: ${k}`, String(n))).join('\n')}
</table>
<h2>Over time</h2>
${reportCharts(r.timeline).join('\n')}
${r.naive ? naiveSection(r, r.naive) : ''}
<h2>Rollups per type</h2>
<table><tr><th>type</th><th>expected count</th><th>expected sum</th><th>rollup count</th><th>rollup sum</th><th></th></tr>
${rollupRows.join('\n')}
</table>
${groupRows.length ? `<h2>Groups that differ (of ${r.rollups.groupsChecked} checked)</h2><table><tr><th>rollup</th><th>type</th><th>group</th><th>expected</th><th>observed</th><th>lost</th><th>duplicated</th></tr>${groupRows.join('\n')}</table>` : ''}
${r.cost ? `<h2>Cost per million events</h2><table>${costRows}</table><ul>${r.cost.assumptions.map((a) => `<li>${e(a)}</li>`).join('')}</ul>` : ''}
<h2>Per second</h2>
<table><tr><th>second</th><th>offered</th><th>sent</th><th>shortfall</th><th>accepted</th><th>failed</th><th>p50 ms</th><th>p99 ms</th><th>aggregated</th><th>backlog</th><th>fault</th></tr>
${seconds.join('\n')}
</table>
</body></html>
`;
}

/** The naive baseline beside sluice: the comparison table and both throughputs on one chart. */
function naiveSection(r: LoadTestReport, n: LoadTestReport): string {
  const rows = comparisonRows(r, n).map(([k, sv, nv]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(sv)}</td><td>${escapeXml(nv)}</td></tr>`);
  const len = Math.max(r.timeline.length, n.timeline.length);
  const pad = (t: SecondSample[], pick: (s: SecondSample) => number) => Array.from({ length: len }, (_, i) => (t[i] ? pick(t[i]!) : Number.NaN));
  return `<h2>Compared with the naive baseline</h2>
<p>The same schedule and events, sent with one PutRecord per event and written with one INSERT per event through the same Data API and database.</p>
<table><tr><th></th><th>sluice</th><th>naive</th></tr>${rows.join('')}</table>
${chartSvg('naive', 'accepted events per second: sluice and the naive baseline', '/s', [
    { label: 'sluice', color: '#2ca02c', values: pad(r.timeline, (s) => s.acked) },
    { label: 'naive', color: '#d62728', values: pad(n.timeline, (s) => s.acked) },
  ])}
${chartSvg('naive-db', 'Data API calls per second: sluice and the naive baseline', '/s', [
    { label: 'sluice', color: '#2ca02c', values: perSecond(r.timeline, (s) => s.dataApiCalls) },
    { label: 'naive', color: '#d62728', values: perSecond(n.timeline, (s) => s.dataApiCalls) },
  ])}`;
}
