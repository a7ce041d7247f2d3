import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { CatalogModel } from '../model-catalog.js';
import { RealtimeEmulatorSession, MAX_APPEND_BYTES, type RealtimeEmulatorConfig } from './realtime-emulator-session.js';
import { RealtimeFaultBook, type RealtimeFault } from './realtime-fault.js';
import { ReplyVoice } from './reply-voice.js';

/** One accepted upgrade, as `startEmulator` validated it. */
export interface RealtimeUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  model: CatalogModel;
  requestId: string;
  dialect: 'ga' | 'beta';
  /** Faults asked for by this upgrade (header or query). */
  faults: readonly RealtimeFault[];
}

/** Options of {@link RealtimeServer}. */
export interface RealtimeServerOptions {
  config: RealtimeEmulatorConfig;
  faults: readonly RealtimeFault[];
  useEspeak: () => Promise<boolean>;
  espeakPath: string | undefined;
  log: ((line: string) => void) | undefined;
}

/**
 * The emulator's realtime endpoint: a `ws` server without its own port (`startEmulator` hands it the
 * upgrades it authenticated), one {@link RealtimeEmulatorSession} per socket.
 */
export class RealtimeServer {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<RealtimeEmulatorSession>();
  private readonly faultBook: RealtimeFaultBook;
  private readonly voice: ReplyVoice;

  constructor(private readonly options: RealtimeServerOptions) {
    // Room for one maximal append (15 MiB of audio as base64) plus the event around it.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: Math.ceil((MAX_APPEND_BYTES * 4) / 3) + 64 * 1024, perMessageDeflate: false });
    this.wss.on('headers', (headers, req) => {
      const id = (req as IncomingMessage & { realtimeRequestId?: string }).realtimeRequestId;
      if (id) headers.push(`x-request-id: ${id}`);
    });
    this.faultBook = new RealtimeFaultBook(options.faults);
    this.voice = new ReplyVoice(options.useEspeak, options.espeakPath);
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Completes the WebSocket handshake and starts a session. */
  accept(upgrade: RealtimeUpgrade): void {
    (upgrade.req as IncomingMessage & { realtimeRequestId?: string }).realtimeRequestId = upgrade.requestId;
    const faults = this.faultBook.planFor(upgrade.faults);
    this.wss.handleUpgrade(upgrade.req, upgrade.socket, upgrade.head, (ws) => {
      const session = new RealtimeEmulatorSession({ socket: ws, model: upgrade.model, dialect: upgrade.dialect, config: this.options.config, faults, voice: this.voice, log: this.options.log });
      this.sessions.add(session);
      ws.once('close', () => this.sessions.delete(session));
      this.options.log?.(`realtime ${session.id} opened (${upgrade.model.id}, ${upgrade.dialect}${faults.names.length ? `, faults=${faults.names.join(',')}` : ''}) ${upgrade.requestId}`);
    });
  }

  /** Ends every session (close 1001) and stops accepting. */
  close(): void {
    for (const s of this.sessions) s.shutdown();
    this.sessions.clear();
    this.wss.close();
  }
}
