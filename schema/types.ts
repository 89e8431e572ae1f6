// Types shared by everything that talks to the database through the Data API.

/** The three coordinates every Data API call passes. */
export interface DataApiTarget {
  /** Aurora cluster ARN (SLUICE_DB_CLUSTER_ARN). */
  resourceArn: string;
  /** Secrets Manager ARN of the database credentials (SLUICE_DB_SECRET_ARN). */
  secretArn: string;
  /** Database name (SLUICE_DB_NAME). */
  database: string;
}

/** A value that can be bound as a Data API parameter. */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;
