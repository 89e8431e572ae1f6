// Test vectors CI provides beside the repository in ../shared/ (the only place outside
// the repository a test reads), found from this file rather than the working directory.
import { readFileSync } from 'node:fs';

/** One case of ../shared/vectors/kpl-aggregated-records.json (made by aws-kinesis-agg). */
export interface KplVectorCase {
  name: string;
  outerPartitionKey: string;
  aggregated: string;
  userRecords: { subSequenceNumber: number; partitionKey: string; explicitHashKey: string | null; data: string }[] | null;
}

export function kplVectors(): KplVectorCase[] {
  const url = new URL('../../../shared/vectors/kpl-aggregated-records.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: KplVectorCase[] }).cases;
}
