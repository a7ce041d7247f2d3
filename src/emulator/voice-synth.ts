import { Readable } from 'node:stream';

/**
 * The emulator's built-in speech-like synthesizer, used when espeak-ng is not installed. It is not a
 * text-to-speech engine: it turns text into a plausible sound of speech so that pipelines, VAD and
 * players downstream see what they would see from a real voice. Each word becomes syllables: a
 * glottal pulse train with a pitch contour (declination over the phrase, accent on the first syllable,
 * a rise before `?`) filtered by a cascade of formant resonators for the vowel, with noise for
 * unvoiced consonants, closures and bursts for plosives, and pauses sized by spaces and punctuation.
 * Voices differ in pitch, formant scale (vocal tract length), tempo and breathiness, derived from the
 * voice name. Output is deterministic for the same (text, voice, speed).
 */

/** Options of {@link VoiceSynth}. */
export interface VoiceSynthOptions {
  /** Voice name; known OpenAI names get fitting voices, any other name a stable voice of its own. */
  voice?: string;
  /** Tempo factor 0.25–4 (1 = normal). */
  speed?: number;
  /** Output sample rate in Hz (default 24 000, the API's PCM rate). */
  sampleRate?: number;
}

/** Voice character: base pitch (Hz), formant scale, tempo factor, breathiness 0–1. */
interface VoiceTraits {
  f0Hz: number;
  formantScale: number;
  tempo: number;
  breath: number;
}

const KNOWN_VOICES: Record<string, VoiceTraits> = {
  alloy: { f0Hz: 165, formantScale: 1.06, tempo: 1, breath: 0.08 },
  ash: { f0Hz: 118, formantScale: 0.98, tempo: 1.02, breath: 0.05 },
  ballad: { f0Hz: 130, formantScale: 1, tempo: 0.92, breath: 0.1 },
  coral: { f0Hz: 215, formantScale: 1.14, tempo: 1.05, breath: 0.07 },
  echo: { f0Hz: 108, formantScale: 0.96, tempo: 1, breath: 0.06 },
  fable: { f0Hz: 142, formantScale: 1.02, tempo: 0.97, breath: 0.09 },
  onyx: { f0Hz: 92, formantScale: 0.92, tempo: 0.95, breath: 0.04 },
  nova: { f0Hz: 225, formantScale: 1.16, tempo: 1.06, breath: 0.08 },
  sage: { f0Hz: 185, formantScale: 1.1, tempo: 0.96, breath: 0.12 },
  shimmer: { f0Hz: 240, formantScale: 1.18, tempo: 1.03, breath: 0.1 },
  verse: { f0Hz: 150, formantScale: 1.03, tempo: 1.04, breath: 0.07 },
  marin: { f0Hz: 205, formantScale: 1.13, tempo: 1, breath: 0.06 },
  cedar: { f0Hz: 104, formantScale: 0.95, tempo: 0.98, breath: 0.05 },
};

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Voice traits for a name: the table for known names, otherwise derived from a hash of the name. */
export function voiceTraits(voice: string): VoiceTraits {
  const known = KNOWN_VOICES[voice.toLowerCase()];
  if (known) return known;
  const h = hashString(voice);
  const f0Hz = 90 + (h % 150);
  return {
    f0Hz,
    formantScale: 0.92 + ((f0Hz - 90) / 150) * 0.24,
    tempo: 0.9 + ((h >>> 8) % 21) / 100,
    breath: 0.04 + ((h >>> 16) % 9) / 100,
  };
}

type Formants = readonly [number, number, number];

/** One planned piece of sound. Durations are in samples. */
type Segment =
  | { kind: 'silence'; samples: number }
  | {
      kind: 'voiced';
      samples: number;
      from: Formants;
      to: Formants;
      f0From: number;
      f0To: number;
      gain: number;
      /** Added frication (voiced fricatives), 0–1. */
      noise: number;
      noiseHz: number;
    }
  | { kind: 'noise'; samples: number; centerHz: number; bandwidthHz: number; gain: number };

const VOWELS: Record<string, Formants> = {
  a: [730, 1090, 2440],
  e: [530, 1840, 2480],
  i: [390, 1990, 2550],
  o: [570, 840, 2410],
  u: [440, 1020, 2240],
  y: [300, 2200, 2900],
};

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Streaming speech-like synthesizer: plan once (so the length is known), then render in any chunking. */
export class VoiceSynth {
  /** Output sample rate in Hz (mono). */
  readonly sampleRate: number;
  /** Total samples of the utterance (known before rendering, so a WAV header can state it). */
  readonly totalSamples: number;

