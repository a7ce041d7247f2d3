import { Transform, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResolvedEmulatorSettings } from './emulator-settings.js';
import { type RequestContext } from './request-context.js';
import { parseSpeechRequest, type SpeechRequest } from './speech-request.js';
import { encodeSpeech, SPEECH_CONTENT_TYPE, SPEECH_SAMPLE_RATE } from './encode-speech.js';
import { builtinSpeechPcm } from './voice-synth.js';
import { espeakSpeechPcm } from './espeak-voice.js';

/**
 * `POST /v1/audio/speech`: validates the JSON body, synthesizes (espeak-ng or built-in), encodes and
 * streams the audio in chunks of `speechChunkMs` at `speechPaceMs`, or as SSE events
 * (`speech.audio.delta` with base64 audio, then `speech.audio.done` with usage).
 */
export async function handleSpeech(ctx: RequestContext, body: unknown, settings: ResolvedEmulatorSettings): Promise<void> {
  const request = parseSpeechRequest(body);
  await ctx.gate();
  const audio = await speechAudioStream(request, settings, ctx.signal);
  // PCM and WAV go out in chunks of `speechChunkMs` whatever the synthesizer's block size (whole
  // samples: an even byte count); compressed formats go out as the encoder makes them.
  const maxBytes = request.format === 'pcm' || request.format === 'wav' ? Math.max(2, Math.round((SPEECH_SAMPLE_RATE * settings.speechChunkMs) / 1000) * 2) : Infinity;
  try {
    if (request.sse) {
      ctx.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      let first = true;
      for await (const chunk of pieces(audio, maxBytes)) {
        await ctx.write(`data: ${JSON.stringify({ type: 'speech.audio.delta', audio: chunk.toString('base64') })}\n\n`);
        if (first && ctx.plan.malformedSse) await ctx.write('data: {"type":"speech.audio.delta","audio":"AAAA\n\n');
        first = false;
        if (settings.speechPaceMs > 0) await delay(settings.speechPaceMs, undefined, { signal: ctx.signal });
      }
      const inputTokens = Math.max(1, Math.ceil(request.input.length / 4));
      const outputTokens = Math.max(1, Math.ceil(audio.totalDurationMs() / 20));
      await ctx.end(`data: ${JSON.stringify({ type: 'speech.audio.done', usage: { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens } })}\n\n`);
      return;
    }
    ctx.writeHead(200, { 'content-type': SPEECH_CONTENT_TYPE[request.format], 'transfer-encoding': 'chunked' });
    for await (const chunk of pieces(audio, maxBytes)) {
      await ctx.write(chunk);
      if (settings.speechPaceMs > 0) await delay(settings.speechPaceMs, undefined, { signal: ctx.signal });
    }
    await ctx.end();
  } finally {
    audio.destroy();
  }
}

/** Encoded speech with the PCM duration it came from (known once the stream has ended). */
type SpeechAudio = Readable & { totalDurationMs(): number };

async function speechAudioStream(request: SpeechRequest, settings: ResolvedEmulatorSettings, signal: AbortSignal): Promise<SpeechAudio> {
  const chunkSamples = Math.max(1, Math.round((SPEECH_SAMPLE_RATE * settings.speechChunkMs) / 1000));
  let pcm: Readable;
  let totalBytes: number | undefined;
  const useEspeak = settings.voiceEngine !== 'builtin' && (await settings.espeakAvailable());
  if (useEspeak) {
    pcm = espeakSpeechPcm(request.input, { voice: request.voice, speed: request.speed, espeakPath: settings.espeakPath, chunkSamples, signal });
  } else {
    const builtin = builtinSpeechPcm(request.input, { voice: request.voice, speed: request.speed, chunkSamples });
    pcm = builtin;
    totalBytes = builtin.totalBytes;
  }
  let pcmBytes = 0;
  const counted = pcm.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, callback) {
        pcmBytes += chunk.length;
        callback(null, chunk);
      },
    }),
  );
  pcm.once('error', (error) => counted.destroy(error));
  counted.once('close', () => pcm.destroy());
  const encoded = encodeSpeech(counted, request.format, { totalBytes, signal, ffmpegPath: settings.ffmpegPath });
  return Object.assign(encoded, { totalDurationMs: () => (pcmBytes / 2 / SPEECH_SAMPLE_RATE) * 1000 });
}

/** The stream's chunks, split into pieces of at most `maxBytes` (views, no copies). */
async function* pieces(stream: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (chunk.length <= maxBytes) {
      yield chunk;
      continue;
    }
    for (let at = 0; at < chunk.length; at += maxBytes) yield chunk.subarray(at, Math.min(chunk.length, at + maxBytes));
  }
}
