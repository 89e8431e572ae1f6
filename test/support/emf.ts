// The CloudWatch embedded metric format (EMF) records Powertools writes to stdout,
// as the tests of the handlers' metrics read them back.

export interface EmfRecord {
  [metricOrDimension: string]: unknown;
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[];
  };
}

/** The first EMF record among `lines` (log lines and text that is not JSON are skipped). */
export function findEmf(lines: readonly string[]): EmfRecord | undefined {
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed === 'object' && parsed !== null && '_aws' in parsed && parsed._aws) return parsed as EmfRecord;
  }
  return undefined;
}
