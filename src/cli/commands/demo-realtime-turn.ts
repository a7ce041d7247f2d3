import type { TokenLab } from '../../client.js';
import type { RealtimeSession } from '../../api/realtime/realtime-session.js';
import { realtimeDuplex, type RealtimeInterruption, type RealtimeTurnMetrics } from '../../streams/realtime-duplex.js';
import type { RealtimeResponder } from '../../emulator/realtime/realtime-responder.js';
import { feedInRealTime, pickRealtimeModel } from './realtime-command.js';

/** What the demo's realtime stage did. */
export interface DemoRealtimeResult {
  model: string;
  interruption: RealtimeInterruption | undefined;
  turns: RealtimeTurnMetrics[];
  transcripts: { role: string; text: string }[];
}

/** The offline emulator's replies for the demo: a long first answer (so there is something to interrupt), then a short one. */
export const demoRealtimeResponder: RealtimeResponder = (turn) =>
  turn.responseIndex === 0
    ? { text: 'Once upon a time, by a grey and windy sea, there lived a lighthouse keeper who counted every wave that reached the rocks.' }
    : { text: 'Sorry, I will keep it short.' };

async function speechPcm(client: TokenLab, text: string, signal: AbortSignal): Promise<Buffer> {
  const audio = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'echo', input: text, response_format: 'pcm' }, { signal });
  return audio.buffer();
}

/**
 * A spoken exchange over `realtimeDuplex` with one barge-in: the user asks, the agent starts a long answer,
 * the user speaks over it; the duplex stops the output, cancels, and truncates the reply at what was played.
 */
export async function demoRealtimeTurn(client: TokenLab, signal: AbortSignal): Promise<DemoRealtimeResult> {
  const model = await pickRealtimeModel(client, signal);
  const [ask, interrupt] = await Promise.all([speechPcm(client, 'Tell me a story about the sea.', signal), speechPcm(client, 'Wait, stop, make it short.', signal)]);
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const duplex = realtimeDuplex(client, { model, signal: local.signal });
  const result: DemoRealtimeResult = { model, interruption: undefined, turns: [], transcripts: [] };
  let session: RealtimeSession | undefined;
  let done = 0;
  let firstDeltaAt = 0;
  duplex.on('session', (s: RealtimeSession) => {
    session = s;
    s.on('response.done', () => done++);
    s.on('response.output_audio.delta', () => (firstDeltaAt ||= performance.now()));
  });
  duplex.on('interrupted', (info: RealtimeInterruption) => (result.interruption ??= info));
  duplex.on('turn-metrics', (m: RealtimeTurnMetrics) => result.turns.push(m));
  duplex.on('transcript', (t: { role: string; text: string; final: boolean }) => t.final && result.transcripts.push({ role: t.role, text: t.text }));
  duplex.on('error', () => undefined);
  // The speaker of this demo: played frames are read (in real time, the duplex paces them) and dropped.
  duplex.on('data', () => undefined);
  const waitFor = async (ready: () => boolean, maxMs: number): Promise<void> => {
    const until = performance.now() + maxMs;
    while (!ready() && performance.now() < until && !local.signal.aborted) await new Promise((r) => setTimeout(r, 50));
  };
  try {
    await feedInRealTime(duplex, Buffer.concat([ask, Buffer.alloc(48 * 900)]), local.signal);
    // Let the answer play for a second and a half, then talk over it.
    await waitFor(() => firstDeltaAt > 0 && performance.now() - firstDeltaAt > 1500, 20_000);
    await feedInRealTime(duplex, Buffer.concat([interrupt, Buffer.alloc(48 * 1200)]), local.signal);
    await waitFor(() => done >= 2 && result.turns.length >= 2, 20_000);
    await waitFor(() => false, 1500);
    if (session && !session.closed) await session.close(1000, 'demo done');
    return result;
  } finally {
    signal.removeEventListener('abort', onAbort);
    duplex.destroy();
  }
}
