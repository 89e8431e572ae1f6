// The wire shapes of the RDS Data API (REST-JSON, as @aws-sdk/client-rds-data
// sends and reads them). Blobs travel as base64 strings.

/** A parameter value: exactly one member is set. */
export interface WireField {
  isNull?: boolean;
  booleanValue?: boolean;
  longValue?: number;
  doubleValue?: number;
  stringValue?: string;
  blobValue?: string;
  arrayValue?: WireArrayValue;
}

export interface WireArrayValue {
  booleanValues?: (boolean | null)[];
  longValues?: (number | null)[];
  doubleValues?: (number | null)[];
  stringValues?: (string | null)[];
  arrayValues?: WireArrayValue[];
}

export type TypeHint = 'DATE' | 'DECIMAL' | 'JSON' | 'TIME' | 'TIMESTAMP' | 'UUID';

export interface WireSqlParameter {
  name?: string;
  value?: WireField;
  typeHint?: string;
}

export interface WireResultSetOptions {
  decimalReturnType?: string;
  longReturnType?: string;
}

export interface WireColumnMetadata {
  name: string;
  type: number;
  typeName: string;
  label: string;
  schemaName: string;
  tableName: string;
  isAutoIncrement: boolean;
  isSigned: boolean;
  isCurrency: boolean;
  isCaseSensitive: boolean;
  nullable: number;
  precision: number;
  scale: number;
  arrayBaseColumnType: number;
}

export interface ExecuteStatementRequest {
  resourceArn?: string;
  secretArn?: string;
  sql?: string;
  database?: string;
  schema?: string;
  parameters?: WireSqlParameter[];
  transactionId?: string;
  includeResultMetadata?: boolean;
  continueAfterTimeout?: boolean;
  resultSetOptions?: WireResultSetOptions;
  formatRecordsAs?: string;
}

export interface BatchExecuteStatementRequest {
  resourceArn?: string;
  secretArn?: string;
  sql?: string;
  database?: string;
  schema?: string;
  parameterSets?: WireSqlParameter[][];
  transactionId?: string;
}

export interface BeginTransactionRequest {
  resourceArn?: string;
  secretArn?: string;
  database?: string;
  schema?: string;
}

export interface EndTransactionRequest {
  resourceArn?: string;
  secretArn?: string;
  transactionId?: string;
}
