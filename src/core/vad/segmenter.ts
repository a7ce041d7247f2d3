import { InputError } from '../errors.js';

/**
 * Options of the {@link Segmenter}. Every duration is in ms of the input stream.
 */
export interface SegmenterOptions {
  /** Probability at or above which a frame starts (or resumes) speech. Default 0.5. */
  threshold?: number;
  /**
   * Probability below which a frame counts as silence once speech is on (hysteresis: frames between
   * `endThreshold` and `threshold` neither start speech nor end a pause). Default `threshold - 0.05`
   * (at least 0.01), the best frame F1 on the tuning corpus (bench/vad-tune.ts).
   */
  endThreshold?: number;
  /** Speech needed (frames at or above `endThreshold`) before a tentative start is confirmed. Default 200. */
  minSpeechMs?: number;
  /**
   * A start whose frames after the first all reached `fastConfirmThreshold` is confirmed after only
   * this much speech instead of `minSpeechMs`: speech rises to near-certainty within a frame of its
   * onset, so it is confirmed about 100 ms after it begins (barge-in), while noise and music bursts,
   * which fade after their first frame, still need `minSpeechMs`. Default 64; `Infinity` turns it off.
   */
  fastConfirmMs?: number;
  /** Probability the frames after the first must reach for the fast confirmation. Default 0.9 (at least `threshold`). */
  fastConfirmThreshold?: number;
  /** Silence that ends an utterance (and discards an unconfirmed start). Default 500, like the realtime API's server VAD. */
  minSilenceMs?: number;
  /** Audio kept before the detected onset and included in the utterance. Default 300. */
  preRollMs?: number;
  /** Audio kept after the last speech frame and included in the utterance. Default 100 (never more than `minSilenceMs`). */
  postPadMs?: number;
  /**
   * Longest utterance (pre-roll included); a longer one is split at the quietest frame of its last
   * `splitSearchMs`, and the rest continues as a new utterance. Default 30 000; `Infinity` disables it.
   */
  maxUtteranceMs?: number;
  /** How far back from the limit a forced split may look for the quietest point. Default min(3000, maxUtteranceMs / 2). */
  splitSearchMs?: number;
}

/** Why an utterance ended. */
export type SpeechEndReason = 'silence' | 'max-length' | 'end-of-stream';

/** Emitted as soon as a frame crosses `threshold` (tentative) and again once `minSpeechMs` of speech is heard (confirmed). */
export interface SpeechStartEvent {
  readonly type: 'speech-start';
  /** False for the early start (use it for barge-in), true once confirmed. */
  readonly confirmed: boolean;
  /** Sequence number of the utterance in the stream, from 0. */
  readonly utterance: number;
  /** Start of the utterance's audio, pre-roll included (ms). */
  readonly startMs: number;
  /** Start of the first speech frame (ms). */
  readonly speechStartMs: number;
  /** Stream time at which this was decided: the end of the frame that decided it (ms). */
  readonly atMs: number;
}

/** The utterance is over: its audio spans `[startMs, endMs)`. */
export interface SpeechEndEvent {
  readonly type: 'speech-end';
  readonly utterance: number;
  /** Start of the utterance's audio, pre-roll included (ms). */
  readonly startMs: number;
  readonly speechStartMs: number;
  /** End of the last speech frame (ms). */
  readonly speechEndMs: number;
  /** End of the utterance's audio, post-pad included (ms). */
  readonly endMs: number;
  readonly atMs: number;
  readonly reason: SpeechEndReason;
}

/** A tentative start did not become speech (too short: a click, a cough, a noise burst). */
export interface SpeechDiscardEvent {
  readonly type: 'speech-discard';
  readonly utterance: number;
  readonly startMs: number;
  readonly speechStartMs: number;
  readonly atMs: number;
}

/** Everything the segmenter reports, discriminated by `type`. */
export type SegmenterEvent = SpeechStartEvent | SpeechEndEvent | SpeechDiscardEvent;

/** Where the segmenter is. */
export type SegmenterState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'tentative'; readonly utterance: number; readonly startMs: number; readonly speechStartMs: number; readonly voicedMs: number }
  | {
      readonly kind: 'speech';
      readonly utterance: number;
      readonly startMs: number;
      readonly speechStartMs: number;
      /** Start of the pause under way (ms), or null while speech goes on. */
      readonly silenceStartMs: number | null;
    };

/** The option values in force, all filled in. */
export type ResolvedSegmenterOptions = Readonly<Required<SegmenterOptions>>;

/**
 * Fills in and checks segmenter options.
 * @throws InputError (`TLA_ERR_VAD_OPTIONS`) naming the bad option.
 */
