// The local stack's control API (SLUICE_CONTROL_URL), served by the process that
// supervises the parts, for tools in other processes (the load test): which
// processes run, the consumer-crash fault (only with faults on), and starting the
// naive baseline's consumer as a part of the stack. On 127.0.0.1 only.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { STACK_CONTROL_PATHS as CONTROL_PATHS, type ConsumerCrashReport, type CrashMoment } from '../core/index.ts';

/** A part as GET /_sluice/parts lists it. */
export interface PartStatus {
  name: string;
  pid: number;
  running: boolean;
  /** Times its process died and was started again (consumers only are restarted). */
  restarts: number;
  consumer: boolean;
}

export interface StackControlActions {
  parts(): PartStatus[];
  /** Kills a consumer's process mid-batch and waits for its restart; undefined when faults are off. */
  crashConsumer?: (consumer: string, moment: CrashMoment, deadlineMs: number) => Promise<ConsumerCrashReport>;
  /** Starts the naive baseline's consumer (once) and says where it reads and writes. */
  startNaiveBaseline(): Promise<{ pid: number; stream: string; table: string }>;
}

const FAULTS_OFF = 'fault injection is off: start the stack with `sluice dev --faults`';

/** Without a batch to hit, a crash comes after this long anyway. */
const DEFAULT_CRASH_DEADLINE_MS = 10_000;

export class StackControl {
  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(actions: StackControlActions): Promise<StackControl> {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        const answer = (status: number, value: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        route(actions, req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost').pathname, body).then(
          ([status, value]) => answer(status, value),
          (err: unknown) => answer(500, { error: err instanceof Error ? err.message : String(err) }),
        );
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    return new StackControl(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((ok) => {
      this.server.close(() => ok());
      this.server.closeAllConnections();
    });
  }
}

async function route(actions: StackControlActions, method: string, path: string, body: string): Promise<[number, unknown]> {
  if (method === 'GET' && path === CONTROL_PATHS.parts) return [200, { parts: actions.parts() }];
  // GET says whether the fault can be injected, so a run fails before it starts rather than at second 30.
  if (method === 'GET' && path === CONTROL_PATHS.consumerCrash) {
    return actions.crashConsumer ? [200, { enabled: true }] : [404, { error: FAULTS_OFF }];
  }
  if (method === 'POST' && path === CONTROL_PATHS.consumerCrash) {
    if (!actions.crashConsumer) return [404, { error: FAULTS_OFF }];
    let spec: { consumer?: unknown; moment?: unknown; deadlineMs?: unknown };
    try {
      spec = body.trim() === '' ? {} : JSON.parse(body) as typeof spec;
    } catch {
      return [400, { error: 'the body must be JSON: {"consumer": "aggregator", "moment": "mid-batch", "deadlineMs": 10000}' }];
    }
    const consumer = spec.consumer ?? 'aggregator';
    const moment = spec.moment ?? 'mid-batch';
    const deadlineMs = spec.deadlineMs ?? DEFAULT_CRASH_DEADLINE_MS;
    if (typeof consumer !== 'string' || (moment !== 'mid-batch' && moment !== 'after-commit') || typeof deadlineMs !== 'number' || !(deadlineMs >= 0)) {
      return [400, { error: 'consumer must be a consumer\'s name, moment mid-batch or after-commit, deadlineMs a number of milliseconds' }];
    }
    if (!actions.parts().some((p) => p.consumer && p.name === consumer)) return [404, { error: `no consumer named ${consumer}` }];
    return [200, await actions.crashConsumer(consumer, moment, deadlineMs)];
  }
  if (method === 'POST' && path === CONTROL_PATHS.naiveBaseline) return [200, await actions.startNaiveBaseline()];
  return [404, { error: `no route ${method} ${path}` }];
}