  private readonly segments: Segment[] = [];
  private readonly traits: VoiceTraits;
  private segmentIndex = 0;
  private segmentPos = 0;
  private rendered = 0;
  private rng: number;
  // Glottal source and resonator state carried across segments so transitions are smooth.
  private phase = 0;
  private previousPulse = 0;
  private readonly formantNow: [number, number, number];
  private readonly res = new Float64Array(6);
  private readonly noiseRes = new Float64Array(2);
  private coef = new Float64Array(9);

  constructor(text: string, options: VoiceSynthOptions = {}) {
    this.sampleRate = options.sampleRate ?? 24_000;
    const voice = options.voice ?? 'alloy';
    this.traits = voiceTraits(voice);
    this.rng = hashString(`${voice}\u0000${text}`) || 1;
    const speed = Math.min(4, Math.max(0.25, options.speed ?? 1)) * this.traits.tempo;
    this.plan(text, speed);
    this.totalSamples = this.segments.reduce((sum, s) => sum + s.samples, 0);
    const first = VOWELS['e']!;
    this.formantNow = [first[0] * this.traits.formantScale, first[1] * this.traits.formantScale, first[2] * this.traits.formantScale];
  }

  /** Samples not yet rendered. */
  get remainingSamples(): number {
    return this.totalSamples - this.rendered;
  }

  /**
   * Renders the next samples into `out` as signed 16-bit PCM and returns how many were written
   * (0 when the utterance is complete). Does not allocate.
   */
  read(out: Int16Array): number {
    let written = 0;
    while (written < out.length && this.segmentIndex < this.segments.length) {
      const seg = this.segments[this.segmentIndex]!;
      const n = Math.min(out.length - written, seg.samples - this.segmentPos);
      this.renderSegment(seg, out, written, n);
      written += n;
      this.segmentPos += n;
      if (this.segmentPos >= seg.samples) {
        this.segmentIndex++;
        this.segmentPos = 0;
      }
    }
    this.rendered += written;
    return written;
  }

  private random(): number {
    // xorshift32: cheap, deterministic, allocation-free.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 4294967296;
  }

  private ms(durationMs: number, speed: number): number {
    return Math.max(1, Math.round((durationMs / speed / 1000) * this.sampleRate));
  }

  private scaled(f: Formants): Formants {
    const k = this.traits.formantScale;
    return [f[0] * k, f[1] * k, f[2] * k];
  }

