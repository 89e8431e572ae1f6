// The human-readable end of a run: what was offered and sent (and what fell short),
// what landed, how fast from each event's intended send time, what the database did,
// whether the rollups showed the exact totals (lost and double-counted apart), the
// cost, and why the run is not OK when it is not.
import type { LatencySummary } from './LatencyHistogram.ts';
import { describeCrash } from './StackControlClient.ts';
import type { LoadTestReport } from './types.ts';

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '-');
const num = (v: number | null, digits = 1) => (v === null ? 'not measured' : v.toFixed(digits));
const lat = (l: LatencySummary) => `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`;

export function formatSummary(r: LoadTestReport): string {
  const o = r.options;
  const lines = [
    `sluice load test ${r.runId} (seed ${r.seed}) -> ${r.target === 'http' ? 'HTTP ingest' : 'Kinesis'} ${r.endpoint}`,
    `  schedule     ${r.schedule}: ${o.types} types, ${o.keys} keys (Zipf ${o.zipfExponent}), ~${o.payloadBytes}-byte payloads`,
    `  offered      ${r.offered}`,
    `  sent         ${r.sent}`,
    `  shortfall    ${r.shortfall}${r.shortfall ? '  (offered but never sent)' : ''}`,
    `  accepted     ${r.accepted}`,
    `  failed       ${r.failed}${r.failed ? `  (${Object.entries(r.failures).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
    `  achieved     ${r.achievedEventsPerSec.toFixed(1)} events/s`,
    `  ack latency  ${lat(r.latency.ack)}`,
    `  e2e latency  ${r.latency.e2e.count ? lat(r.latency.e2e) : 'not measured'}`,
  ];
  const m = r.sinkMetrics;
  if (m.kinesisRecords) {
    lines.push(`  kinesis      ${m.putCalls} PutRecords calls, ${m.kinesisRecords} ${r.target === 'kinesis' ? `${o.recordFormat} ` : ''}records (${(r.accepted / m.kinesisRecords).toFixed(1)} events/record), ${m.eventsRetried ?? 0} retries, ${m.eventsThrottled ?? 0} throttled`);
  }
  lines.push(`  database     ${num(r.db.statementsPer10kEvents)} Data API calls and ${num(r.db.tupleWritesPer10kEvents)} tuple writes per 10,000 events (${num(r.db.eventsPerStatement)} events/call), at most ${r.db.maxConcurrentTransactions} transactions open`);
  if (r.poison.sent) lines.push(`  poison       ${r.poison.sent} malformed records sent, ${r.poison.quarantined ?? '-'} in the quarantine`);
  for (const c of r.chaos) lines.push(`  chaos        ${c.kind} at ${c.firedAtSec === null ? '-' : `${c.firedAtSec.toFixed(1)} s`}${c.durationSec ? ` for ${c.durationSec} s` : ''}${c.crash ? `: ${describeCrash(c.crash)}` : ''}${c.error ? `: ${c.error}` : ''}`);
  const v = r.rollups;
  if (!v.checked) {
    lines.push('  rollups      not checked (--no-verify)');
  } else if (v.matched) {
    const types = Object.keys(v.expected).length;
    lines.push(`  rollups      exact totals for all ${types} types${v.groupsChecked ? ` and ${v.groupsChecked} groups` : ''} ${((v.lagMs ?? 0) / 1000).toFixed(2)} s after the last acknowledgement`);
  } else {
    lines.push(`  rollups      lost ${v.lost}, duplicated ${v.duplicated}:`);
    for (const d of [...v.perType, ...v.groups]) {
      const scope = d.scope.rollup ? `${d.scope.type} in ${d.scope.rollup} ${JSON.stringify(d.scope.group)}` : d.scope.type;
      lines.push(`    ${scope}: expected count ${d.expected.count} sum ${d.expected.sum}, rollups show count ${d.observed.count} sum ${d.observed.sum}  ${d.lost ? `LOST ${d.lost}` : d.duplicated ? `DUPLICATED ${d.duplicated}` : 'SUM MISMATCH'}`);
    }
  }
  lines.push(`  cost         ${r.costPerMillionEventsUsd === null ? 'not estimated' : `$${r.costPerMillionEventsUsd.toFixed(4)} per million events (${r.cost!.prices.region} prices as of ${r.cost!.prices.asOf}, see the report for assumptions)`}`);
  for (const p of r.problems) lines.push(`  problem      ${p}`);
  if (r.naive) lines.push(...comparison(r, r.naive));
  lines.push(`  result       ${r.ok ? 'OK' : 'FAILED'}`);
  return lines.join('\n') + '\n';
}

/** sluice and the naive baseline side by side: [what, sluice, naive] per row. */
export function comparisonRows(s: LoadTestReport, n: LoadTestReport): Array<[string, string, string]> {
  const f = (v: number | null, d = 1) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(d));
  const rows: Array<[string, (r: LoadTestReport) => string]> = [
    ['accepted events/s', (r) => f(r.achievedEventsPerSec)],
    ['shortfall / failed', (r) => `${r.shortfall} / ${r.failed}`],
    ['lost / duplicated', (r) => `${r.lost} / ${r.duplicated}`],
    ['ack p50 / p99 ms', (r) => `${f(r.latency.ack.p50)} / ${f(r.latency.ack.p99)}`],
    ['e2e p50 / p99 ms', (r) => `${f(r.latency.e2e.p50)} / ${f(r.latency.e2e.p99)}`],
    ['Data API calls / 10k events', (r) => f(r.db.statementsPer10kEvents)],
    ['tuple writes / 10k events', (r) => f(r.db.tupleWritesPer10kEvents)],
    ['cost per million events', (r) => (r.costPerMillionEventsUsd === null ? '-' : `$${r.costPerMillionEventsUsd.toFixed(4)}`)],
  ];
  return rows.map(([k, v]) => [k, v(s), v(n)]);
}

function comparison(s: LoadTestReport, n: LoadTestReport): string[] {
  return [
    `  compared with the naive baseline (one PutRecord and one INSERT per event), same schedule:`,
    `    ${''.padEnd(30)}${'sluice'.padEnd(20)}naive`,
    ...comparisonRows(s, n).map(([k, a, b]) => `    ${k.padEnd(30)}${a.padEnd(20)}${b}`),
  ];
}

/** One line per second while the run goes on, for stderr. */
export function progressPrinter(stream: NodeJS.WritableStream): (line: string) => void {
  return (line) => {
    stream.write(line + '\n');
  };
}
