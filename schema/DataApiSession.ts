// A thin layer over the RDS Data API client: one statement per call, transactions
// by id, and a hook that sees every call's name and latency (for metrics).
import {
  BeginTransactionCommand, CommitTransactionCommand, ExecuteStatementCommand, RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import type { ExecuteStatementCommandOutput, Field, RDSDataClient, SqlParameter } from '@aws-sdk/client-rds-data';
import type { DataApiTarget } from './types.ts';

/** Called after each Data API call, whether it succeeded or not. */
export type DataApiCallObserver = (call: { operation: string; latencyMs: number; error?: unknown }) => void;

export interface ExecuteOptions {
  parameters?: SqlParameter[];
  transactionId?: string;
}

export class DataApiSession {
  constructor(
    readonly client: RDSDataClient,
    readonly target: DataApiTarget,
    private readonly observe?: DataApiCallObserver,
  ) {}

  /** Runs one statement; returns its rows as arrays of fields. */
  async execute(sql: string, options: ExecuteOptions = {}): Promise<Field[][]> {
    const out = await this.call<ExecuteStatementCommandOutput>('ExecuteStatement', () =>
      this.client.send(new ExecuteStatementCommand({
        resourceArn: this.target.resourceArn,
        secretArn: this.target.secretArn,
        database: this.target.database,
        sql,
        ...(options.parameters && options.parameters.length > 0 ? { parameters: options.parameters } : {}),
        ...(options.transactionId ? { transactionId: options.transactionId } : {}),
      })),
    );
    return out.records ?? [];
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

  /** Rolls back; a failure is swallowed because the transaction may already be gone. */
  async rollbackQuietly(transactionId: string): Promise<void> {
    try {
      await this.call('RollbackTransaction', () =>
        this.client.send(new RollbackTransactionCommand({
          resourceArn: this.target.resourceArn,
          secretArn: this.target.secretArn,
          transactionId,
        })),
      );
    } catch {
      // The Data API drops idle transactions by itself; nothing is left to undo.
    }
  }

  /** Runs `fn` inside a transaction: commit on success, rollback on error. */
  async transaction<T>(fn: (transactionId: string) => Promise<T>): Promise<T> {
    const tx = await this.begin();
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      await this.rollbackQuietly(tx);
      throw err;
    }
    await this.commit(tx);
    return result;
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
