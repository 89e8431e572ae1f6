// Faults a test can inject into the local Kinesis server. They are answered exactly
// as Kinesis answers: per-record failures inside an HTTP 200 PutRecords response,
// whole-call errors with the service's error type and status.

export interface InjectedCallError { code: string; message: string; status: number }

export class KinesisFaults {
  private recordFailures: { code: string; message: string }[] = [];
  private callErrors: { operation: string; error: InjectedCallError }[] = [];

  /** The next `count` records put fail with `code` (ProvisionedThroughputExceededException or InternalFailure). */
  failNextRecords(count: number, code = 'InternalFailure', message = 'Internal service failure.'): void {
    for (let i = 0; i < count; i++) this.recordFailures.push({ code, message });
  }

  /** The next `count` calls of `operation` fail as a whole with `code` and HTTP `status`. */
  failNextCalls(operation: string, count: number, code: string, status = 400, message = `${code} (injected)`): void {
    for (let i = 0; i < count; i++) this.callErrors.push({ operation, error: { code, message, status } });
  }

  clear(): void {
    this.recordFailures = [];
    this.callErrors = [];
  }

  hasRecordFaults(): boolean {
    return this.recordFailures.length > 0;
  }

  takeRecordFailure(): { code: string; message: string } | undefined {
    return this.recordFailures.shift();
  }

  takeCallError(operation: string): InjectedCallError | undefined {
    const i = this.callErrors.findIndex((c) => c.operation === operation);
    if (i < 0) return undefined;
    return this.callErrors.splice(i, 1)[0]!.error;
  }
}
