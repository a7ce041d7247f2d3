// End to end against the emulator's realtime protocol (same port as its HTTP routes), in both dialects: the
// catalog check, a spoken turn through realtimeDuplex under server VAD, a barge-in whose truncate the emulator
// accepts (it refuses audio_end_ms beyond the item's audio), local turns, and schema-valid traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenLab } from '../../../src/client.js';
import { startEmulator } from '../../../src/emulator/start-emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator-options.js';
import type { RealtimeServerError } from '../../../src/api/realtime/realtime-errors.js';
import { realtimeDuplex, type RealtimeInterruption, type RealtimeTurnMetrics } from '../../../src/streams/realtime-duplex.js';
import { speechPcm } from '../../emulator/realtime/realtime-test-client.js';

let emulator: EmulatorHandle;
let client: TokenLab;
beforeAll(async () => {
  emulator = await startEmulator({ voiceEngine: 'builtin', realtime: { firstAudioDelayMs: 150, paceFactor: 4 } });
  client = new TokenLab({ apiKey: 'sk-local-e2e-000000', baseURL: emulator.url, maxRetries: 0 });
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});

function writeInChunks(duplex: NodeJS.WritableStream, pcm: Buffer, chunkBytes = 4800): void {
  for (let at = 0; at < pcm.length; at += chunkBytes) duplex.write(pcm.subarray(at, at + chunkBytes));
}

for (const dialect of ['ga', 'beta'] as const) {
  describe(`realtimeDuplex against the emulator (${dialect})`, () => {
    it('holds a spoken turn under server VAD, then a barge-in truncates at what was played and the emulator accepts it', async () => {
      const duplex = realtimeDuplex(client, { model: 'gpt-realtime', connect: { dialect }, cushionMs: 40 });
      const session = await duplex.ready;
      expect(session.dialect).toBe(dialect);
      const serverErrors: RealtimeServerError[] = [];
      session.on('server-error', (e) => serverErrors.push(e));
      const warnings: string[] = [];
      session.on('warning', (w) => warnings.push(w.message));
      let audioFrames = 0;
      duplex.on('data', (frame: Buffer) => {
        if (frame.some((b) => b !== 0)) audioFrames++;
      });
      const transcripts: string[] = [];
      duplex.on('transcript', (t) => t.final && transcripts.push(`${t.role}: ${t.text}`));
      const metrics = new Promise<RealtimeTurnMetrics>((r) => duplex.once('turn-metrics', r));
      await session.waitFor('session.updated');
      const spokenAt = performance.now();
      writeInChunks(duplex, speechPcm('hello there, how are you today', 1200));
      const m = await metrics;
      const turnMs = performance.now() - spokenAt;
      // The emulator holds the first delta back 150 ms after the commit (firstAudioDelayMs): the server part of the
      // turn holds that pause (less the commit event's own delivery delay, which a busy machine stretches: seen
      // 10 ms, hence the wide margin), and both parts fit inside the whole turn.
      expect(m.serverMs).toBeGreaterThanOrEqual(100);
      expect(m.clientMs).toBeTypeOf('number');
      expect(m.serverMs! + m.clientMs!).toBeLessThanOrEqual(turnMs);
      expect(audioFrames).toBeGreaterThan(5);
      expect(transcripts.some((t) => t.startsWith('assistant: '))).toBe(true);

      // Second turn: interrupt the answer while it plays.
      const answer = session.waitFor('response.output_audio.delta');
      writeInChunks(duplex, speechPcm('tell me a long story please', 1200));
      await answer;
      const framesBefore = audioFrames;
      while (audioFrames < framesBefore + 10) await new Promise((r) => setTimeout(r, 20)); // 200 ms of the answer played
      const interrupted = new Promise<RealtimeInterruption>((r) => duplex.once('interrupted', r));
      const truncated = session.waitFor('conversation.item.truncated', { timeoutMs: 10_000 });
      writeInChunks(duplex, speechPcm('wait, stop', 600));
      const info = await interrupted;
      expect(info.cause).toBe('server-vad');
      expect(info.action).toBe('truncate');
      const t = await truncated; // the emulator refuses audio_end_ms beyond the item's audio with an error event
      expect(t.audio_end_ms).toBe(info.playedMs);
      expect(info.playedMs).toBeGreaterThanOrEqual(190);
      expect(info.playedMs).toBeLessThanOrEqual(info.receivedMs);
      await new Promise((r) => setTimeout(r, 200));
      expect(serverErrors.map((e) => e.message)).toEqual([]);
      expect(warnings).toEqual([]);
      duplex.destroy();
      const closed = await session.whenClosed;
      expect(closed.initiatedBy).toBe('client');
    }, 30_000);

    it('local turns: the duplex commits and asks for a response; usage is counted', async () => {
      const duplex = realtimeDuplex(client, { model: 'gpt-realtime', connect: { dialect }, turnDetection: 'local' });
      const session = await duplex.ready;
      duplex.resume();
      await session.waitFor('session.updated');
      duplex.write(speechPcm('what time is it', 200));
      await new Promise((r) => setTimeout(r, 50));
      expect(duplex.commitTurn()).toBe(true);
      const done = await session.waitFor('response.done', { timeoutMs: 15_000 });
      expect(done.response.status).toBe('completed');
      expect(session.usageTotals.responses).toBe(1);
      expect(session.usageTotals.outputAudioTokens).toBeGreaterThan(0);
      duplex.destroy();
    }, 30_000);
  });
}

describe('client.realtime.connect against the emulator catalog', () => {
  it('refuses a speech model before opening a socket', async () => {
    const err = await client.realtime.connect({ model: 'tts-1' }).catch((e) => e);
    expect(err.code).toBe('TLA_ERR_REALTIME_MODEL');
    expect(err.realtimeModels).toContain('gpt-realtime');
  });
});
