// One spoken turn with a realtime voice agent, offline: a recorded question is played into realtimeDuplex as a
// microphone would (real time), the agent's spoken answer is read at real time as a speaker would, and saved.
// Against the real API, set TOKENLAB_API_KEY and leave out startEmulator.
//   npx tsx examples/realtime-voice-turn.ts
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { REALTIME_PCM, TokenLab, msToBytes, realtimeDuplex, writeWavFile, type RealtimeSession } from 'tokenlab-audio';
import { startEmulator } from 'tokenlab-audio/emulator';

const emulator = await startEmulator({ port: 0 });
const client = new TokenLab({ apiKey: 'sk-local', baseURL: emulator.url });
try {
  // Ask the catalog for a realtime model and a speech model instead of hard-coding them.
  const catalog = await client.models.list({ view: 'compact' });
  const realtimeModel = catalog.data.find((m) => (m as { supported_operations?: string[] }).supported_operations?.includes('realtime'))?.id;
  const ttsModel = (await client.models.list({ recommendedFor: 'tts' })).data[0]?.id;
  if (!realtimeModel || !ttsModel) throw new Error('The catalog lists no realtime or speech model.');

  // The "microphone": a spoken question, 24 kHz mono s16le, followed by a second of silence that ends the turn.
  const question = await (await client.audio.speech.create({ model: ttsModel, voice: 'alloy', input: 'What is the tallest mountain?', response_format: 'pcm' })).buffer();
  const mic = Buffer.concat([question, Buffer.alloc(msToBytes(REALTIME_PCM, 1000))]);

  const agent = realtimeDuplex(client, { model: realtimeModel, inputFormat: REALTIME_PCM, outputFormat: REALTIME_PCM });
  let answered = false;
  agent.on('session', (session: RealtimeSession) => session.on('response.done', () => (answered = true)));
  agent.on('transcript', (t) => t.final && console.log(`${t.role}: ${t.text}`));
  agent.on('turn-metrics', (m) => console.log('turn latencies (ms):', JSON.stringify(m)));

  const reply: Buffer[] = [];
  agent.on('data', (frame: Buffer) => reply.push(frame));
  const frameBytes = msToBytes(REALTIME_PCM, 20);
  for (let at = 0; at < mic.length; at += frameBytes) {
    agent.write(mic.subarray(at, at + frameBytes));
    await sleep(20);
  }
  while (!answered) await sleep(50);
  await sleep(500); // let the paced output play out what is queued
  agent.destroy();

  const saved = await writeWavFile(path.join(tmpdir(), 'realtime-reply.wav'), Readable.from(reply), REALTIME_PCM);
  console.log(`answer saved: ${saved.path} (${Math.round(saved.durationMs)} ms)`);
} finally {
  await client.close();
  await emulator.close();
}
