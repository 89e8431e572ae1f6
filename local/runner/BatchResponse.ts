// How Lambda reads a Kinesis handler's result with ReportBatchItemFailures on: null,
// an empty object or an empty list is full success; a null or empty itemIdentifier,
// or one not in the batch, is full failure; otherwise processing resumes at the
// lowest reported sequence number.
import { compareSequenceNumbers } from '../../core/index.ts';

export type BatchResponseOutcome =
  | { kind: 'success' }
  | { kind: 'partial'; fromIndex: number }
  | { kind: 'failure'; reason: string };

export function interpretBatchResponse(response: unknown, sequenceNumbers: string[]): BatchResponseOutcome {
  if (response === null || response === undefined) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) return { kind: 'failure', reason: 'response is not a JSON object' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  let lowest: string | undefined;
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return { kind: 'failure', reason: 'an itemIdentifier is null or empty' };
    if (lowest === undefined || compareSequenceNumbers(id, lowest) < 0) lowest = id;
  }
  const index = sequenceNumbers.indexOf(lowest!);
  if (index < 0) return { kind: 'failure', reason: `itemIdentifier ${lowest} is not a sequence number of this batch` };
  return { kind: 'partial', fromIndex: index };
}