export function resolveSegmenterOptions(options: SegmenterOptions = {}): ResolvedSegmenterOptions {
  const threshold = options.threshold ?? 0.5;
  checkRange('threshold', threshold, 0, 1);
  const endThreshold = options.endThreshold ?? Math.max(0.01, threshold - 0.05);
  checkRange('endThreshold', endThreshold, 0, threshold);
  const minSpeechMs = options.minSpeechMs ?? 200;
  checkRange('minSpeechMs', minSpeechMs, 0, 60_000);
  const fastConfirmMs = options.fastConfirmMs ?? 64;
  checkRange('fastConfirmMs', fastConfirmMs, 0, Infinity);
  const fastConfirmThreshold = options.fastConfirmThreshold ?? Math.max(threshold, 0.9);
  checkRange('fastConfirmThreshold', fastConfirmThreshold, threshold, 1);
  const minSilenceMs = options.minSilenceMs ?? 500;
  checkRange('minSilenceMs', minSilenceMs, 0, 60_000);
  const preRollMs = options.preRollMs ?? 300;
  checkRange('preRollMs', preRollMs, 0, 10_000);
  const postPadMs = Math.min(options.postPadMs ?? 100, minSilenceMs);
  checkRange('postPadMs', postPadMs, 0, 60_000);
  const maxUtteranceMs = options.maxUtteranceMs ?? 30_000;
  if (!(maxUtteranceMs === Infinity)) checkRange('maxUtteranceMs', maxUtteranceMs, 1000, 24 * 3600_000);
  const splitSearchMs = options.splitSearchMs ?? Math.min(3000, maxUtteranceMs / 2);
  if (maxUtteranceMs !== Infinity) checkRange('splitSearchMs', splitSearchMs, 0, maxUtteranceMs / 2);
  return Object.freeze({ threshold, endThreshold, minSpeechMs, fastConfirmMs, fastConfirmThreshold, minSilenceMs, preRollMs, postPadMs, maxUtteranceMs, splitSearchMs });
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new InputError(`VAD option ${name} = ${String(value)} is out of range; use a number from ${min} to ${max}.`, 'TLA_ERR_VAD_OPTIONS');
  }
}

/** Capacity of the probability history used to find the quietest point for a forced split. */
const MIN_HISTORY = 16;

/**
 * Turns per-frame speech probabilities into utterances: a pure state machine, no I/O, no timers, no
 * allocation per frame (events are allocated only when something happens).
 *
 * Feed it frames in stream order with {@link Segmenter.push}; it calls `onEvent` synchronously for each
 * decision. Rules:
 * - idle → tentative when a frame's probability reaches `threshold` (tentative `speech-start`);
 * - tentative → speech once `minSpeechMs` of frames at or above `endThreshold` are heard, or once
 *   `fastConfirmMs` are heard while every frame after the first reached `fastConfirmThreshold` (confirmed
 *   `speech-start`); or → idle with `speech-discard` after `minSilenceMs` of silence first;
 * - a pause starts at the first frame under `endThreshold` and is cancelled only by a frame at or above
 *   `threshold` (so noise hovering between the two thresholds cannot hold a turn open); it ends the
 *   utterance (`speech-end`) when it reaches `minSilenceMs`;
 * - an utterance reaching `maxUtteranceMs` is split at its quietest recent frame.
 * NaN probabilities count as silence. {@link Segmenter.end} closes whatever is open: never a stuck state.
 */
export class Segmenter {
  readonly options: ResolvedSegmenterOptions;
  private readonly onEvent: (event: SegmenterEvent) => void;

  // Flat state, not the union object, so the hot path allocates nothing; `state` builds the union view.
  private kind: 'idle' | 'tentative' | 'speech' = 'idle';
  private utterance = -1;
  private startMs = 0;
  private speechStartMs = 0;
  private voicedMs = 0;
  /** Every frame of the tentative start after its first reached `fastConfirmThreshold`. */
  private sure = false;
  private silenceStartMs = -1;
  private lastSpeechEndMs = 0;
  /** End of the previous utterance's audio: pre-roll never reaches back before it. */
  private floorMs = 0;
  private nowMs = 0;
  private ended = false;

  // Ring of recent frames (start, probability, level) for the forced split.
  private histStart: Float64Array;
  private histProb: Float32Array;
  private histLevel: Float32Array;
  private histHead = 0;
  private histCount = 0;

  constructor(onEvent: (event: SegmenterEvent) => void, options: SegmenterOptions = {}) {
    this.options = resolveSegmenterOptions(options);
    this.onEvent = onEvent;
    const cap = MIN_HISTORY;
    this.histStart = new Float64Array(cap);
    this.histProb = new Float32Array(cap);
    this.histLevel = new Float32Array(cap);
  }

