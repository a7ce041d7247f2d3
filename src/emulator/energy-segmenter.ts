/** A stretch of detected sound, in ms of the input. */
export interface TimedSpan {
  startMs: number;
  endMs: number;
}

/** Options of {@link EnergySegmenter}. */
export interface EnergySegmenterOptions {
  /** Input sample rate in Hz (mono s16le input). */
  sampleRate: number;
  /** Silence that ends a segment, ms (default 300). */
  minSilenceMs?: number;
  /** Shortest segment kept, ms (default 100). */
  minSpeechMs?: number;
  /** Silence that separates two words inside a segment, ms (default 30). */
  wordGapMs?: number;
  /** Called when a segment closes, with the word-like bursts inside it. */
  onSegment: (segment: TimedSpan, words: TimedSpan[]) => void;
}

const FRAME_MS = 10;

/**
 * A plain energy segmenter over 10 ms frames with an adaptive noise floor: a frame is sound when it
 * is 12 dB above the floor (clamped to −58…−35 dBFS). Segments close after `minSilenceMs` of quiet;
 * shorter gaps (≥ `wordGapMs`) split word-like bursts inside a segment. It is the emulator's honest
 * "what did I hear" detector: it finds where sound is, not what was said. Any chunking of the input
 * gives the same result.
 */
export class EnergySegmenter {
  private readonly frameSamples: number;
  private readonly minSilenceFrames: number;
  private readonly minSpeechFrames: number;
  private readonly wordGapFrames: number;
  private readonly onSegment: EnergySegmenterOptions['onSegment'];
  private frameIndex = 0;
  private sumSquares = 0;
  private filled = 0;
  private odd: number | undefined;
  private floorDb = Number.NaN;
  private inSegment = false;
  private segmentStart = 0;
  private lastLoud = 0;
  private words: TimedSpan[] = [];
  private wordStart = -1;
  private wordLastLoud = 0;

  constructor(options: EnergySegmenterOptions) {
    this.frameSamples = Math.max(1, Math.round((options.sampleRate * FRAME_MS) / 1000));
    this.minSilenceFrames = Math.round((options.minSilenceMs ?? 300) / FRAME_MS);
    this.minSpeechFrames = Math.round((options.minSpeechMs ?? 100) / FRAME_MS);
    this.wordGapFrames = Math.max(1, Math.round((options.wordGapMs ?? 30) / FRAME_MS));
    this.onSegment = options.onSegment;
  }

  /** Milliseconds of input consumed so far (whole samples). */
  get durationMs(): number {
    return (this.frameIndex * FRAME_MS) + (this.filled / this.frameSamples) * FRAME_MS;
  }

  /** Feeds s16le mono bytes (any length; an odd trailing byte is kept for the next call). */
  write(chunk: Buffer): void {
    let i = 0;
    if (this.odd !== undefined && chunk.length > 0) {
      this.addSample(((chunk[0]! << 8) | this.odd) << 16 >> 16);
      this.odd = undefined;
      i = 1;
    }
    for (; i + 1 < chunk.length; i += 2) this.addSample(chunk.readInt16LE(i));
    if (i < chunk.length) this.odd = chunk[i]!;
  }

  /** Ends the input: closes an open segment at the last sound. */
  end(): void {
    if (this.filled > 0) this.closeFrame();
    if (this.inSegment) this.closeSegment();
  }

  private addSample(s: number): void {
    this.sumSquares += s * s;
    if (++this.filled === this.frameSamples) this.closeFrame();
  }

  private closeFrame(): void {
    const rms = Math.sqrt(this.sumSquares / Math.max(1, this.filled)) / 32768;
    const db = 20 * Math.log10(rms + 1e-9);
    this.sumSquares = 0;
    this.filled = 0;
    if (Number.isNaN(this.floorDb)) this.floorDb = db;
    // Follow a falling floor quickly and a rising one slowly (about 3 dB per second).
    this.floorDb = db < this.floorDb ? this.floorDb + (db - this.floorDb) * 0.3 : this.floorDb + 0.03;
    const threshold = Math.min(-35, Math.max(-58, this.floorDb + 12));
    const loud = db > threshold;
    const f = this.frameIndex++;
    if (loud) {
      if (!this.inSegment) {
        this.inSegment = true;
        this.segmentStart = f;
        this.words = [];
        this.wordStart = -1;
      }
      this.lastLoud = f;
      if (this.wordStart < 0) this.wordStart = f;
      this.wordLastLoud = f;
    } else if (this.inSegment) {
      if (this.wordStart >= 0 && f - this.wordLastLoud >= this.wordGapFrames) {
        this.words.push({ startMs: this.wordStart * FRAME_MS, endMs: (this.wordLastLoud + 1) * FRAME_MS });
        this.wordStart = -1;
      }
      if (f - this.lastLoud >= this.minSilenceFrames) this.closeSegment();
    }
  }

  private closeSegment(): void {
    this.inSegment = false;
    if (this.wordStart >= 0) this.words.push({ startMs: this.wordStart * FRAME_MS, endMs: (this.wordLastLoud + 1) * FRAME_MS });
    this.wordStart = -1;
    const frames = this.lastLoud + 1 - this.segmentStart;
    if (frames < this.minSpeechFrames) return;
    this.onSegment({ startMs: this.segmentStart * FRAME_MS, endMs: (this.lastLoud + 1) * FRAME_MS }, this.words);
  }
}
