// The local RDS Data API: an HTTP server speaking the REST-JSON protocol of
// @aws-sdk/client-rds-data (POST /Execute, /BatchExecute, /BeginTransaction,
// /CommitTransaction, /RollbackTransaction), errors named by x-amzn-errortype as the
// SDK expects, the 4 MiB request limit, and, for tests, a fault admin API.
import http from 'node:http';
import type net from 'node:net';
import { DATA_API, answerClientErrors, listenOnLoopback } from '../../core/index.ts';
import type { SqlDatabase } from '../database/index.ts';
import { DataApiError } from './errors.ts';
import { DataApiFaults, type DataApiOperation } from './DataApiFaults.ts';
import { DataApiService } from './DataApiService.ts';
import { TypeCatalog } from './TypeCatalog.ts';

export interface DataApiServerOptions {
  database: SqlDatabase;
  /** Port on 127.0.0.1; 0 picks a free one. Default 0. */
  port?: number;
  /** The cluster ARN every call must name. */
  resourceArn: string;
  /** The secret ARN every call must name. */
  secretArn: string;
  /** The database calls may name (omitted means this one). */
  databaseName: string;
  /** Serve the fault admin API at /_sluice/faults. Default false. */
  faultInjection?: boolean;
  /** Statement timeout. Default 45 000 ms, as on Aurora. */
  statementTimeoutMs?: number;
  /** Idle time after which an open transaction is rolled back. Default 3 minutes. */
  transactionIdleTimeoutMs?: number;
}

const ROUTES: Record<string, DataApiOperation> = {
  '/Execute': 'ExecuteStatement',
  '/BatchExecute': 'BatchExecuteStatement',
  '/BeginTransaction': 'BeginTransaction',
  '/CommitTransaction': 'CommitTransaction',
  '/RollbackTransaction': 'RollbackTransaction',
};

export const FAULTS_PATH = '/_sluice/faults';
/** GET: calls per operation, transactions open now and at most (transactionCounts), for the load test. */
export const STATS_PATH = '/_sluice/stats';

export interface DataApiStats {
  calls: Record<DataApiOperation, number>;
  openTransactions: number;
  maxOpenTransactions: number;
}

export class DataApiServer {
  /** In-process fault control (see DataApiFaults for the kinds). */
  readonly faults = new DataApiFaults();
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private service!: DataApiService;
  port = 0;

  private constructor(private readonly options: DataApiServerOptions) {
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((err) => this.sendError(res, new DataApiError('InternalServerErrorException', String(err))));
    });
    answerClientErrors(this.server, (_status, message) => ({
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' },
      body: { message },
    }));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(options: DataApiServerOptions): Promise<DataApiServer> {
    const server = new DataApiServer(options);
    const catalog = await TypeCatalog.load(options.database);
    server.service = new DataApiService({
      database: options.database,
      catalog,
      faults: server.faults,
      resourceArn: options.resourceArn,
      secretArn: options.secretArn,
      databaseName: options.databaseName,
      statementTimeoutMs: options.statementTimeoutMs ?? DATA_API.statementTimeoutMs,
      transactionIdleTimeoutMs: options.transactionIdleTimeoutMs ?? DATA_API.transactionIdleTimeoutMs,
    });
    server.port = await listenOnLoopback(server.server, options.port);
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Transactions currently open (not committed, rolled back or expired). */
  get openTransactions(): number {
    return this.service.openTransactions;
  }

  /**
   * Transactions open now, the most open at once since start or the last
   * `resetTransactionPeak()` (what a cap on database writers must bound), and how
   * many were begun.
   */
  get transactionCounts(): { open: number; peakOpen: number; begun: number } {
    return this.service.transactionCounts;
  }

  resetTransactionPeak(): void {
    this.service.resetTransactionPeak();
  }

  /** What the server has done since start. */
  stats(): DataApiStats {
    const t = this.service.transactionCounts;
    return { calls: { ...this.service.calls }, openTransactions: t.open, maxOpenTransactions: t.peakOpen };
  }

  /** Stops serving and rolls back open transactions; the database stays open (its owner closes it). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    await this.service.close();
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = await readBody(req);
    if (this.options.faultInjection && path === FAULTS_PATH) {
      this.serveFaults(req.method ?? 'GET', body, res);
      return;
    }
    if (path === STATS_PATH && req.method === 'GET') {
      sendJson(res, 200, this.stats());
      return;
    }
    const op = ROUTES[path];
    if (req.method !== 'POST' || !op) {
      this.sendError(res, new DataApiError('NotFoundException', `Unknown operation ${req.method} ${path}`));
      return;
    }
    if (body === undefined) {
      this.sendError(res, new DataApiError('BadRequestException', `Request size exceeded: a Data API request may be at most ${DATA_API.maxRequestBytes} bytes including headers`));
      return;
    }
    let request: unknown;
    try {
      request = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      this.sendError(res, new DataApiError('BadRequestException', 'The request body is not valid JSON'));
      return;
    }
    try {
      const out = await this.service.call(op, request);
      if ('drop' in out) {
        if (out.drop === 'error') this.sendError(res, new DataApiError('InternalServerErrorException', 'The response was lost after the commit (injected)'));
        else res.socket?.destroy();
        return;
      }
      sendJson(res, 200, out.body);
    } catch (err) {
      this.sendError(res, err instanceof DataApiError ? err : new DataApiError('InternalServerErrorException', err instanceof Error ? err.message : String(err)));
    }
  }

  private serveFaults(method: string, body: Buffer | undefined, res: http.ServerResponse): void {
    try {
      if (method === 'DELETE') this.faults.clear();
      else if (method === 'POST') this.faults.apply(JSON.parse(body?.toString('utf8') || 'null'));
      else if (method !== 'GET') throw new DataApiError('BadRequestException', `${method} is not supported on ${FAULTS_PATH}`);
      sendJson(res, 200, this.faults.pending());
    } catch (err) {
      this.sendError(res, err instanceof DataApiError ? err : new DataApiError('BadRequestException', `Invalid fault: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private sendError(res: http.ServerResponse, err: DataApiError): void {
    if (res.headersSent || res.destroyed) return;
    res.setHeader('x-amzn-errortype', err.code);
    sendJson(res, err.status, err.body());
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', text.length);
  res.setHeader('x-amzn-requestid', crypto.randomUUID());
  res.end(text);
}

/** The body, or undefined when request line, headers and body exceed the 4 MiB limit. */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  let size = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  for (let i = 0; i < req.rawHeaders.length; i += 2) size += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length + 4;
  const chunks: Buffer[] = [];
  let tooBig = false;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > DATA_API.maxRequestBytes) tooBig = true;
    if (!tooBig) chunks.push(c as Buffer);
  }
  return tooBig ? undefined : Buffer.concat(chunks);
}
