// Faults a test can inject into the local Firehose server, answered as Firehose
// answers them: per-record failures inside an HTTP 200 PutRecordBatch response,
// whole-call errors with the service's error type and status.

export interface InjectedFirehoseError { code: string; message: string; status: number }

export class FirehoseFaults {
  private recordFailures: { code: string; message: string }[] = [];
  private callErrors: { operation: string; error: InjectedFirehoseError }[] = [];
  private matchers: { text: Buffer; remaining: number; code: string; message: string }[] = [];

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

  clear(): void {
    this.recordFailures = [];
    this.callErrors = [];
    this.matchers = [];
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
}
