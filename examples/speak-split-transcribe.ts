// Speech -> VAD utterances -> transcripts, as one stream pipeline. Runs offline against the emulator;
// set TOKENLAB_API_KEY (and leave out startEmulator) to run it against the real API.
//   npx tsx examples/speak-split-transcribe.ts
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { STT_PCM, TokenLab, transcribeStream, ttsSource, vadChunker, type UtteranceTranscript } from 'tokenlab-audio';
import { startEmulator } from 'tokenlab-audio/emulator';

const emulator = await startEmulator({ port: 0 });
const client = new TokenLab({ apiKey: 'sk-local', baseURL: emulator.url });
try {
  // Pick models from the catalog instead of hard-coding them.
  const tts = (await client.models.list({ recommendedFor: 'tts' })).data[0]!.id;
  const stt = (await client.models.list({ recommendedFor: 'stt' })).data[0]!.id;
  await pipeline(
    ttsSource(client, { model: tts, voice: 'alloy', input: 'Hello there. This is the first sentence.\n\nAnd this is another one.', format: STT_PCM }),
    vadChunker({ format: STT_PCM }),
    transcribeStream(client, { model: stt }),
    new Writable({
      objectMode: true,
      write(t: UtteranceTranscript, _encoding, done) {
        console.log(`${(t.startMs / 1000).toFixed(2)}–${(t.endMs / 1000).toFixed(2)} s  ${t.text}`);
        done();
      },
    }),
  );
} finally {
  await client.close();
  await emulator.close();
}
