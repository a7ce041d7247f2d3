/**
 * Whole client text frames written straight to the socket under a `ws` WebSocket, for the message a realtime
 * session sends 25–50 times a second (input audio). `ws` frames a message as a header buffer plus the payload,
 * corks the socket and writes both: a writev with its own request, chunk array and callback objects, about 1 KB
 * of heap per message. A caller that builds the message behind room for the header sends the frame in one
 * socket write instead.
 *
 * Only with the zero masking key that `openWebSocket` sets on wss: and loopback (the header written here says so),
 * and only while `ws`'s sender is idle (nothing queued behind a compression or a Blob read), so frames keep their
 * order with the ones `ws` sends (pings, pongs, close). Reads two private fields of `ws` 8 (`_socket`,
 * `_sender`); when they are not what this was written against, {@link rawTextFrameWriter} returns null and the
 * caller sends through `ws` as before (test/transports/websocket-raw-frames.test.ts pins the installed `ws`).
 */
import WebSocket from 'ws';

/** Most bytes of a masked client frame header: 2, then 8 of extended length, then the 4-byte masking key. */
export const MAX_TEXT_FRAME_HEADER_BYTES = 14;

/**
 * Writes the header of a final, masked (zero key) text frame of `payloadLength` bytes so that it ends at
 * `payloadStart`, which must leave {@link MAX_TEXT_FRAME_HEADER_BYTES} of room before it. Returns where the frame starts.
 */
export function writeTextFrameHeader(buf: Uint8Array, payloadStart: number, payloadLength: number): number {
  let start: number;
  if (payloadLength < 126) {
    start = payloadStart - 6;
    buf[start + 1] = 0x80 | payloadLength;
  } else if (payloadLength < 65536) {
    start = payloadStart - 8;
    buf[start + 1] = 0x80 | 126;
    buf[start + 2] = payloadLength >>> 8;
    buf[start + 3] = payloadLength & 0xff;
  } else {
    start = payloadStart - 14;
    buf[start + 1] = 0x80 | 127;
    // 64-bit big-endian length; payloads here are far under 2^32.
    buf[start + 2] = buf[start + 3] = buf[start + 4] = buf[start + 5] = 0;
    buf[start + 6] = payloadLength >>> 24;
    buf[start + 7] = (payloadLength >>> 16) & 0xff;
    buf[start + 8] = (payloadLength >>> 8) & 0xff;
    buf[start + 9] = payloadLength & 0xff;
  }
  buf[start] = 0x81; // FIN, text
  buf[payloadStart - 4] = buf[payloadStart - 3] = buf[payloadStart - 2] = buf[payloadStart - 1] = 0; // zero masking key
  return start;
}

/**
 * Writes a whole frame (header from {@link writeTextFrameHeader} and payload) to the socket; false when it did
 * not (socket not open, or `ws` has frames queued): then send the payload with `ws.send`. The socket may keep
 * the bytes until it has written them (`ws.bufferedAmount > 0`): do not reuse them until then.
 */
export type RawTextFrameWriter = (frame: Uint8Array) => boolean;

interface WsInternals {
  _socket?: { write?: unknown } | null;
  _sender?: { _state?: unknown; _queue?: unknown } | null;
}

/** A {@link RawTextFrameWriter} for a socket opened with the zero masking key, or null when `ws`'s internals differ. */
export function rawTextFrameWriter(ws: WebSocket): RawTextFrameWriter | null {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  const sender = internals._sender;
  // An idle ws 8 sender: state DEFAULT (0) and an empty queue.
  if (ws.readyState !== WebSocket.OPEN || !socket || typeof socket.write !== 'function' || !sender || sender._state !== 0 || !Array.isArray(sender._queue)) return null;
  const net = socket as { write(chunk: Uint8Array): boolean };
  const queue = sender._queue as unknown[];
  return (frame) => {
    if (ws.readyState !== WebSocket.OPEN || sender._state !== 0 || queue.length !== 0 || internals._socket !== socket) return false;
    net.write(frame);
    return true;
  };
}
