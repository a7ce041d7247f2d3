import type { PcmFormat } from '../core/pcm/pcm-format.js';
import { VadTracker } from '../core/vad/vad-tracker.js';
import { EnergySegmenter, type TimedSpan } from './energy-segmenter.js';

/** A speech segment the emulator heard, with the word-like sound bursts inside it (ms of the upload). */
export interface HeardSegment {
  readonly span: TimedSpan;
  readonly words: TimedSpan[];
}

/** Options of {@link SpeechSegmentFinder}. */
export interface SpeechSegmentFinderOptions {
  /** Rate of the mono s16le input. */
  readonly sampleRate: number;
  /** `vad` (default): Silero decides, the energy bursts place the edges; `energy`: the energy segmenter alone. */
  readonly detector?: 'vad' | 'energy' | undefined;
}

/**
 * How far an edge may move from where Silero put it, ms. Silero reports on a 32 ms grid and a soft onset is
 * usually one or two frames late; at the end its probability decays for 100–300 ms after the sound stops, which
 * the end rule handles without this reach (it looks back from the VAD's end, not forward).
 */
const EDGE_REACH_MS = 200;

/** How far from a length split of the VAD (speech running past 30 s) the pause it moves to may be, ms. */
const SPLIT_SEARCH_MS = 2000;

/**
 * The emulator's "where is the speech" for an upload, as accurate as a good recognizer's segment times.
 *
 * Silero (through the toolkit's {@link VadTracker}) decides which stretches are speech: energy alone would take
 * any noise for it. But Silero's own edges are coarse (32 ms frames, a late onset, an end that lags by up to
 * 300 ms), so each edge is moved onto the sound itself: the start onto the first 10 ms energy burst that begins
 * within {@link EDGE_REACH_MS} before the VAD's onset, the end onto the end of the last burst that began before
 * the VAD's end. A burst that runs on past the reach (steady noise louder than the energy floor follows) leaves
 * the VAD's edge as it is, so a noisy upload degrades to Silero's times, never to worse ones. Where the VAD split
 * speech running past its length limit (at its quietest frame, which may be inside a word), the split moves to
 * the widest pause between bursts within {@link SPLIT_SEARCH_MS}, as a recognizer ends a segment at a phrase.
 */
export class SpeechSegmentFinder {
  readonly #energy: EnergySegmenter;
  readonly #tracker: VadTracker | undefined;
  readonly #bursts: TimedSpan[] = [];
  readonly #energySegments: HeardSegment[] = [];
  readonly #vadSpans: TimedSpan[] = [];
  readonly #sampleRate: number;
  #bytes = 0;

  constructor(options: SpeechSegmentFinderOptions) {
    this.#sampleRate = options.sampleRate;
    const format: PcmFormat = { sampleRate: options.sampleRate, channels: 1, encoding: 's16le' };
    this.#energy = new EnergySegmenter({
      sampleRate: options.sampleRate,
      onSegment: (span, words) => {
        this.#energySegments.push({ span, words });
        for (const w of words) this.#bursts.push(w);
      },
    });
    if ((options.detector ?? 'vad') === 'vad') {
      const tracker = new VadTracker({ format }, (ev, frames) => {
        if (ev.type !== 'speech-end') return;
        this.#vadSpans.push({ startMs: ev.speechStartMs, endMs: ev.speechEndMs });
        // Only the events are used, not the audio: keep the history from growing over the utterance.
        tracker.history.keepAfter(frames.endFrame);
      });
      this.#tracker = tracker;
    }
  }

  /** Input received so far, ms (whole samples). */
  get durationMs(): number {
    return (Math.floor(this.#bytes / 2) / this.#sampleRate) * 1000;
  }

  /** Feeds mono s16le bytes (any chunking). */
  write(chunk: Buffer): void {
    this.#bytes += chunk.length;
    this.#energy.write(chunk);
    this.#tracker?.write(chunk);
  }

  /** Ends the input and returns the segments in order. */
  end(): HeardSegment[] {
    this.#energy.end();
    if (!this.#tracker) return this.#energySegments;
    this.#tracker.end();
    return refineVadSpans(this.#vadSpans, this.#bursts);
  }
}

/**
 * Moves each VAD span's edges onto the energy bursts (see {@link SpeechSegmentFinder}); spans and bursts are in
 * time order. Segments never overlap: a start is never put before the previous segment's end.
 */
export function refineVadSpans(vadSpans: readonly TimedSpan[], bursts: readonly TimedSpan[]): HeardSegment[] {
  const spans = moveSplitsToPauses(vadSpans, bursts);
  const out: HeardSegment[] = [];
  let floorMs = 0;
  let from = 0; // first burst that may still matter (bursts ending before the floor never do again)
  for (const span of spans) {
    while (from < bursts.length && bursts[from]!.endMs <= floorMs) from++;
    let first: TimedSpan | undefined;
    let lastEndMs = -Infinity;
    for (let i = from; i < bursts.length && bursts[i]!.startMs < span.endMs; i++) {
      const b = bursts[i]!;
      if (b.endMs <= Math.max(floorMs, span.startMs - EDGE_REACH_MS)) continue;
      first ??= b;
      if (b.endMs > lastEndMs) lastEndMs = b.endMs;
    }
    let startMs = span.startMs;
    let endMs = span.endMs;
    if (first && first.startMs >= span.startMs - EDGE_REACH_MS) startMs = Math.max(floorMs, first.startMs);
    if (first && lastEndMs <= span.endMs + EDGE_REACH_MS) endMs = lastEndMs;
    if (!(endMs > startMs)) {
      startMs = Math.max(floorMs, span.startMs);
      endMs = Math.max(startMs, span.endMs);
    }
    const words: TimedSpan[] = [];
    for (let i = from; i < bursts.length && bursts[i]!.startMs < endMs; i++) {
      const b = bursts[i]!;
      if (b.endMs > startMs) words.push({ startMs: Math.max(b.startMs, startMs), endMs: Math.min(b.endMs, endMs) });
    }
    out.push({ span: { startMs, endMs }, words });
    floorMs = endMs;
  }
  return out;
}

/** Where one VAD span ends exactly where the next starts (a length split), the split moves to the widest pause near it. */
function moveSplitsToPauses(vadSpans: readonly TimedSpan[], bursts: readonly TimedSpan[]): TimedSpan[] {
  const spans = vadSpans.map((s) => ({ ...s }));
  let from = 0;
  for (let k = 0; k + 1 < spans.length; k++) {
    const here = spans[k]!;
    const next = spans[k + 1]!;
    const cutMs = here.endMs;
    if (next.startMs - cutMs > 1) continue;
    while (from < bursts.length && bursts[from]!.endMs < cutMs - SPLIT_SEARCH_MS) from++;
    let best = -1;
    let widestMs = 0;
    for (let i = from; i + 1 < bursts.length && bursts[i]!.endMs <= cutMs + SPLIT_SEARCH_MS; i++) {
      const pauseStartMs = bursts[i]!.endMs;
      const pauseEndMs = bursts[i + 1]!.startMs;
      if (pauseEndMs > cutMs + SPLIT_SEARCH_MS || pauseStartMs <= here.startMs || pauseEndMs >= next.endMs) continue;
      if (pauseEndMs - pauseStartMs > widestMs) {
        widestMs = pauseEndMs - pauseStartMs;
        best = i;
      }
    }
    if (best >= 0) {
      here.endMs = bursts[best]!.endMs;
      next.startMs = bursts[best + 1]!.startMs;
    }
  }
  return spans;
}
