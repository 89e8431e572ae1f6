// The query API on node:http, for the local stack (and anyone running it outside
// Lambda): one server on 127.0.0.1, adapting requests to createQueryApi's handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueryApiHandler } from './createQueryApi.ts';

export class QueryServer {
  private constructor(private readonly server: http.Server, readonly url: string) {}

  /** Listens on `host:port` (port 0 picks a free one). Default host 127.0.0.1. */
  static async start(handler: QueryApiHandler, options: { port?: number; host?: string } = {}): Promise<QueryServer> {
    const host = options.host ?? '127.0.0.1';
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // A request body is never read: GET only. Drain it so the connection stays usable.
      req.resume();
      handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams })
        .then((out) => {
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: (err as Error).message } }));
        });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 0, host, () => ok());
    });
    const { port } = server.address() as AddressInfo;
    return new QueryServer(server, `http://${host}:${port}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((ok) => {
      this.server.close(() => ok());
      this.server.closeAllConnections();
    });
  }
}
