/**
 * Lecture-like test audio, made at test or bench time (never committed): sentences from espeak-ng when it is
 * installed (else the emulator's built-in synthesizer), placed with short pauses, long pauses (up to minutes)
 * and long monologues (sentences with gaps under the VAD's 500 ms, so speech runs on for minutes), over a quiet
 * noise floor. Streamed to a 16 kHz mono WAV, so a two-hour file costs no memory. Returns where the speech is.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { wavHeader } from '../src/emulator/encode-speech.js';
import { espeakSpeechPcm, isEspeakAvailable } from '../src/emulator/espeak-voice.js';
import { builtinSpeechPcm } from '../src/emulator/voice-synth.js';
import { ResampleStream } from '../src/streams/resample-stream.js';
import { seededRandom } from './seeded-random.js';

const RATE = 16_000;

const SENTENCES = [
  'Today we look at how sound becomes numbers.',
  'A microphone turns pressure into voltage, and a converter samples it many thousand times a second.',
  'Sixteen thousand samples a second are enough for speech.',
  'The highest frequency we can keep is half the sample rate.',
  'Above it, tones fold back and sound like something else.',
  'That is why every converter has a filter in front of it.',
  'Now think about what happens when two people talk at once.',
  'The signal is simply the sum of both voices.',
  'Separating them again is a hard problem.',
  'Let me write the formula on the board.',
  'Energy alone does not tell speech from noise.',
  'A fan, a car, or rain can be just as loud as a voice.',
  'So detectors look at the shape of the spectrum over time.',
  'Vowels have strong peaks called formants.',
  'Consonants are short bursts of noise.',
  'Any questions so far?',
  'Good, then we move on to compression.',
  'Speech codecs keep what the ear needs and drop the rest.',
  'At twenty four kilobits a second, speech stays clear.',
  'That is almost ten times smaller than the raw samples.',
  'We will measure this in the lab next week.',
  'Please read chapter four before then.',
];

/** A stretch of sound in the file, ms. */
export interface SpeechRegion {
  readonly startMs: number;
  readonly endMs: number;
}

/** What {@link writeLectureWav} made. */
export interface LectureAudio {
  readonly path: string;
  readonly durationMs: number;
  /** Each placed sentence's sound (first to last sample above 1 % of full scale). */
  readonly clips: readonly SpeechRegion[];
  /** Clips joined where the gap between them is under 500 ms: where a listener hears continuous speech. */
  readonly regions: readonly SpeechRegion[];
  readonly engine: 'espeak' | 'builtin';
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

async function renderSentence(text: string, voice: string, engine: 'espeak' | 'builtin'): Promise<Int16Array> {
  const pcm24 = engine === 'espeak' ? espeakSpeechPcm(text, { voice, speed: 1 }) : builtinSpeechPcm(text, { voice, speed: 1 });
  const rs = new ResampleStream({ from: { sampleRate: 24_000, channels: 1, encoding: 's16le' }, to: { sampleRate: RATE, channels: 1, encoding: 's16le' } });
  pcm24.pipe(rs);
  const buf = await collect(rs);
  // Trim to the sound, so the recorded clip is where the speech really is.
  const all = new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
  let a = 0;
  let b = all.length;
  while (a < b && Math.abs(all[a]!) < 328) a++;
  while (b > a && Math.abs(all[b - 1]!) < 328) b--;
  return all.slice(a, b);
}

/**
 * Writes `durationMs` of lecture-like audio to `filePath` (16 kHz mono s16le WAV), deterministic for a seed.
 * `longPauseMs` bounds the longest pauses (default 90 s), `monologueMs` the longest monologues (default 180 s).
 */
export async function writeLectureWav(filePath: string, options: { durationMs: number; seed?: number; longPauseMs?: number; monologueMs?: number; engine?: 'espeak' | 'builtin' }): Promise<LectureAudio> {
  const random = seededRandom(options.seed ?? 7);
  const engine = options.engine ?? ((await isEspeakAvailable()) ? 'espeak' : 'builtin');
  const voices = ['onyx', 'nova'];
  const clips: Int16Array[] = [];
  for (const [i, s] of SENTENCES.entries()) clips.push(await renderSentence(s, voices[i % voices.length]!, engine));

  const totalSamples = Math.round((options.durationMs * RATE) / 1000);
  const out = createWriteStream(filePath);
  out.write(wavHeader(RATE, totalSamples * 2));
  const placed: SpeechRegion[] = [];
  const block = new Int16Array(RATE); // one second, reused
  let written = 0;
  let noiseState = (options.seed ?? 7) >>> 0;
  const noise = () => {
    noiseState = (Math.imul(noiseState, 1664525) + 1013904223) >>> 0;
    return ((noiseState >>> 16) % 41) - 20; // about -64 dBFS
  };
  const write = async (samples: Int16Array | undefined, count: number) => {
    let done = 0;
    while (done < count) {
      const n = Math.min(block.length, count - done);
      for (let i = 0; i < n; i++) block[i] = (samples ? samples[done + i]! : 0) + noise();
      const bytes = Buffer.from(block.buffer, 0, n * 2);
      if (!out.write(Buffer.from(bytes))) await once(out, 'drain');
      done += n;
    }
    written += count;
  };
  const ms = (samples: number) => (samples * 1000) / RATE;
  const longPause = options.longPauseMs ?? 90_000;
  const monologue = options.monologueMs ?? 180_000;
  await write(undefined, RATE); // a second of room tone first
  while (written < totalSamples) {
    const r = random();
    const pauseMs = r < 0.6 ? 700 + random() * 2300 : r < 0.9 ? 3000 + random() * 9000 : 12_000 + random() * (longPause - 12_000);
    await write(undefined, Math.min(totalSamples - written, Math.round((pauseMs * RATE) / 1000)));
    const runMs = random() < 0.35 ? 30_000 + random() * (monologue - 30_000) : 0;
    const runEnd = written + Math.round((runMs * RATE) / 1000);
    do {
      const clip = clips[Math.floor(random() * clips.length)]!;
      if (written + clip.length > totalSamples) break;
      placed.push({ startMs: ms(written), endMs: ms(written + clip.length) });
      await write(clip, clip.length);
      if (written < runEnd) await write(undefined, Math.min(totalSamples - written, Math.round(((80 + random() * 220) * RATE) / 1000)));
    } while (written < runEnd && written < totalSamples);
    if (placed.length === 0 || written >= totalSamples) break;
  }
  if (written < totalSamples) await write(undefined, totalSamples - written);
  out.end();
  await finished(out);
  const regions: SpeechRegion[] = [];
  for (const c of placed) {
    const last = regions[regions.length - 1];
    if (last && c.startMs - last.endMs < 500) regions[regions.length - 1] = { startMs: last.startMs, endMs: c.endMs };
    else regions.push(c);
  }
  return { path: filePath, durationMs: ms(totalSamples), clips: placed, regions, engine };
}
