// The harness only loads this machine unless told otherwise: a load test pointed at
// a shared or paid endpoint by a stray variable would be an expensive accident.
import { isLoopbackUrl } from '../core/index.ts';
import { RemoteTargetError } from './errors.ts';

/** Throws RemoteTargetError unless `url` is loopback or remote targets are allowed. */
export function assertLoopback(url: string, variable: string, allowRemote: boolean): void {
  if (!allowRemote && !isLoopbackUrl(url)) throw new RemoteTargetError(url, variable);
}
