// Errors of the HTTP ingest front door: a whole body the endpoint cannot take.
import { SluiceError } from '../../core/index.ts';

/** The request as a whole is refused; `status` is the HTTP status to answer with. */
export class IngestRequestError extends SluiceError {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}
