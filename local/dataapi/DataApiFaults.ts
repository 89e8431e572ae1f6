// Faults a test can inject into the local Data API, in process (`server.faults`) or
// over HTTP when the server was started with `faultInjection: true`:
//
//   POST   /_sluice/faults  {"kind":"fail","count":2,"error":"DatabaseErrorException","operations":["ExecuteStatement"],"message":"..."}
//          {"kind":"delay","count":1,"operations":["BatchExecuteStatement"],"delayMs":300}
//          {"kind":"dropResponse","count":1,"operations":["CommitTransaction"],"mode":"hangup"|"error"}
//          {"kind":"resuming","durationMs":2000}
//   DELETE /_sluice/faults  clears every pending fault
//   GET    /_sluice/faults  lists what is pending
//
// fail          the next `count` calls (of `operations`, default any) fail with the
//               named exception before touching the database.
// delay         the next `count` statements are held `delayMs` (default: the
//               statement timeout + 100 ms) before they run. Past the timeout the
//               caller gets StatementTimeoutException while the statement still runs
//               and, outside a transaction, commits, as a slow write does on Aurora;
//               meanwhile its transaction is busy (a second call is refused).
// dropResponse  the next `count` calls that commit (CommitTransaction, or an
//               ExecuteStatement/BatchExecuteStatement outside a transaction) commit,
//               then the connection is destroyed without a response ("hangup",
//               default) or answered with InternalServerErrorException ("error").
// resuming      for `durationMs`, every call fails with DatabaseResumingException.
import { DataApiError, isDataApiErrorName, type DataApiErrorName } from './errors.ts';

export type DataApiOperation = 'ExecuteStatement' | 'BatchExecuteStatement' | 'BeginTransaction' | 'CommitTransaction' | 'RollbackTransaction';
export const DATA_API_OPERATIONS: readonly DataApiOperation[] = ['ExecuteStatement', 'BatchExecuteStatement', 'BeginTransaction', 'CommitTransaction', 'RollbackTransaction'];

export type DropMode = 'hangup' | 'error';

export type FaultSpec =
  | { kind: 'fail'; count?: number; error: DataApiErrorName; operations?: DataApiOperation[]; message?: string }
  | { kind: 'delay'; count?: number; operations?: DataApiOperation[]; delayMs?: number }
  | { kind: 'dropResponse'; count?: number; operations?: DataApiOperation[]; mode?: DropMode }
  | { kind: 'resuming'; durationMs: number };

interface Pending<T> { operations: readonly DataApiOperation[] | undefined; value: T }

export class DataApiFaults {
  private failures: Pending<{ error: DataApiErrorName; message: string }>[] = [];
  private delays: Pending<{ delayMs: number | undefined }>[] = [];
  private drops: Pending<{ mode: DropMode }>[] = [];
  private resumingUntil = 0;

  /** The next `count` calls (of `operations`, default any) fail with `error`. */
  failNext(count: number, error: DataApiErrorName, opts: { operations?: DataApiOperation[]; message?: string } = {}): void {
    const message = opts.message ?? `${error} (injected by the local Data API)`;
    for (let i = 0; i < count; i++) this.failures.push({ operations: opts.operations, value: { error, message } });
  }

  /** The next `count` statements are held `delayMs` (default: past their timeout), then still run. */
  delayNext(count = 1, opts: { operations?: DataApiOperation[]; delayMs?: number } = {}): void {
    for (let i = 0; i < count; i++) this.delays.push({ operations: opts.operations, value: { delayMs: opts.delayMs } });
  }

  /** The next `count` committing calls commit, then lose their response. */
  dropResponseAfterCommit(count = 1, opts: { operations?: DataApiOperation[]; mode?: DropMode } = {}): void {
    for (let i = 0; i < count; i++) this.drops.push({ operations: opts.operations, value: { mode: opts.mode ?? 'hangup' } });
  }

