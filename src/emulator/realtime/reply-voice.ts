import { espeakSpeechPcm } from '../espeak-voice.js';
import { VoiceSynth } from '../voice-synth.js';

/** Longest reply audio the emulator renders (a bound on memory per response). */
export const MAX_REPLY_MS = 120_000;
const SAMPLES_PER_MS = 24;
const CACHE_ENTRIES = 32;

/** Options of {@link ReplyVoice.render}. */
export interface ReplyVoiceRequest {
  text: string;
  voice: string;
  speed: number;
  /** Exact length wanted (ms): the speech is repeated or cut to it. Default: the speech's own length. */
  audioMs?: number | undefined;
}

/**
 * The emulator's answering voice: renders reply text to 24 kHz mono PCM16 with espeak-ng when it is
 * available (and chosen), else with the built-in speech-like synthesizer. Recent renders are cached,
 * since many sessions (benchmarks, tests) say the same sentences.
 */
export class ReplyVoice {
  private readonly cache = new Map<string, Promise<Int16Array>>();

  constructor(private readonly useEspeak: () => Promise<boolean>, private readonly espeakPath: string | undefined) {}

  /** The reply's samples (shared, do not modify). */
  render(request: ReplyVoiceRequest): Promise<Int16Array> {
    const key = `${request.voice}\u0000${request.speed}\u0000${request.audioMs ?? ''}\u0000${request.text}`;
    let pending = this.cache.get(key);
    if (pending) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, pending);
      return pending;
    }
    pending = this.renderUncached(request);
    this.cache.set(key, pending);
    pending.catch(() => this.cache.delete(key));
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    return pending;
  }

  private async renderUncached(request: ReplyVoiceRequest): Promise<Int16Array> {
    const text = request.text.trim() === '' ? '…' : request.text;
    const speech = (await this.useEspeak()) ? await espeakSamples(text, request, this.espeakPath) : builtinSamples(text, request);
    const wanted = request.audioMs === undefined ? speech.length : Math.round(Math.min(MAX_REPLY_MS, Math.max(0, request.audioMs)) * SAMPLES_PER_MS);
    if (wanted === speech.length) return speech.length > MAX_REPLY_MS * SAMPLES_PER_MS ? speech.subarray(0, MAX_REPLY_MS * SAMPLES_PER_MS) : speech;
    // Repeat the sentence (with a short pause between) until the wanted length, then cut.
    const out = new Int16Array(wanted);
    const gap = 200 * SAMPLES_PER_MS;
    for (let at = 0; at < wanted && speech.length > 0; at += speech.length + gap) out.set(speech.subarray(0, Math.min(speech.length, wanted - at)), at);
    return out;
  }
}

function builtinSamples(text: string, request: ReplyVoiceRequest): Int16Array {
  const synth = new VoiceSynth(text, { voice: request.voice, speed: request.speed, sampleRate: 24_000 });
  const out = new Int16Array(Math.min(synth.totalSamples, MAX_REPLY_MS * SAMPLES_PER_MS));
  synth.read(out);
  return out;
}

async function espeakSamples(text: string, request: ReplyVoiceRequest, espeakPath: string | undefined): Promise<Int16Array> {
  const stream = espeakSpeechPcm(text, { voice: request.voice, speed: request.speed, espeakPath });
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= MAX_REPLY_MS * SAMPLES_PER_MS * 2) {
      stream.destroy();
      break;
    }
  }
  const all = Buffer.concat(chunks);
  const out = new Int16Array(all.length >> 1);
  new Uint8Array(out.buffer).set(all.subarray(0, out.length * 2));
  return out;
}
