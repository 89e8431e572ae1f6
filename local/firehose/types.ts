// Types of the local Firehose emulator.

export type CompressionFormat = 'UNCOMPRESSED' | 'GZIP';

export interface DeliveryStreamConfig {
  name: string;
  /** Bucket directory under `<dataDir>/s3/`. */
  bucket: string;
  /** Key prefix; `!{timestamp:yyyy/MM/dd}` style expressions are evaluated, otherwise `YYYY/MM/dd/HH/` (UTC) is appended. Default ''. */
  prefix?: string;
  /**
   * Where records that fail delivery are written (with `!{firehose:error-output-type}`
   * evaluated), as Firehose error documents. Default `<error-output-type>/` and the hour.
   * The emulator has no processing step: such failures are injected (FirehoseFaults.failDelivery).
   */
  errorOutputPrefix?: string;
  /** Default 5 MiB. */
  bufferSizeBytes?: number;
  /** Default 300,000 ms. */
  bufferIntervalMs?: number;
  /** Default UNCOMPRESSED. */
  compression?: CompressionFormat;
}

export interface FirehoseServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. Default 0. */
  port?: number;
  /** Holds `s3/<bucket>/<key>` objects and `buffers/` of records accepted but not yet written. */
  dataDir: string;
  deliveryStreams: DeliveryStreamConfig[];
  /** fdatasync each accepted request before answering (survives power loss, not just a kill). Default true. */
  fsync?: boolean;
  /** Region and account in ARNs. Default us-east-1 / 000000000000. */
  region?: string;
  accountId?: string;
  /** Serve the fault-injection admin API at /_sluice/faults (tests only). Default false. */
  faultInjection?: boolean;
}

/** One object written to the local S3 stand-in. */
export interface ArchiveObject {
  bucket: string;
  key: string;
  /** Absolute path of the file. */
  path: string;
}