  /** A snapshot of the state as a discriminated union. */
  get state(): SegmenterState {
    if (this.kind === 'idle') return { kind: 'idle' };
    if (this.kind === 'tentative') {
      return { kind: 'tentative', utterance: this.utterance, startMs: this.startMs, speechStartMs: this.speechStartMs, voicedMs: this.voicedMs };
    }
    return {
      kind: 'speech',
      utterance: this.utterance,
      startMs: this.startMs,
      speechStartMs: this.speechStartMs,
      silenceStartMs: this.silenceStartMs < 0 ? null : this.silenceStartMs,
    };
  }

  /** Stream time (ms) up to which frames were pushed. */
  get positionMs(): number {
    return this.nowMs;
  }

  /** True between a start (tentative or confirmed) and its end or discard. */
  get active(): boolean {
    return this.kind !== 'idle';
  }

  /**
   * Feeds one frame.
   * @param probability speech probability in [0, 1] (NaN counts as 0, values outside are clamped).
   * @param startMs where the frame starts in the stream (ms); frames must not go back in time.
   * @param durationMs frame length (ms, > 0).
   * @param level optional frame loudness (e.g. RMS), used only to break ties when choosing a split point.
   * @throws InputError (`TLA_ERR_VAD_FRAME`) for a non-finite or backward time, or after `end()`.
   */
  push(probability: number, startMs: number, durationMs: number, level = 0): void {
    if (this.ended) throw new InputError('Segmenter.push() after end(); call reset() to start a new stream.', 'TLA_ERR_VAD_FRAME');
    if (!Number.isFinite(startMs) || !(durationMs > 0) || !Number.isFinite(durationMs) || startMs < this.nowMs - 1e-6) {
      throw new InputError(
        `VAD frame at ${startMs} ms lasting ${durationMs} ms is invalid; frames need finite times in stream order (last ended at ${this.nowMs} ms).`,
        'TLA_ERR_VAD_FRAME',
      );
    }
    const p = probability > 0 ? (probability < 1 ? probability : 1) : 0; // NaN fails `> 0`
    const endMs = startMs + durationMs;
    this.nowMs = endMs;
    const o = this.options;

    if (this.kind !== 'idle') this.remember(startMs, endMs, p, level);

    if (this.kind === 'idle') {
      if (p >= o.threshold) {
        this.utterance++;
        this.kind = 'tentative';
        this.speechStartMs = startMs;
        this.startMs = Math.max(this.floorMs, startMs - o.preRollMs);
        this.voicedMs = durationMs;
        // The onset frame only has to cross `threshold`: speech rises within a frame, noise tends to fade after one.
        this.sure = true;
        this.silenceStartMs = -1;
        this.lastSpeechEndMs = endMs;
        this.histCount = 0;
        this.remember(startMs, endMs, p, level);
        this.emitStart(false, endMs);
        if (this.confirmable()) this.confirm(endMs);
      }
      return;
    }

    if (p >= o.threshold || (p >= o.endThreshold && this.silenceStartMs < 0)) {
      this.silenceStartMs = -1;
      this.lastSpeechEndMs = endMs;
      if (this.kind === 'tentative') {
        this.voicedMs += durationMs;
        if (p < o.fastConfirmThreshold) this.sure = false;
        if (this.confirmable()) this.confirm(endMs);
      }
    } else {
      // A frame under `threshold` during a pause: not a sure start any more.
      this.sure = false;
      if (p < o.endThreshold && this.silenceStartMs < 0) this.silenceStartMs = startMs;
    }

    if (this.silenceStartMs >= 0 && endMs - this.silenceStartMs >= o.minSilenceMs) {
      if (this.kind === 'tentative') this.discard(endMs);
      else this.finish('silence', endMs);
      return;
    }
    if (this.kind === 'speech' && endMs - this.startMs >= o.maxUtteranceMs) this.split(endMs);
  }

  /**
   * Ends the stream: an utterance in progress ends (`reason: 'end-of-stream'`); a start still tentative
   * (less than `minSpeechMs` of speech) is discarded.
   * Further `push` calls throw until `reset()`.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.kind === 'tentative') {
      this.discard(this.nowMs);
    } else if (this.kind === 'speech') {
      this.finish('end-of-stream', this.nowMs);
    }
  }

  /** Forgets everything, as for a new stream starting at 0 ms. */
  reset(): void {
    this.kind = 'idle';
    this.utterance = -1;
    this.startMs = 0;
    this.speechStartMs = 0;
    this.voicedMs = 0;
    this.sure = false;
    this.silenceStartMs = -1;
    this.lastSpeechEndMs = 0;
    this.floorMs = 0;
    this.nowMs = 0;
    this.ended = false;
    this.histCount = 0;
    this.histHead = 0;
  }

  private confirmable(): boolean {
    const o = this.options;
    return this.voicedMs >= o.minSpeechMs || (this.sure && this.voicedMs >= o.fastConfirmMs);
  }

