// A Data API call that fails: the exception name the SDK raises (sent as
// x-amzn-errortype, with HTTP status and body as the REST-JSON protocol of
// rds-data expects them), plus the message.
import { SluiceError } from '../../core/index.ts';

/** Exception names of the rds-data model and the HTTP status the service sends each with. */
export const DATA_API_ERROR_STATUS = {
  AccessDeniedException: 403,
  BadRequestException: 400,
  DatabaseErrorException: 400,
  DatabaseNotFoundException: 404,
  DatabaseResumingException: 400,
  DatabaseUnavailableException: 504,
  ForbiddenException: 403,
  HttpEndpointNotEnabledException: 400,
  InternalServerErrorException: 500,
  InvalidResourceStateException: 400,
  InvalidSecretException: 400,
  NotFoundException: 404,
  SecretsErrorException: 400,
  ServiceUnavailableError: 503,
  StatementTimeoutException: 400,
  TransactionNotFoundException: 404,
  UnsupportedResultException: 400,
} as const;

export type DataApiErrorName = keyof typeof DATA_API_ERROR_STATUS;

export function isDataApiErrorName(name: string): name is DataApiErrorName {
  return Object.hasOwn(DATA_API_ERROR_STATUS, name);
}

export class DataApiError extends SluiceError {
  readonly code: DataApiErrorName;
  readonly status: number;
  /** Only StatementTimeoutException carries it: the connection the statement ran on. */
  readonly dbConnectionId: number | undefined;
  constructor(code: DataApiErrorName, message: string, dbConnectionId?: number) {
    super(message);
    this.code = code;
    this.status = DATA_API_ERROR_STATUS[code];
    this.dbConnectionId = dbConnectionId;
  }

  /** The JSON body: server errors (5xx) of this model have no members, the others a message. */
  body(): Record<string, unknown> {
    if (this.status >= 500) return { message: this.message };
    return this.dbConnectionId === undefined ? { message: this.message } : { message: this.message, dbConnectionId: this.dbConnectionId };
  }
}
