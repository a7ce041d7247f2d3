// The realtime server the realtime-duplex bench talks to, in its own process (so the client's figures are
// the client's): a GA-dialect `ws` server on 127.0.0.1 that answers `response.create` with output audio.
// The model id says what to do: `stream-<ms>` paces 20 ms deltas in real time for <ms>; `blast-<n>` sends <n> deltas at once.
// Prints its port on stdout; exits when stdin closes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const FRAME = Buffer.alloc(960); // 20 ms of 24 kHz mono s16
for (let i = 0; i < 480; i++) FRAME.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 24000)) || 1, i * 2);
const DELTA = FRAME.toString('base64');

let ids = 0;
const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
http.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
  wss.handleUpgrade(req, socket, head, (ws) => session(ws, url.searchParams));
});

function session(ws: WebSocket, params: URLSearchParams): void {
  const [mode = 'stream', count = '5000'] = (params.get('model') ?? '').split('-');
  const streamMs = Number(count);
  const blastN = Number(count);
  let timer: NodeJS.Timeout | null = null;
  let active: string | null = null;
  const send = (o: object) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(o));
  send({ type: 'session.created', event_id: `e${++ids}`, session: { type: 'realtime', id: `s${ids}`, object: 'realtime.session', model: 'gpt-realtime', expires_at: Math.floor(Date.now() / 1000) + 7200 } });
  const done = (status: string) => {
    if (timer) clearInterval(timer);
    timer = null;
    if (active) send({ type: 'response.done', event_id: `e${++ids}`, response: { id: active, object: 'realtime.response', status, output: [], usage: { total_tokens: 10, input_tokens: 4, output_tokens: 6 } } });
    active = null;
  };
  ws.on('message', (data) => {
    const text = String(data);
    if (text.startsWith('{"type":"input_audio_buffer.append"')) return;
    const e = JSON.parse(text);
    if (e.type === 'response.create') {
      const id = `resp_${++ids}`;
      const item = `item_${ids}`;
      active = id;
      send({ type: 'response.created', event_id: `e${++ids}`, response: { id, object: 'realtime.response', status: 'in_progress', output: [] } });
      const delta = () => `{"type":"response.output_audio.delta","event_id":"e${++ids}","response_id":"${id}","item_id":"${item}","output_index":0,"content_index":0,"delta":"${DELTA}"}`;
      if (mode === 'blast') {
        for (let i = 0; i < blastN; i++) ws.send(delta());
        done('completed');
      } else {
        let sent = 0;
        const start = Date.now();
        // Two frames ahead, like a server that streams a little faster than real time.
        timer = setInterval(() => {
          const due = Math.floor((Date.now() - start) / 20) + 2;
          while (sent < due && sent * 20 < streamMs) {
            ws.send(delta());
            sent++;
          }
          if (sent * 20 >= streamMs) done('completed');
        }, 20);
      }
    } else if (e.type === 'response.cancel') {
      done('cancelled');
    }
  });
  ws.on('close', () => {
    if (timer) clearInterval(timer);
  });
  ws.on('error', () => {});
}

http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(http.address() as AddressInfo).port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