  /** Every call fails with DatabaseResumingException for the next `durationMs`. */
  resumingFor(durationMs: number): void {
    this.resumingUntil = Date.now() + durationMs;
  }

  clear(): void {
    this.failures = [];
    this.delays = [];
    this.drops = [];
    this.resumingUntil = 0;
  }

  /** Applies a JSON fault description (the admin API's body). */
  apply(spec: unknown): void {
    const s = spec as Record<string, unknown>;
    if (!s || typeof s !== 'object') throw new DataApiError('BadRequestException', 'fault must be a JSON object');
    const count = s.count === undefined ? 1 : Number(s.count);
    if (!Number.isInteger(count) || count < 1) throw new DataApiError('BadRequestException', 'fault count must be a positive integer');
    const operations = s.operations === undefined ? undefined : s.operations;
    if (operations !== undefined && (!Array.isArray(operations) || operations.some((o) => !DATA_API_OPERATIONS.includes(o as DataApiOperation)))) {
      throw new DataApiError('BadRequestException', `fault operations must be a list of ${DATA_API_OPERATIONS.join(', ')}`);
    }
    const ops = operations as DataApiOperation[] | undefined;
    switch (s.kind) {
      case 'fail':
        if (typeof s.error !== 'string' || !isDataApiErrorName(s.error)) throw new DataApiError('BadRequestException', `fault error must name an rds-data exception, got ${String(s.error)}`);
        this.failNext(count, s.error, { ...(ops ? { operations: ops } : {}), ...(typeof s.message === 'string' ? { message: s.message } : {}) });
        return;
      case 'delay':
        this.delayNext(count, { ...(ops ? { operations: ops } : {}), ...(s.delayMs !== undefined ? { delayMs: Number(s.delayMs) } : {}) });
        return;
      case 'dropResponse':
        if (s.mode !== undefined && s.mode !== 'hangup' && s.mode !== 'error') throw new DataApiError('BadRequestException', 'dropResponse mode must be hangup or error');
        this.dropResponseAfterCommit(count, { ...(ops ? { operations: ops } : {}), ...(s.mode ? { mode: s.mode as DropMode } : {}) });
        return;
      case 'resuming': {
        const ms = Number(s.durationMs);
        if (!Number.isFinite(ms) || ms <= 0) throw new DataApiError('BadRequestException', 'resuming needs a positive durationMs');
        this.resumingFor(ms);
        return;
      }
      default:
        throw new DataApiError('BadRequestException', `unknown fault kind ${String(s.kind)}: expected fail, delay, dropResponse or resuming`);
    }
  }

  pending(): { failures: number; delays: number; drops: number; resumingForMs: number } {
    return { failures: this.failures.length, delays: this.delays.length, drops: this.drops.length, resumingForMs: Math.max(0, this.resumingUntil - Date.now()) };
  }

  /** The error this call must fail with, if any (resuming first, then queued failures). */
  takeFailure(op: DataApiOperation): DataApiError | undefined {
    if (Date.now() < this.resumingUntil) {
      return new DataApiError('DatabaseResumingException', 'The Aurora DB instance is resuming after being auto-paused. Please wait a few seconds and try again.');
    }
    const f = take(this.failures, op);
    return f ? new DataApiError(f.error, f.message) : undefined;
  }

  /** Whether this call's statement is held past its timeout, and for how long (undefined = default). */
  takeDelay(op: DataApiOperation): { delayMs: number | undefined } | undefined {
    return take(this.delays, op);
  }

  /** Whether this committing call loses its response. */
  takeDrop(op: DataApiOperation): { mode: DropMode } | undefined {
    return take(this.drops, op);
  }
}

function take<T>(list: Pending<T>[], op: DataApiOperation): T | undefined {
  const i = list.findIndex((p) => !p.operations || p.operations.includes(op));
  if (i < 0) return undefined;
  return list.splice(i, 1)[0]!.value;
}
