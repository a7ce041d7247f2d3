// Builds the VAD evaluation corpus in bench/.work/vad-corpus/ (gitignored): espeak-ng speech placed at
// known offsets, mixed with white/pink noise at 20/10/5/0 dB SNR, mains hum, music-like tones, clicks, a
// quiet talker, plus noise-only clips. Ground truth comes from the placement: speech frames are the clean
// speech track's own 10 ms frames above -40 dB of its loudest frame (pauses under 100 ms bridged, as
// stop closures are not pauses). Deterministic: same seed, same corpus. Needs espeak-ng on PATH.
//
//   node --import tsx scripts/make-vad-corpus.ts [--force]
//
// Two splits with disjoint texts, voices and seeds: `tune` (used while choosing defaults) and `heldout`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resample } from '../src/core/resampler/resampler.js';
import { seededRandom as rng } from './seeded-random.js';

export const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench', '.work', 'vad-corpus');
export const CORPUS_RATE = 16000;
const VERSION = 3;

export interface CorpusClip {
  id: string;
  split: 'tune' | 'heldout';
  condition: string;
  file: string;
  durationMs: number;
  utterances: { startMs: number; endMs: number }[];
  /** Run-length speech truth at 10 ms: [startMs, endMs) spans. */
  speechSpans: [number, number][];
}

export interface CorpusIndex {
  version: number;
  sampleRate: number;
  clips: CorpusClip[];
}

const TEXTS = {
  tune: [
    'The quick brown fox jumps over the lazy dog.',
    'Could you tell me the way to the railway station, please?',
    'Yes.',
    'I would like to book a table for two at eight o clock tonight.',
    'Turn the lights off in the kitchen.',
    'Seventeen people came to the meeting, and most of them stayed until the end.',
    'No, thank you.',
    'What is the weather going to be like tomorrow morning?',
    'Please remind me to call my sister when I get home.',
    'Okay.',
    'The report is due on Friday, so we should start writing it today.',
    'How much does a ticket to Boston cost?',
  ],
  heldout: [
    'She sells sea shells by the sea shore.',
    'Set an alarm for six thirty.',
    'Hello?',
    'The museum opens at nine and closes at five on weekdays.',
    'Can you play some music from the nineteen seventies?',
    'Sure.',
    'My flight was delayed by three hours because of the storm.',
    'Add milk, eggs and bread to the shopping list.',
    'Stop.',
    'I think we should take the train instead of driving through the city.',
    'Where did you put the keys to the car?',
    'It was a pleasure to meet you, have a nice evening.',
  ],
};
const VOICES = {
  tune: ['en-us', 'en-gb+f3', 'en-us+m3', 'en-gb-scotland+f2', 'de', 'es+f4'],
  heldout: ['en-gb', 'en-us+f2', 'en-029+m5', 'en-gb-x-rp+f4', 'fr', 'it+m2'],
};
const SPEECH_CONDITIONS = ['clean', 'white20', 'white10', 'white5', 'white0', 'pink20', 'pink10', 'pink5', 'pink0', 'hum', 'music', 'clicks', 'quiet'] as const;
const NOISE_ONLY = ['white', 'pink', 'hum', 'music', 'clicks'] as const;
const CLIPS_PER_CONDITION = { tune: 4, heldout: 3 };
const NOISE_CLIPS = { tune: 2, heldout: 2 };

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

const speechCache = new Map<string, Float32Array>();

