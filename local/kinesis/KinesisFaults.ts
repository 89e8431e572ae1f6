// Faults a test can inject into the local Kinesis server. They are answered exactly
// as Kinesis answers: per-record failures inside an HTTP 200 PutRecords response,
// whole-call errors with the service's error type and status.

export interface InjectedCallError { code: string; message: string; status: number }

export class KinesisFaults {
  private recordFailures: { code: string; message: string }[] = [];
  private callErrors: { operation: string; error: InjectedCallError }[] = [];
  private lostResponses: string[] = [];

  /** The next `count` records put fail with `code` (ProvisionedThroughputExceededException or InternalFailure). */
  failNextRecords(count: number, code = 'InternalFailure', message = 'Internal service failure.'): void {
    for (let i = 0; i < count; i++) this.recordFailures.push({ code, message });
  }

  /** The next `count` calls of `operation` fail as a whole with `code` and HTTP `status`. */
  failNextCalls(operation: string, count: number, code: string, status = 400, message = `${code} (injected)`): void {
    for (let i = 0; i < count; i++) this.callErrors.push({ operation, error: { code, message, status } });
  }

  /**
   * The next `count` calls of `operation` are carried out (records put are written),
   * then the connection is cut without an answer: the caller cannot know they landed.
   */
  loseNextResponses(operation: string, count = 1): void {
    for (let i = 0; i < count; i++) this.lostResponses.push(operation);
  }

  clear(): void {
    this.recordFailures = [];
    this.callErrors = [];
    this.lostResponses = [];
  }

  /** Whether this call's answer is to be lost (consumes one injected loss). */
  takeLostResponse(operation: string): boolean {
    const i = this.lostResponses.indexOf(operation);
    if (i < 0) return false;
    this.lostResponses.splice(i, 1);
    return true;
  }

  /** Injected faults not yet used up. */
  pending(): { recordFailures: number; callErrors: number; lostResponses: number } {
    return { recordFailures: this.recordFailures.length, callErrors: this.callErrors.length, lostResponses: this.lostResponses.length };
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
