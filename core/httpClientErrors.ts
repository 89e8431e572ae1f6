// What a local endpoint answers to a connection that never makes a well-formed
// request: bytes that are not HTTP, headers too large, or a request that took too
// long (Node's header and request timeouts). Node would answer with a bare status
// line; sluice's endpoints (the ingest endpoint and the local emulators) answer every
// request with a JSON error body, these included.
import type http from 'node:http';
import type net from 'node:net';

/** The JSON body (and headers) an endpoint sends with `status`. */
export type ErrorBody = (status: number, message: string) => { headers: Record<string, string>; body: unknown };

/** Answers HTTP parse errors and timeouts of `server` with `errorBody`, then closes the connection. */
export function answerClientErrors(server: http.Server, errorBody: ErrorBody): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || (socket as net.Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive'] :
      err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large'] :
      err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? [413, 'chunk extensions too large'] :
      [400, `the request is not well-formed HTTP/1.1 (${err.code ?? err.message})`];
    const out = errorBody(status, message);
    const text = JSON.stringify(out.body);
    const head = Object.entries({ ...out.headers, 'content-length': String(Buffer.byteLength(text)), connection: 'close' })
      .map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${head}\r\n${text}`);
  });
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };
