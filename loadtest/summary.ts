// The human-readable end of a run: what was offered, what landed, how fast it was
// acknowledged, and whether (and how soon) the rollups showed the exact totals.
import type { LoadTestReport } from './types.ts';

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '-');

export function formatSummary(r: LoadTestReport): string {
  const o = r.options;
  const lines = [
    `sluice load test ${r.runId} (seed ${r.seed}) -> ${r.target === 'http' ? 'HTTP ingest' : 'Kinesis'} ${r.endpoint}`,
    `  offered      ${o.rate} events/s for ${o.durationSec} s: ${o.types} types, ${o.keys} keys (Zipf ${o.zipfExponent}), ~${o.payloadBytes}-byte payloads`,
    `  sent         ${r.sent}`,
    `  accepted     ${r.accepted}`,
    `  failed       ${r.failed}${r.failed ? `  (${Object.entries(r.failures).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
    `  achieved     ${r.achievedRate.toFixed(1)} events/s`,
    `  ack latency  p50 ${ms(r.latencyMs.p50)}  p95 ${ms(r.latencyMs.p95)}  p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)}`,
  ];
  const m = r.sinkMetrics;
  if (m.kinesisRecords) {
    lines.push(`  kinesis      ${m.putCalls} PutRecords calls, ${m.kinesisRecords} ${r.target === 'kinesis' ? `${o.recordFormat} ` : ''}records (${(r.accepted / m.kinesisRecords).toFixed(1)} events/record), ${m.eventsRetried ?? 0} retries, ${m.eventsThrottled ?? 0} throttled`);
  }
  const v = r.rollups;
  if (!v.checked) {
    lines.push('  rollups      not checked (--no-verify)');
  } else if (v.matched) {
    const types = Object.keys(v.expected).length;
    lines.push(`  rollups      exact totals for all ${types} types ${((v.lagMs ?? 0) / 1000).toFixed(2)} s after the last acknowledgement`);
  } else {
    lines.push(`  rollups      totals did NOT match within ${o.settleTimeoutSec} s:`);
    for (const [type, e] of Object.entries(v.expected)) {
      const got = v.observed[type];
      const flag = got && got.count === e.count && got.sum === e.sum ? 'ok' : 'MISMATCH';
      lines.push(`    ${type}: expected count ${e.count} sum ${e.sum}, rollups show count ${got?.count ?? '-'} sum ${got?.sum ?? '-'}  ${flag}`);
    }
  }
  lines.push(`  result       ${r.ok ? 'OK' : 'FAILED'}`);
  return lines.join('\n') + '\n';
}

/** One line per second while the run goes on, for stderr. */
export function progressPrinter(stream: NodeJS.WritableStream): (line: string) => void {
  return (line) => {
    stream.write(line + '\n');
  };
}