  private plan(text: string, speed: number): void {
    const f0 = this.traits.f0Hz;
    this.segments.push({ kind: 'silence', samples: this.ms(120, 1) });
    // Phrases end at punctuation; each gets its own pitch declination.
    const tokens = text.replace(/\d/g, (d) => ` ${DIGIT_WORDS[Number(d)]} `).match(/[\p{L}']+|[.!?;:,\n]+|[^\s\p{L}']/gu) ?? [];
    let phrase: string[][] = [];
    const flush = (pauseMs: number, rising: boolean): void => {
      const syllableCount = phrase.reduce((n, w) => n + w.length, 0);
      let k = 0;
      phrase.forEach((syllables, wordIndex) => {
        syllables.forEach((syllable, si) => {
          const t = syllableCount <= 1 ? 0 : k / (syllableCount - 1);
          let pitch = f0 * (1.12 - 0.25 * t);
          if (si === 0) pitch *= 1.08; // word accent
          if (rising && k === syllableCount - 1) pitch = f0 * 1.35;
          this.planSyllable(syllable, pitch, speed, si === 0);
          k++;
        });
        if (wordIndex < phrase.length - 1) this.segments.push({ kind: 'silence', samples: this.ms(35 + this.random() * 30, speed) });
      });
      if (phrase.length > 0 || pauseMs > 0) this.segments.push({ kind: 'silence', samples: this.ms(pauseMs, speed) });
      phrase = [];
    };
    for (const token of tokens) {
      if (/^[\p{L}']+$/u.test(token)) {
        phrase.push(syllabify(token.toLowerCase().replace(/'/g, '')));
      } else if (/[.!?\n]/.test(token)) {
        // A paragraph break pauses longest, a sentence end less, a lone line break least.
        const pauseMs = /\n[^\n]*\n/.test(token) ? 900 : /[.!?]/.test(token) ? 550 : 350;
        flush(pauseMs, token.includes('?'));
      } else if (/[,;:]/.test(token)) {
        flush(230, false);
      } else if (/[-–—()]/.test(token)) {
        flush(150, false);
      }
    }
    flush(0, false);
    this.segments.push({ kind: 'silence', samples: this.ms(160, 1) });
  }

  private planSyllable(syllable: string, pitch: number, speed: number, stressed: boolean): void {
    const nucleusMatch = /[aeiouy]+/.exec(syllable);
    const onset = nucleusMatch ? syllable.slice(0, nucleusMatch.index) : syllable;
    const nucleus = nucleusMatch ? nucleusMatch[0] : this.vowelFor(syllable);
    const coda = nucleusMatch ? syllable.slice(nucleusMatch.index + nucleus.length) : '';
    const pitchEnd = pitch * 0.94;
    for (const c of onset) this.planConsonant(c, pitch, speed);
    const from = this.scaled(VOWELS[nucleus[0]!] ?? VOWELS['e']!);
    const to = this.scaled(VOWELS[nucleus[nucleus.length - 1]!] ?? VOWELS['e']!);
    const long = nucleus.length > 1;
    this.segments.push({
      kind: 'voiced',
      samples: this.ms((stressed ? 140 : 105) + (long ? 60 : 0) + this.random() * 25, speed),
      from,
      to,
      f0From: pitch,
      f0To: pitchEnd,
      gain: stressed ? 1 : 0.8,
      noise: this.traits.breath,
      noiseHz: 1500,
    });
    for (const c of coda) this.planConsonant(c, pitchEnd, speed);
  }

  private vowelFor(syllable: string): string {
    const vowels = 'aeiou';
    return vowels[hashString(syllable) % vowels.length]!;
  }

  private planConsonant(c: string, pitch: number, speed: number): void {
    const voicedLike = (formants: Formants, durationMs: number, gain: number, noise = 0, noiseHz = 4000): void => {
      const f = this.scaled(formants);
      this.segments.push({ kind: 'voiced', samples: this.ms(durationMs, speed), from: f, to: f, f0From: pitch, f0To: pitch, gain, noise, noiseHz });
    };
    const noise = (durationMs: number, centerHz: number, bandwidthHz: number, gain: number): void => {
      this.segments.push({ kind: 'noise', samples: this.ms(durationMs, speed), centerHz, bandwidthHz, gain });
    };
    const plosive = (burstHz: number, voiced: boolean): void => {
      if (voiced) voicedLike([200, 900, 2200], 35, 0.18);
      else this.segments.push({ kind: 'silence', samples: this.ms(45, speed) });
      noise(14, burstHz, 2500, 0.55);
      if (!voiced) noise(22, 1600, 3000, 0.18);
    };
    switch (c) {
      case 's': case 'c': noise(95, 6200, 2500, 0.3); break;
      case 'z': voicedLike([250, 1600, 2600], 80, 0.35, 0.6, 5500); break;
      case 'f': noise(85, 4500, 6000, 0.14); break;
      case 'v': voicedLike([250, 1200, 2400], 70, 0.35, 0.45, 4000); break;
      case 'h': noise(60, 1500, 3000, 0.12); break;
      case 'x': plosive(2500, false); noise(80, 6000, 2500, 0.28); break;
      case 'p': plosive(1200, false); break;
      case 't': plosive(4200, false); break;
      case 'k': case 'q': plosive(2400, false); break;
      case 'b': plosive(1000, true); break;
      case 'd': plosive(3800, true); break;
      case 'g': plosive(2200, true); break;
      case 'j': plosive(3000, true); noise(50, 3000, 2000, 0.22); break;
      case 'm': voicedLike([280, 1000, 2200], 70, 0.45); break;
      case 'n': voicedLike([280, 1400, 2500], 65, 0.45); break;
      case 'l': voicedLike([360, 1300, 2700], 60, 0.6); break;
      case 'r': voicedLike([350, 1100, 1600], 60, 0.6); break;
      case 'w': voicedLike([300, 700, 2200], 55, 0.6); break;
      default:
        // Letters outside the basic Latin consonants: a short voiced glide keeps the rhythm.
        voicedLike([400, 1500, 2500], 50, 0.5);
    }
  }

  private setResonators(): void {
    const sr = this.sampleRate;
    const bandwidths = [90, 110, 170];
    for (let k = 0; k < 3; k++) {
      const f = Math.min(this.formantNow[k]!, sr * 0.45);
      const r = Math.exp((-Math.PI * bandwidths[k]!) / sr);
      const b = 2 * r * Math.cos((2 * Math.PI * f) / sr);
      const c = -r * r;
      this.coef[k * 3] = 1 - b - c;
      this.coef[k * 3 + 1] = b;
      this.coef[k * 3 + 2] = c;
    }
  }

  private renderSegment(seg: Segment, out: Int16Array, offset: number, count: number): void {
    const sr = this.sampleRate;
    if (seg.kind === 'silence') {
      // A faint noise floor (about -70 dBFS) rather than digital zero, as a recorded voice has.
      for (let i = 0; i < count; i++) out[offset + i] = Math.round((this.random() - 0.5) * 20);
      return;
    }
    const edge = Math.min(Math.round(sr * 0.012), seg.samples >> 2);
    if (seg.kind === 'noise') {
      const r = Math.exp((-Math.PI * seg.bandwidthHz) / sr);
      const b = 2 * r * Math.cos((2 * Math.PI * Math.min(seg.centerHz, sr * 0.45)) / sr);
      const c = -r * r;
      const norm = (1 - r) * 2.2;
      for (let i = 0; i < count; i++) {
        const pos = this.segmentPos + i;
        const env = envelope(pos, seg.samples, edge);
        const x = this.random() * 2 - 1;
        const y = norm * x + b * this.noiseRes[0]! + c * this.noiseRes[1]!;
        this.noiseRes[1] = this.noiseRes[0]!;
        this.noiseRes[0] = y;
        out[offset + i] = clamp16(y * seg.gain * env * 32767 * 1.4);
      }
      return;
    }
    const smoothing = 1 - Math.exp(-1 / (0.012 * sr));
    const res = this.res;
    const coef = this.coef;
    for (let i = 0; i < count; i++) {
      const pos = this.segmentPos + i;
      const t = pos / seg.samples;
      if ((pos & 31) === 0) {
        for (let k = 0; k < 3; k++) {
          const target = seg.from[k]! + (seg.to[k]! - seg.from[k]!) * t;
          this.formantNow[k] = this.formantNow[k]! + (target - this.formantNow[k]!) * Math.min(1, smoothing * 32);
        }
        this.setResonators();
      }
      const vibrato = 1 + 0.012 * Math.sin((2 * Math.PI * 5.2 * (this.rendered + offset + i)) / sr);
      const f0 = (seg.f0From + (seg.f0To - seg.f0From) * t) * vibrato;
      this.phase += f0 / sr;
      if (this.phase >= 1) this.phase -= 1 + (this.random() - 0.5) * 0.01; // slight jitter
      const p = this.phase;
      // Rosenberg glottal pulse; its derivative approximates lip radiation.
      const pulse = p < 0.6 ? 0.5 * (1 - Math.cos((Math.PI * p) / 0.6)) : p < 0.8 ? Math.cos((Math.PI * (p - 0.6)) / 0.4) : 0;
      let x = (pulse - this.previousPulse) * 6;
      this.previousPulse = pulse;
      x += (this.random() * 2 - 1) * seg.noise * (p < 0.6 ? 0.6 : 0.2);
      for (let k = 0; k < 3; k++) {
        const y = coef[k * 3]! * x + coef[k * 3 + 1]! * res[k * 2]! + coef[k * 3 + 2]! * res[k * 2 + 1]!;
        res[k * 2 + 1] = res[k * 2]!;
        res[k * 2] = y;
        x = y;
      }
      const env = envelope(pos, seg.samples, edge);
      out[offset + i] = clamp16(Math.tanh(x * 0.9) * seg.gain * env * 22000);
    }
  }
}

function envelope(pos: number, length: number, edge: number): number {
  if (edge <= 0) return 1;
  if (pos < edge) return 0.5 - 0.5 * Math.cos((Math.PI * pos) / edge);
  const tail = length - pos;
  if (tail < edge) return 0.5 - 0.5 * Math.cos((Math.PI * tail) / edge);
  return 1;
}

function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
}

/** Splits a lower-case word into syllables: each vowel group with the consonants before it; trailing consonants join the last. */
export function syllabify(word: string): string[] {
  const parts = word.match(/[^aeiouy]*[aeiouy]+/g);
  if (!parts) return word.length > 0 ? [word] : [];
  const used = parts.join('').length;
  if (used < word.length) parts[parts.length - 1] += word.slice(used);
  return parts;
}

/** Options of {@link builtinSpeechPcm}. */
export interface SpeechPcmOptions {
  voice: string;
  speed: number;
  /** Samples per pushed chunk (default 100 ms). */
  chunkSamples?: number;
}

/**
 * The built-in synthesizer as a Readable of 24 kHz mono s16le chunks, rendered on demand (pull-driven,
 * so a slow client slows the synthesis). `totalBytes` is known up front.
 */
export function builtinSpeechPcm(text: string, options: SpeechPcmOptions): Readable & { totalBytes: number } {
  const synth = new VoiceSynth(text, { voice: options.voice, speed: options.speed, sampleRate: 24_000 });
  const chunkSamples = options.chunkSamples ?? 2400;
  const stream = new Readable({
    read() {
      // A fresh buffer per chunk: it is handed to the consumer and must not be reused.
      const samples = new Int16Array(Math.min(chunkSamples, synth.remainingSamples));
      const n = samples.length > 0 ? synth.read(samples) : 0;
      if (n === 0) this.push(null);
      else this.push(Buffer.from(samples.buffer, samples.byteOffset, n * 2));
    },
  });
  return Object.assign(stream, { totalBytes: synth.totalSamples * 2 });
}
