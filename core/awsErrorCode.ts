// What failed, read from an error an AWS SDK client threw: the service's error name
// (or a Node network code such as ECONNRESET) and the HTTP status when an answer came.

export interface AwsErrorCode {
  code: string;
  /** The HTTP status of the answer; undefined when no answer came. */
  status: number | undefined;
}

export function awsErrorCode(err: unknown): AwsErrorCode {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null | undefined;
  return { code: e?.code && /^E[A-Z0-9_]+$/.test(e.code) ? e.code : (e?.name ?? 'Error'), status: e?.$metadata?.httpStatusCode };
}
