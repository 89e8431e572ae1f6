// The harness only loads this machine unless told otherwise: a load test pointed at
// a shared or paid endpoint by a stray variable would be an expensive accident.
import { RemoteTargetError } from './errors.ts';

/** True when the URL's host is localhost or a loopback address (127.0.0.0/8, ::1). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Throws RemoteTargetError unless `url` is loopback or remote targets are allowed. */
export function assertLoopback(url: string, variable: string, allowRemote: boolean): void {
  if (!allowRemote && !isLoopbackUrl(url)) throw new RemoteTargetError(url, variable);
}