/** One espeak-ng utterance at 16 kHz, leading/trailing digital silence trimmed. */
function speak(text: string, voice: string, speed: number, pitch: number): Float32Array {
  const key = `${voice}|${speed}|${pitch}|${text}`;
  const hit = speechCache.get(key);
  if (hit) return hit;
  const wav = execFileSync('espeak-ng', ['--stdout', '-v', voice, '-s', String(speed), '-p', String(pitch), text], { maxBuffer: 64 << 20 });
  let off = 12;
  let rate = 22050;
  let data: Buffer | null = null;
  while (off + 8 <= wav.length) {
    const id = wav.toString('ascii', off, off + 4);
    let size = wav.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = wav.readUInt32LE(off + 12);
    if (id === 'data') {
      if (size === 0 || size === 0xffffffff || off + 8 + size > wav.length) size = wav.length - off - 8;
      data = wav.subarray(off + 8, off + 8 + size);
      break;
    }
    off += 8 + size + (size & 1);
  }
  if (!data) throw new Error(`espeak-ng gave no audio for ${key}`);
  const n = data.length >> 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = data.readInt16LE(i * 2) / 32768;
  const y = resample(x, { inputRate: rate, outputRate: CORPUS_RATE, channels: 1 });
  let a = 0;
  let b = y.length;
  while (a < b && Math.abs(y[a]!) < 1e-4) a++;
  while (b > a && Math.abs(y[b - 1]!) < 1e-4) b--;
  const out = y.slice(a, b);
  speechCache.set(key, out);
  return out;
}

/** 10 ms activity of a clean track: frames within 40 dB of the loudest, gaps < 100 ms bridged. */
function activity(clean: Float32Array): boolean[] {
  const hop = CORPUS_RATE / 100;
  const frames = Math.ceil(clean.length / hop);
  const e = new Float64Array(frames);
  let max = 0;
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let i = f * hop; i < Math.min(clean.length, (f + 1) * hop); i++) s += clean[i]! * clean[i]!;
    e[f] = s / hop;
    if (e[f]! > max) max = e[f]!;
  }
  const act = Array.from(e, (v) => v > max * 1e-4 && v > 1e-9);
  let last = -1;
  for (let f = 0; f < frames; f++) {
    if (!act[f]) continue;
    if (last >= 0 && f - last > 1 && f - last <= 10) for (let g = last + 1; g < f; g++) act[g] = true;
    last = f;
  }
  return act;
}

function rms(x: Float32Array, mask?: boolean[]): number {
  let s = 0;
  let n = 0;
  const hop = CORPUS_RATE / 100;
  for (let i = 0; i < x.length; i++) {
    if (mask && !mask[Math.floor(i / hop)]) continue;
    s += x[i]! * x[i]!;
    n++;
  }
  return Math.sqrt(s / Math.max(1, n));
}

function whiteNoise(n: number, r: () => number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = gauss(r);
  return x;
}

