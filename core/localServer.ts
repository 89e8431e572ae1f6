// Listening and closing for the HTTP servers sluice runs on this machine (the local
// stack's endpoints): bound to 127.0.0.1 only, so nothing on the network reaches an
// emulator that checks no signature; closed with their idle keep-alive connections,
// which would otherwise hold `close()` open for the SDKs' keep-alive time.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 at `port` (0: a free one); resolves with the port, rejects with the listen error (EADDRINUSE). */
export async function listenOnLoopback(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting connections, closes idle and open ones, and resolves once the server is closed. */
export async function closeServer(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
