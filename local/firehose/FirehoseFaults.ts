// Faults a test can inject into the local Firehose server, answered as Firehose
// answers them: per-record failures inside an HTTP 200 PutRecordBatch response,
// whole-call errors with the service's error type and status, and records accepted
// but not delivered to the bucket, which go under the error output prefix as
// Firehose writes them. In process (`server.faults`) or over HTTP when the server was
// started with `faultInjection: true`:
//
//   POST   /_sluice/faults  {"kind":"failRecords","count":3,"code":"ServiceUnavailableException"}
//          {"kind":"failCalls","operation":"PutRecordBatch","count":2,"code":"ServiceUnavailableException","status":503}
//          {"kind":"failRecordsContaining","text":"evt-42","count":1}
//          {"kind":"failDelivery","text":"evt-42","count":1,"errorOutputType":"processing-failed"}
//   DELETE /_sluice/faults  clears every pending fault
//   GET    /_sluice/faults  lists what is pending
//
// failRecords            the next `count` records of PutRecordBatch calls fail (FailedPutCount > 0).
// failCalls              the next `count` calls of `operation` fail as a whole.
// failRecordsContaining  records whose data contains `text` fail, `count` times (default: until cleared).
// failDelivery           accepted records (those containing `text`, or any when no text is
//                        given) are not written to the data prefix: each becomes an error
//                        document under the error output prefix, `count` records in all
//                        (default 1). Firehose does this with records its processing or
//                        format conversion rejects; the emulator has neither step, so the
//                        failure is injected.
import { FirehoseRequestError } from './errors.ts';

export interface InjectedFirehoseError { code: string; message: string; status: number }

/** A record Firehose accepted but did not deliver, and how its error document describes it. */
export interface DeliveryFailure { code: string; message: string; errorOutputType: string }

/** The error-output-type values Firehose evaluates `!{firehose:error-output-type}` to. */
export const ERROR_OUTPUT_TYPES = ['processing-failed', 'format-conversion-failed', 'http-endpoint-failed', 'splunk-failed', 'AmazonOpenSearchService-failed'] as const;

export class FirehoseFaults {
  private recordFailures: { code: string; message: string }[] = [];
  private callErrors: { operation: string; error: InjectedFirehoseError }[] = [];
  private matchers: { text: Buffer; remaining: number; code: string; message: string }[] = [];
  private deliveryFailures: { text: Buffer | undefined; remaining: number; failure: DeliveryFailure }[] = [];

  /** The next `count` records of PutRecordBatch calls fail with `code`. */
  failNextRecords(count: number, code = 'ServiceUnavailableException', message = 'Slow down.'): void {
    for (let i = 0; i < count; i++) this.recordFailures.push({ code, message });
  }

  /** The next `count` calls of `operation` fail as a whole. */
  failNextCalls(operation: string, count: number, code = 'ServiceUnavailableException', status = 503, message = `${code} (injected)`): void {
    for (let i = 0; i < count; i++) this.callErrors.push({ operation, error: { code, message, status } });
  }

  /** Records whose data contains `text` fail, `count` times in all (default: until cleared). */
  failRecordsContaining(text: string, count = Infinity, code = 'ServiceUnavailableException', message = 'Slow down.'): void {
    this.matchers.push({ text: Buffer.from(text), remaining: count, code, message });
  }

  /**
   * `count` accepted records (those containing `text`, any when undefined) go to the
   * error output prefix instead of the data prefix when their object is written.
   */
  failDelivery(opts: { text?: string; count?: number; errorOutputType?: string; code?: string; message?: string } = {}): void {
    this.deliveryFailures.push({
      text: opts.text === undefined ? undefined : Buffer.from(opts.text),
      remaining: opts.count ?? 1,
      failure: {
        code: opts.code ?? 'Lambda.FunctionError',
        message: opts.message ?? 'The record could not be delivered (injected by the local Firehose).',
        errorOutputType: opts.errorOutputType ?? 'processing-failed',
      },
    });
  }

  clear(): void {
    this.recordFailures = [];
    this.callErrors = [];
    this.matchers = [];
    this.deliveryFailures = [];
  }

  /** Applies a JSON fault description (the admin API's body); a bad one is a FirehoseRequestError. */
  apply(spec: unknown): void {
    const bad = (message: string) => new FirehoseRequestError('InvalidArgumentException', message);
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw bad('fault must be a JSON object');
    const s = spec as Record<string, unknown>;
    const count = s.count === undefined ? undefined : Number(s.count);
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw bad('fault count must be a positive integer');
    const text = (name: string, v: unknown): string | undefined => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v === '') throw bad(`fault ${name} must be a non-empty string`);
      return v;
    };
    const code = text('code', s.code);
    const message = text('message', s.message);
    switch (s.kind) {
      case 'failRecords':
        this.failNextRecords(count ?? 1, code, message);
        return;
      case 'failCalls': {
        const operation = text('operation', s.operation) ?? 'PutRecordBatch';
        const status = s.status === undefined ? 503 : Number(s.status);
        if (!Number.isInteger(status) || status < 400 || status > 599) throw bad('fault status must be an HTTP error status (400..599)');
        this.failNextCalls(operation, count ?? 1, code, status, message);
        return;
      }
      case 'failRecordsContaining': {
        const t = text('text', s.text);
        if (t === undefined) throw bad('failRecordsContaining needs text');
        this.failRecordsContaining(t, count ?? Infinity, code, message);
        return;
      }
      case 'failDelivery': {
        const type = text('errorOutputType', s.errorOutputType);
        if (type !== undefined && !(ERROR_OUTPUT_TYPES as readonly string[]).includes(type)) throw bad(`errorOutputType must be one of ${ERROR_OUTPUT_TYPES.join(', ')}`);
        const t = text('text', s.text);
        this.failDelivery({ ...(t ? { text: t } : {}), ...(count ? { count } : {}), ...(type ? { errorOutputType: type } : {}), ...(code ? { code } : {}), ...(message ? { message } : {}) });
        return;
      }
      default:
        throw bad(`unknown fault kind ${String(s.kind)}: expected failRecords, failCalls, failRecordsContaining or failDelivery`);
    }
  }

  pending(): { recordFailures: number; callErrors: number; recordMatchers: number; deliveryFailures: number } {
    return {
      recordFailures: this.recordFailures.length,
      callErrors: this.callErrors.length,
      recordMatchers: this.matchers.filter((m) => m.remaining > 0).length,
      deliveryFailures: this.deliveryFailures.filter((d) => d.remaining > 0).length,
    };
  }

  /** The failure injected for the next record with this data, if any. */
  takeRecordFailure(data: Buffer): { code: string; message: string } | undefined {
    const m = this.matchers.find((x) => x.remaining > 0 && data.includes(x.text));
    if (m) {
      m.remaining--;
      return { code: m.code, message: m.message };
    }
    return this.recordFailures.shift();
  }

  takeCallError(operation: string): InjectedFirehoseError | undefined {
    const i = this.callErrors.findIndex((c) => c.operation === operation);
    return i < 0 ? undefined : this.callErrors.splice(i, 1)[0]!.error;
  }

  /** Whether this accepted record fails delivery when its object is written. */
  takeDeliveryFailure(data: Buffer): DeliveryFailure | undefined {
    const d = this.deliveryFailures.find((x) => x.remaining > 0 && (x.text === undefined || data.includes(x.text)));
    if (!d) return undefined;
    d.remaining--;
    return d.failure;
  }
}