function pinkNoise(n: number, r: () => number): Float32Array {
  // Paul Kellet's refined filter over white noise: -3 dB/octave within 0.05 dB across the band.
  const x = new Float32Array(n);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < n; i++) {
    const w = gauss(r);
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    x[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return x;
}

function hum(n: number, r: () => number): Float32Array {
  const f0 = r() < 0.5 ? 50 : 60;
  const x = new Float32Array(n);
  const amps = Array.from({ length: 12 }, (_, h) => (h === 0 ? 1 : (0.6 * r()) / (h + 1)));
  const phases = amps.map(() => r() * 2 * Math.PI);
  for (let i = 0; i < n; i++) {
    const t = i / CORPUS_RATE;
    let s = 0;
    for (let h = 0; h < amps.length; h++) s += amps[h]! * Math.sin(2 * Math.PI * f0 * (h + 1) * t + phases[h]!);
    x[i] = s * (1 + 0.1 * Math.sin(2 * Math.PI * 0.3 * t));
  }
  return x;
}

function music(n: number, r: () => number): Float32Array {
  // Notes of a pentatonic scale as harmonic tones with attack/decay envelopes, two voices, vibrato.
  const x = new Float32Array(n);
  const scale = [0, 2, 4, 7, 9, 12, 14, 16];
  for (let voice = 0; voice < 2; voice++) {
    let i = 0;
    while (i < n) {
      const len = Math.round((0.15 + r() * 0.5) * CORPUS_RATE);
      const semis = scale[Math.floor(r() * scale.length)]! + (voice === 0 ? -12 : 0);
      const f = 261.6 * Math.pow(2, semis / 12);
      const harmonics = 3 + Math.floor(r() * 6);
      const amp = voice === 0 ? 0.7 : 1;
      for (let k = 0; k < len && i < n; k++, i++) {
        const t = k / CORPUS_RATE;
        const env = Math.min(1, t / 0.01) * Math.exp(-t * 3);
        const vib = 1 + 0.004 * Math.sin(2 * Math.PI * 5.5 * t);
        let s = 0;
        for (let h = 1; h <= harmonics; h++) s += Math.sin(2 * Math.PI * f * h * vib * t) / h;
        x[i] = x[i]! + amp * env * s;
      }
    }
  }
  return x;
}

function clicks(n: number, r: () => number): Float32Array {
  const x = new Float32Array(n);
  let i = Math.floor(r() * CORPUS_RATE * 0.5);
  while (i < n) {
    const len = 16 + Math.floor(r() * 80);
    const amp = 0.3 + r() * 0.6;
    for (let k = 0; k < len && i + k < n; k++) x[i + k] = amp * gauss(r) * Math.exp(-k / 12);
    i += Math.floor((0.2 + r() * 0.8) * CORPUS_RATE);
  }
  return x;
}

function mixNoise(kind: string, n: number, r: () => number): Float32Array {
  if (kind.startsWith('white')) return whiteNoise(n, r);
  if (kind.startsWith('pink')) return pinkNoise(n, r);
  if (kind === 'hum') return hum(n, r);
  if (kind === 'music') return music(n, r);
  if (kind === 'clicks') return clicks(n, r);
  return new Float32Array(n);
}

function spans(act: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  for (let f = 0; f < act.length; f++) {
    if (!act[f]) continue;
    const a = f;
    while (f < act.length && act[f]) f++;
    out.push([a * 10, f * 10]);
  }
  return out;
}

function makeClip(split: 'tune' | 'heldout', condition: string, k: number, seed: number): { clip: CorpusClip; audio: Float32Array } {
  const r = rng(seed);
  const texts = TEXTS[split];
  const voices = VOICES[split];
  const count = 2 + Math.floor(r() * 3);
  const pieces: Float32Array[] = [];
  for (let u = 0; u < count; u++) {
    const text = texts[Math.floor(r() * texts.length)]!;
    const voice = voices[Math.floor(r() * voices.length)]!;
    pieces.push(speak(text, voice, 130 + Math.floor(r() * 70), 30 + Math.floor(r() * 40)));
  }
  const gaps = pieces.map(() => Math.round((0.9 + r() * 2.2) * CORPUS_RATE));
  const lead = Math.round((0.6 + r() * 2) * CORPUS_RATE);
  const tail = Math.round((2.5 + r()) * CORPUS_RATE);
  let total = lead + tail;
  pieces.forEach((p, i) => (total += p.length + (i > 0 ? gaps[i]! : 0)));
  const clean = new Float32Array(total);
  const utterances: { startMs: number; endMs: number }[] = [];
  let pos = lead;
  pieces.forEach((p, i) => {
    if (i > 0) pos += gaps[i]!;
    clean.set(p, pos);
    const act = activity(p);
    const first = act.indexOf(true);
    const last = act.lastIndexOf(true);
    utterances.push({ startMs: Math.round((pos / CORPUS_RATE) * 1000) + first * 10, endMs: Math.round((pos / CORPUS_RATE) * 1000) + (last + 1) * 10 });
    pos += p.length;
  });
  // Truth from the placed clean track itself, frames aligned to the clip's 10 ms grid.
  const act = activity(clean);
  const speechRms = rms(clean, act);
  const level = condition === 'quiet' ? Math.pow(10, -30 / 20) : Math.pow(10, -20 / 20) * (0.5 + r());
  const gain = level / speechRms;
  const audio = new Float32Array(total);
  for (let i = 0; i < total; i++) audio[i] = clean[i]! * gain;
  const snrDb = /\d+$/.test(condition) ? Number(condition.match(/\d+$/)![0]) : condition === 'clicks' ? 30 : condition === 'quiet' ? 45 : condition === 'clean' ? Infinity : condition === 'hum' ? 5 + r() * 5 : 5 + r() * 10;
  if (Number.isFinite(snrDb)) {
    const noiseKind = condition === 'quiet' ? 'white' : condition;
    const noise = mixNoise(noiseKind, total, r);
    const nScale = (level / Math.pow(10, snrDb / 20)) / rms(noise);
    for (let i = 0; i < total; i++) audio[i] = audio[i]! + noise[i]! * nScale;
    if (condition === 'clicks') {
      const bed = whiteNoise(total, r);
      for (let i = 0; i < total; i++) audio[i] = audio[i]! + bed[i]! * level * 0.01;
    }
  }
  for (let i = 0; i < total; i++) audio[i] = Math.max(-1, Math.min(1, audio[i]!));
  const id = `${split}-${condition}-${k}`;
  return {
    clip: { id, split, condition, file: `${id}.f32`, durationMs: (total / CORPUS_RATE) * 1000, utterances, speechSpans: spans(act) },
    audio,
  };
}

function makeNoiseOnly(split: 'tune' | 'heldout', kind: string, k: number, seed: number): { clip: CorpusClip; audio: Float32Array } {
  const r = rng(seed);
  const total = Math.round((12 + r() * 6) * CORPUS_RATE);
  const noise = mixNoise(kind, total, r);
  const level = Math.pow(10, (-35 + r() * 20) / 20);
  const s = level / rms(noise);
  const audio = new Float32Array(total);
  for (let i = 0; i < total; i++) audio[i] = Math.max(-1, Math.min(1, noise[i]! * s));
  if (kind === 'clicks') {
    const bed = whiteNoise(total, r);
    for (let i = 0; i < total; i++) audio[i] = audio[i]! + bed[i]! * 1e-3;
  }
  const id = `${split}-noise-${kind}-${k}`;
  return { clip: { id, split, condition: 'noise-only', file: `${id}.f32`, durationMs: (total / CORPUS_RATE) * 1000, utterances: [], speechSpans: [] }, audio };
}

/** Builds the corpus if missing or outdated; returns its index. */
export function ensureVadCorpus(force = false): CorpusIndex {
  const indexPath = path.join(CORPUS_DIR, 'index.json');
  if (!force && existsSync(indexPath)) {
    const idx = JSON.parse(readFileSync(indexPath, 'utf8')) as CorpusIndex;
    if (idx.version === VERSION) return idx;
  }
  mkdirSync(CORPUS_DIR, { recursive: true });
  const clips: CorpusClip[] = [];
  const put = ({ clip, audio }: { clip: CorpusClip; audio: Float32Array }) => {
    writeFileSync(path.join(CORPUS_DIR, clip.file), Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength));
    clips.push(clip);
  };
  let seed = 1000;
  for (const split of ['tune', 'heldout'] as const) {
    seed = split === 'tune' ? 1000 : 900_000;
    for (const condition of SPEECH_CONDITIONS) for (let k = 0; k < CLIPS_PER_CONDITION[split]; k++) put(makeClip(split, condition, k, seed++));
    for (const kind of NOISE_ONLY) for (let k = 0; k < NOISE_CLIPS[split]; k++) put(makeNoiseOnly(split, kind, k, seed++));
  }
  const index: CorpusIndex = { version: VERSION, sampleRate: CORPUS_RATE, clips };
  writeFileSync(indexPath, JSON.stringify(index));
  return index;
}

/** Reads one clip's samples. */
export function readClip(clip: CorpusClip): Float32Array {
  const b = readFileSync(path.join(CORPUS_DIR, clip.file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const t = Date.now();
  const idx = ensureVadCorpus(process.argv.includes('--force'));
  const minutes = idx.clips.reduce((s, c) => s + c.durationMs, 0) / 60_000;
  console.log(`${idx.clips.length} clips, ${minutes.toFixed(1)} min of audio in ${CORPUS_DIR} (${Date.now() - t} ms)`);
}
