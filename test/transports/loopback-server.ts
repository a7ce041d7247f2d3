// A tiny node:http server on 127.0.0.1 for tests that need exact control of the answers (faults, redirects).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface LoopbackServer {
  url: string;
  origin: string;
  seen: SeenRequest[];
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** Starts a server; `handler` gets each request with its body already read (unless `readBody` is false). */
export async function startLoopback(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer, index: number) => void | Promise<void>,
  options: { readBody?: boolean } = {},
): Promise<LoopbackServer> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const index = seen.length;
    const record: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) };
    seen.push(record);
    if (options.readBody === false) {
      void handler(req, res, record.body, index);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record.body = Buffer.concat(chunks);
      void handler(req, res, record.body, index);
    });
    req.on('error', () => {});
  });
  server.on('connection', (s) => {
    sockets.add(s);
    // Node keeps a half-closed socket open while a response is pending; a client that hung up is gone, so
    // close our side too and let `sockets` tell whether the client still holds a connection.
    s.on('end', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/v1`,
    origin,
    seen,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Waits until `check()` is true (polling), or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
