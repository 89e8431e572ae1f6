// A thin layer over the RDS Data API client: one statement per call, transactions
// by id, and a hook that sees every call's name and latency (for metrics).
import { sleep } from '../core/index.ts';
import {
  BeginTransactionCommand, CommitTransactionCommand, ExecuteStatementCommand, RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import type { ExecuteStatementCommandOutput, Field, RDSDataClient, SqlParameter } from '@aws-sdk/client-rds-data';
import type { DataApiTarget } from './types.ts';
import { StatementRetriedError } from './errors.ts';

/** Called after each Data API call, whether it succeeded or not. */
export type DataApiCallObserver = (call: { operation: string; latencyMs: number; error?: unknown }) => void;

export interface ExecuteOptions {
  parameters?: SqlParameter[];
  transactionId?: string;
}

/** What `executeResult` may also ask for: column names, or the rows as JSON. */
export interface ResultOptions extends ExecuteOptions {
  includeResultMetadata?: boolean;
  formatRecordsAs?: 'JSON';
}

export class DataApiSession {
  constructor(
    readonly client: RDSDataClient,
    readonly target: DataApiTarget,
    private readonly observe?: DataApiCallObserver,
  ) {}

  /** Runs one statement; returns its rows as arrays of fields. */
  async execute(sql: string, options: ExecuteOptions = {}): Promise<Field[][]> {
    return (await this.executeResult(sql, options)).records ?? [];
  }

  /** Runs one statement; returns the whole response (records, columnMetadata, formattedRecords as asked). */
  async executeResult(sql: string, options: ResultOptions = {}): Promise<ExecuteStatementCommandOutput> {
    const out = await this.call<ExecuteStatementCommandOutput>('ExecuteStatement', () =>
      this.client.send(new ExecuteStatementCommand({
        resourceArn: this.target.resourceArn,
        secretArn: this.target.secretArn,
        database: this.target.database,
        sql,
        ...(options.parameters && options.parameters.length > 0 ? { parameters: options.parameters } : {}),
        ...(options.transactionId ? { transactionId: options.transactionId } : {}),
        ...(options.includeResultMetadata ? { includeResultMetadata: true } : {}),
        ...(options.formatRecordsAs ? { formatRecordsAs: options.formatRecordsAs } : {}),
      })),
    );
    // Inside a transaction a statement is not idempotent: if the SDK's own retry sent
    // it twice, both may have run, and only abandoning the transaction is safe.
    const attempts = out.$metadata?.attempts ?? 1;
    if (options.transactionId && attempts > 1) throw new StatementRetriedError(attempts);
    return out;
  }

  async begin(): Promise<string> {
    const out = await this.call('BeginTransaction', () =>
      this.client.send(new BeginTransactionCommand({
        resourceArn: this.target.resourceArn,
        secretArn: this.target.secretArn,
        database: this.target.database,
      })),
    );
    if (!out.transactionId) throw new Error('BeginTransaction returned no transactionId');
    return out.transactionId;
  }

  async commit(transactionId: string): Promise<void> {
    await this.call('CommitTransaction', () =>
      this.client.send(new CommitTransactionCommand({
        resourceArn: this.target.resourceArn,
        secretArn: this.target.secretArn,
        transactionId,
      })),
    );
  }

  /**
   * Rolls `transactionId` back so its locks are released, retrying while a statement
   * of it is still running (a call that timed out keeps running on the server) until
   * `deadline` (epoch ms). Resolves either way: a transaction that is already gone
   * (committed, or dropped by the Data API) has nothing left to release.
   */
  async release(transactionId: string, deadline = Date.now() + 5_000): Promise<boolean> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        await this.call('RollbackTransaction', () =>
          this.client.send(new RollbackTransactionCommand({
            resourceArn: this.target.resourceArn,
            secretArn: this.target.secretArn,
            transactionId,
          })),
        );
        return true;
      } catch (err) {
        const e = err as { name?: string; message?: string };
        if (e.name === 'TransactionNotFoundException') return true;
        const busy = e.name === 'DatabaseErrorException' && /still running/i.test(e.message ?? '');
        const retryable = busy || e.name === 'DatabaseResumingException' || e.name === 'ServiceUnavailableError'
          || e.name === 'InternalServerErrorException' || (err as { code?: string }).code === 'ECONNRESET';
        if (!retryable || Date.now() + delay > deadline) return false;
        await sleep(delay);
      }
    }
  }

  /**
   * Runs `fn` inside a transaction and commits. On any failure, the commit's included,
   * the transaction is released (rolled back, waiting out a statement still running)
   * before the error is rethrown, so a retry never waits on our own locks.
   */
  async transaction<T>(fn: (transactionId: string) => Promise<T>, options: { releaseDeadline?: number } = {}): Promise<T> {
    const tx = await this.begin();
    try {
      const result = await fn(tx);
      await this.commit(tx);
      return result;
    } catch (err) {
      await this.release(tx, options.releaseDeadline);
      throw err;
    }
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const out = await fn();
      this.observe?.({ operation, latencyMs: performance.now() - started });
      return out;
    } catch (error) {
      this.observe?.({ operation, latencyMs: performance.now() - started, error });
      throw error;
    }
  }
}
