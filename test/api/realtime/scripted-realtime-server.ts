// A realtime server for tests: the emulator's HTTP side (catalog, auth, refused upgrades) with a scripted `ws`
// protocol side on 127.0.0.1. Each test scripts the server's reaction to client events; every event either way
// is recorded (client events as received on the wire, in the socket's dialect).
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import { serverEventToBeta } from '../../../src/api/realtime/dialect.js';
import type { RealtimeServerEvent } from '../../../src/api/realtime/events.js';

export interface ScriptedConnection {
  readonly socket: WebSocket;
  readonly dialect: 'ga' | 'beta';
  readonly headers: IncomingMessage['headers'];
  /** Client events received, parsed (wire dialect). */
  readonly received: Array<Record<string, any>>;
  /** Client frames that came as binary WebSocket frames (the protocol wants text). */
  readonly binaryFrames: number;
  /** Sends a GA server event (translated for a beta socket); adds an event_id when missing. */
  send(event: Omit<RealtimeServerEvent, 'event_id'> & { event_id?: string }): void;
  /** Resolves with the next client event of `type` (already received ones count). */
  next(type: string): Promise<Record<string, any>>;
}

export interface ScriptedServer {
  readonly emulator: EmulatorHandle;
  readonly url: string;
  /** Resolves with the next connection. */
  connection(): Promise<ScriptedConnection>;
  close(): Promise<void>;
}

let counter = 0;

export async function startScriptedServer(options: { apiKeys?: string[]; onEvent?: (conn: ScriptedConnection, event: Record<string, any>) => void } = {}): Promise<ScriptedServer> {
  const wss = new WebSocketServer({ noServer: true });
  const waiting: Array<(c: ScriptedConnection) => void> = [];
  const ready: ScriptedConnection[] = [];
  const emulator = await startEmulator({
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
    onRealtimeUpgrade: (req, socket, head) => {
      wss.handleUpgrade(req, socket as any, head, (ws) => {
        const dialect = req.headers['openai-beta'] === 'realtime=v1' ? 'beta' : 'ga';
        const received: Array<Record<string, any>> = [];
        let binaryFrames = 0;
        const waiters: Array<{ type: string; resolve: (e: Record<string, any>) => void; from: number }> = [];
        const conn: ScriptedConnection = {
          socket: ws,
          dialect,
          headers: req.headers,
          received,
          get binaryFrames() {
            return binaryFrames;
          },
          send(event) {
            const full = { event_id: `evt_${++counter}`, ...event } as RealtimeServerEvent;
            const wire = dialect === 'beta' ? serverEventToBeta(full) : full;
            if (wire && ws.readyState === ws.OPEN) ws.send(JSON.stringify(wire));
          },
          next(type) {
            const found = received.find((e, i) => e.type === type && !(e as any).__taken && ((e as any).__taken = true) && i >= 0);
            if (found) return Promise.resolve(found);
            return new Promise((resolve) => waiters.push({ type, resolve, from: received.length }));
          },
        };
        ws.on('message', (data, isBinary) => {
          if (isBinary) binaryFrames++;
          const event = JSON.parse(String(data));
          received.push(event);
          const w = waiters.findIndex((x) => x.type === event.type);
          if (w >= 0) {
            event.__taken = true;
            waiters.splice(w, 1)[0]!.resolve(event);
          }
          options.onEvent?.(conn, event);
        });
        ws.on('error', () => {});
        conn.send({ type: 'session.created', session: { type: 'realtime', id: 'sess_1', object: 'realtime.session', model: 'gpt-realtime', expires_at: Math.floor(Date.now() / 1000) + 1800 } } as any);
        const w = waiting.shift();
        if (w) w(conn);
        else ready.push(conn);
      });
    },
  });
  return {
    emulator,
    url: emulator.url,
    connection() {
      const c = ready.shift();
      if (c) return Promise.resolve(c);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await emulator.close();
    },
  };
}

/** `n` ms of 24 kHz mono s16le with every sample = `value`, as base64. */
export function pcm24kBase64(ms: number, value = 1000): string {
  const samples = Math.round((24000 * ms) / 1000);
  const b = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) b.writeInt16LE(value, i * 2);
  return b.toString('base64');
}
