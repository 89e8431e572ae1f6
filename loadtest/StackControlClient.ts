// The harness's side of the local stack's control API (SLUICE_CONTROL_URL, served
// by the process that supervises the parts): the consumer-crash fault, which kills
// a consumer's process inside a batch and answers once it has been restarted, and
// starting the naive baseline's consumer as a part of the stack.
import { ENV, STACK_CONTROL_PATHS, type ConsumerCrashReport, type CrashMoment, type StackEnv } from '../core/index.ts';
import { FaultControlError, TargetNotConfiguredError } from './errors.ts';
import { assertLoopback } from './loopback.ts';

/** What the stack answers about a consumer crash. */
export type ConsumerCrash = ConsumerCrashReport;

/** One line for the report: which process died where, and when its successor served. */
export function describeCrash(c: ConsumerCrash): string {
  const where = !c.midBatch ? 'with no batch in flight'
    : c.moment === 'after-commit' ? `after its batch of ${c.records} records committed, before its checkpoint`
    : `${Math.round(c.msIntoBatch)} ms into a batch of ${c.records} records, before its commit`;
  return `${c.name} (pid ${c.pid}) killed (${c.exit}) ${where}; restarted as pid ${c.newPid} after ${(c.downMs / 1000).toFixed(1)} s (restart ${c.restarts})`;
}

export class StackControlClient {
  private readonly url: string | undefined;

  constructor(env: StackEnv, allowRemote: boolean) {
    this.url = env[ENV.controlUrl];
    if (this.url) assertLoopback(this.url, ENV.controlUrl, allowRemote);
  }

  /** Fails out early when the stack cannot crash a consumer (an older stack, or faults off). */
  async assertCrashFault(): Promise<void> {
    if (!this.url) throw new FaultControlError('consumer-crash', `${ENV.controlUrl} is not set: start the local stack with \`sluice dev --faults\``);
    const res = await fetch(new URL(STACK_CONTROL_PATHS.consumerCrash, this.url)).catch(() => undefined);
    const text = await res?.text();
    if (!res?.ok) throw new FaultControlError('consumer-crash', res ? `the stack answered ${res.status}: ${text}` : `nothing answers at ${this.url}`);
  }

  /** Kills the consumer's process mid-batch; resolves once the stack has restarted it. */
  async crashConsumer(consumer: string, moment: CrashMoment = 'mid-batch'): Promise<ConsumerCrash> {
    return this.post(STACK_CONTROL_PATHS.consumerCrash, { consumer, moment }, 'consumer-crash') as Promise<ConsumerCrash>;
  }

  /** Starts the naive baseline's consumer in the stack (once; later calls find it running). */
  async startNaiveBaseline(): Promise<{ pid: number; stream: string; table: string }> {
    if (!this.url) throw new TargetNotConfiguredError(ENV.controlUrl, 'start the naive baseline\'s consumer with (restart the local stack: this one is older)');
    return this.post(STACK_CONTROL_PATHS.naiveBaseline, {}, 'naive baseline') as Promise<{ pid: number; stream: string; table: string }>;
  }

  private async post(path: string, body: object, what: string): Promise<unknown> {
    const res = await fetch(new URL(path, this.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await res.json().catch(() => ({})) as { error?: string };
    if (!res.ok) throw new FaultControlError(what, `the stack answered ${res.status}: ${answer.error ?? ''}`);
    return answer;
  }
}
