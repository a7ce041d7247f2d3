import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { openWebSocket } from '../../src/transports/websocket.js';
import { MAX_TEXT_FRAME_HEADER_BYTES, rawTextFrameWriter, writeTextFrameHeader } from '../../src/transports/websocket-raw-frames.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const c of server?.clients ?? []) c.terminate();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function listen(): Promise<{ url: string; received: string[]; next: (n: number) => Promise<string[]> }> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const received: string[] = [];
  let waiter: (() => void) | null = null;
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      received.push(String(data));
      waiter?.();
    });
  });
  const next = async (n: number): Promise<string[]> => {
    while (received.length < n) await new Promise<void>((r) => (waiter = r));
    return received;
  };
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/realtime`, received, next };
}

/** A frame of `text` built as the append encoder builds one: header room, then the payload. */
function frameOf(text: string): Buffer {
  const payload = Buffer.from(text);
  const buf = Buffer.alloc(MAX_TEXT_FRAME_HEADER_BYTES + payload.length);
  payload.copy(buf, MAX_TEXT_FRAME_HEADER_BYTES);
  const start = writeTextFrameHeader(buf, MAX_TEXT_FRAME_HEADER_BYTES, payload.length);
  return buf.subarray(start);
}

describe('raw text frames under ws', () => {
  it("are taken by a real ws server exactly, at every header size, in order with ws's own sends", async () => {
    const { url, next } = await listen();
    const opened = await openWebSocket({ url, headers: {}, handshakeTimeoutMs: 5000, maxMessageBytes: 1 << 20 });
    // Pins the installed ws: a loopback socket gets the one-write path (its private fields are what it expects).
    expect(opened.rawTextFrames).not.toBeNull();
    const sizes = [0, 1, 125, 126, 127, 1327, 65535, 65536, 70000];
    const expected: string[] = [];
    sizes.forEach((size, i) => {
      const text = `{"n":${i},"pad":"${'x'.repeat(Math.max(0, size - 20))}"}`.slice(0, Math.max(size, 0));
      expect(opened.rawTextFrames!(frameOf(text))).toBe(true);
      expected.push(text);
      opened.socket.send(`ws-${i}`); // interleaved with frames ws builds itself
      expected.push(`ws-${i}`);
    });
    expect(await next(expected.length)).toEqual(expected);
    opened.socket.close();
  });

  it('declines once the socket is closing (the caller then sends through ws, which reports it)', async () => {
    const { url } = await listen();
    const opened = await openWebSocket({ url, headers: {}, handshakeTimeoutMs: 5000, maxMessageBytes: 1 << 20 });
    const write = opened.rawTextFrames!;
    opened.socket.close();
    expect(opened.socket.readyState).toBe(WebSocket.CLOSING);
    expect(write(frameOf('late'))).toBe(false);
  });

  it('is not offered for a socket whose ws sender is not the idle ws 8 sender it was written against', async () => {
    const { url } = await listen();
    const ws = new WebSocket(url);
    await once(ws, 'open');
    (ws as unknown as { _sender: { _state: number } })._sender._state = 1; // as while ws compresses a message
    expect(rawTextFrameWriter(ws)).toBeNull();
    ws.close();
  });
});
