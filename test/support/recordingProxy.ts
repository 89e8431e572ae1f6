// An HTTP proxy in front of a local emulator that records each request's method,
// path and headers before forwarding it: tests read how a client signed its calls
// while the emulator answers them for real. The Kinesis client speaks HTTP/2 (h2c
// to a plain endpoint), so the proxy can too; it forwards over HTTP/1.1.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy {
  /** The proxy's endpoint, to use as the client's endpoint override. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Headers HTTP/2 forbids (RFC 9113 8.2.2) or that name the hop, not the request. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

export async function startRecordingProxy(upstream: string, opts: { http2?: boolean } = {}): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const listener = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.startsWith(':') && !HOP_HEADERS.has(k)));
      const out = http.request({
        host: target.hostname, port: target.port, method: req.method, path: req.url,
        headers: { ...headers, host: target.host },
      }, (up) => {
        const back = Object.fromEntries(Object.entries(up.headers).filter(([k]) => !HOP_HEADERS.has(k)));
        res.writeHead(up.statusCode ?? 502, back);
        up.pipe(res as NodeJS.WritableStream);
      });
      out.on('error', (err) => { res.writeHead(502); res.end(String(err)); });
      out.end(body);
    });
  };
  const server = opts.http2 ? http2.createServer(listener) : http.createServer(listener);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      if (server instanceof http.Server) server.closeAllConnections();
    }),
  };
}
