// Sorts Data API failures into what to do about them. Infrastructure trouble is
// retried (the stream keeps the data meanwhile), never quarantined; a write whose
// outcome is unknown is only retried as a whole transaction that re-reads the
// checkpoints first, which is what makes the retry safe.
import { StatementRetriedError } from '../../schema/index.ts';

export type DataApiFailureKind =
  /** The database is waking up or shedding load: back off, then retry. */
  | 'transient'
  /** The call timed out or the connection dropped: it may have committed. */
  | 'outcome-unknown'
  /** A bug or a misconfiguration: retrying will not help within this invocation. */
  | 'permanent';

const TRANSIENT_NAMES = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  // the Data API dropped our transaction (idle or rolled back): start it again
  'TransactionNotFoundException',
]);

const TRANSACTION_NOT_FOUND = /^Transaction \S+ is not found$/;

const OUTCOME_UNKNOWN_NAMES = new Set(['StatementTimeoutException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** PostgreSQL states worth a retry: serialization failure, deadlock, lock timeout, too many connections. */
const TRANSIENT_SQLSTATES = /\b(40001|40P01|55P03|53300|57P01)\b|deadlock detected|could not serialize|still running a query/i;

export function classifyDataApiError(err: unknown): DataApiFailureKind {
  if (err instanceof StatementRetriedError) return 'outcome-unknown';
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? '';
  if (TRANSIENT_NAMES.has(name)) return 'transient';
  // The Data API's answer for a transaction it no longer has: rolled back for being
  // idle, or ended by PostgreSQL (the aggregator's idle_in_transaction_session_timeout).
  // Nothing of it committed: start it again.
  if (name === 'BadRequestException' && TRANSACTION_NOT_FOUND.test(e.message ?? '')) return 'transient';
  if (OUTCOME_UNKNOWN_NAMES.has(name)) return 'outcome-unknown';
  if (e?.code && NETWORK_CODES.has(e.code)) return 'outcome-unknown';
  if (name === 'DatabaseErrorException' && TRANSIENT_SQLSTATES.test(e.message ?? '')) return 'transient';
  const status = e?.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500 && status !== 501)) return 'transient';
  return 'permanent';
}