  private confirm(atMs: number): void {
    this.kind = 'speech';
    this.emitStart(true, atMs);
  }

  private emitStart(confirmed: boolean, atMs: number): void {
    this.onEvent({
      type: 'speech-start',
      confirmed,
      utterance: this.utterance,
      startMs: this.startMs,
      speechStartMs: this.speechStartMs,
      atMs,
    });
  }

  private discard(atMs: number): void {
    const ev: SpeechDiscardEvent = {
      type: 'speech-discard',
      utterance: this.utterance,
      startMs: this.startMs,
      speechStartMs: this.speechStartMs,
      atMs,
    };
    this.kind = 'idle';
    // A discarded start gives its audio back: the next utterance's pre-roll may cover it.
    this.onEvent(ev);
  }

  private finish(reason: SpeechEndReason, atMs: number): void {
    const speechEndMs = this.silenceStartMs >= 0 ? this.silenceStartMs : this.lastSpeechEndMs;
    const endMs = Math.min(atMs, speechEndMs + this.options.postPadMs);
    const ev: SpeechEndEvent = {
      type: 'speech-end',
      utterance: this.utterance,
      startMs: this.startMs,
      speechStartMs: this.speechStartMs,
      speechEndMs,
      endMs,
      atMs,
      reason,
    };
    this.kind = 'idle';
    this.floorMs = endMs;
    this.onEvent(ev);
  }

  /** Ends the utterance at the quietest recent frame and carries on with the rest as a new, confirmed utterance. */
  private split(atMs: number): void {
    const searchFromMs = atMs - this.options.splitSearchMs;
    let best = -1;
    let bestProb = Infinity;
    let bestLevel = Infinity;
    const cap = this.histStart.length;
    // Oldest to newest; only frames that start after the speech onset and within the search window.
    for (let k = 0; k < this.histCount; k++) {
      const i = (this.histHead - this.histCount + k + cap) % cap;
      const s = this.histStart[i]!;
      if (s < searchFromMs || s <= this.speechStartMs) continue;
      const pr = this.histProb[i]!;
      const lv = this.histLevel[i]!;
      // Probabilities within 0.02 count as equal; then the quieter frame wins; then the later one.
      if (pr < bestProb - 0.02 || (pr <= bestProb + 0.02 && lv <= bestLevel)) {
        best = i;
        bestProb = pr;
        bestLevel = lv;
      }
    }
    const cutMs = best >= 0 ? this.histStart[best]! : atMs;
    const ev: SpeechEndEvent = {
      type: 'speech-end',
      utterance: this.utterance,
      startMs: this.startMs,
      speechStartMs: this.speechStartMs,
      speechEndMs: cutMs,
      endMs: cutMs,
      atMs,
      reason: 'max-length',
    };
    this.onEvent(ev);
    // The rest continues at once: no pre-roll (it is contiguous), already confirmed.
    this.utterance++;
    this.startMs = cutMs;
    this.speechStartMs = cutMs;
    this.floorMs = cutMs;
    this.voicedMs = 0;
    if (this.silenceStartMs >= 0 && this.silenceStartMs < cutMs) this.silenceStartMs = cutMs;
    this.kind = 'tentative';
    this.emitStart(false, atMs);
    this.kind = 'speech';
    this.emitStart(true, atMs);
  }

  private remember(startMs: number, endMs: number, p: number, level: number): void {
    // Grow the history so it covers the split search window at this frame length (once per stream).
    const needed = Math.ceil(this.options.splitSearchMs / Math.max(1, endMs - startMs)) + 2;
    if (Number.isFinite(needed) && needed > this.histStart.length && this.options.maxUtteranceMs !== Infinity) this.growHistory(needed);
    const cap = this.histStart.length;
    const i = this.histHead;
    this.histStart[i] = startMs;
    this.histProb[i] = p;
    this.histLevel[i] = level === level ? level : 0;
    this.histHead = (i + 1) % cap;
    if (this.histCount < cap) this.histCount++;
  }

  private growHistory(needed: number): void {
    let cap = this.histStart.length;
    while (cap < needed) cap *= 2;
    const old = [this.histStart, this.histProb, this.histLevel] as const;
    const n = this.histCount;
    const oldCap = old[0].length;
    const ns = new Float64Array(cap);
    const np = new Float32Array(cap);
    const nl = new Float32Array(cap);
    for (let k = 0; k < n; k++) {
      const i = (this.histHead - n + k + oldCap) % oldCap;
      ns[k] = old[0][i]!;
      np[k] = old[1][i]!;
      nl[k] = old[2][i]!;
    }
    this.histStart = ns;
    this.histProb = np;
    this.histLevel = nl;
    this.histHead = n % cap;
  }
}
