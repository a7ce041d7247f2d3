// Scores VAD output against exact ground truth: frame F1 at 10 ms, missed utterances, false alarms,
// onset delays, end-of-speech latency, speech clipped, turns never ended. Pure functions; used by
// bench/vad.bench.ts and reusable on any corpus with the same truth format.
import type { SegmenterEvent, ResolvedSegmenterOptions } from '../src/core/vad/segmenter.js';

/** Ground truth of one clip. Times in ms from the start of the clip. */
export interface ClipTruth {
  durationMs: number;
  /** Speech frames at 10 ms resolution: `true` = speech (from the clean track's own energy). */
  speech10ms: boolean[];
  /** Placed utterances: from the first to the last speech frame of each placed recording. */
  utterances: { startMs: number; endMs: number }[];
}

/** What a detector produced for one clip. */
export interface ClipOutput {
  events: SegmenterEvent[];
  /** Per engine frame: start, duration (ms) and probability, for the frame-level score. */
  frames: { startMs: number; durationMs: number; p: number }[];
}

/** Per-clip counts and samples; merged with {@link mergeScores}. */
export interface Score {
  clips: number;
  /** Frame-level (engine + hysteresis thresholds, no timing rules) confusion counts at 10 ms. */
  tp: number;
  fp: number;
  fn: number;
  /** Segment-level (what the streams deliver: [speechStartMs, speechEndMs) of each utterance) at 10 ms. */
  segTp: number;
  segFp: number;
  segFn: number;
  utterances: number;
  missed: number;
  /** Confirmed utterances that overlap no true utterance. */
  falseAlarms: number;
  /** Confirmed utterances on clips with no speech at all. */
  noiseOnlyFalseAlarms: number;
  noiseOnlyMs: number;
  /** Tentative starts that were discarded (harmless for transcription, a brief duck for barge-in). */
  discards: number;
  tentativeDelayMs: number[];
  confirmedDelayMs: number[];
  endLatencyMs: number[];
  clippedMs: number[];
  turnsNeverEnded: number;
}

export function emptyScore(): Score {
  return {
    clips: 0,
    tp: 0,
    fp: 0,
    fn: 0,
    segTp: 0,
    segFp: 0,
    segFn: 0,
    utterances: 0,
    missed: 0,
    falseAlarms: 0,
    noiseOnlyFalseAlarms: 0,
    noiseOnlyMs: 0,
    discards: 0,
    tentativeDelayMs: [],
    confirmedDelayMs: [],
    endLatencyMs: [],
    clippedMs: [],
    turnsNeverEnded: 0,
  };
}

export function mergeScores(into: Score, s: Score): Score {
  for (const k of Object.keys(into) as (keyof Score)[]) {
    const a = into[k];
    const b = s[k];
    if (Array.isArray(a) && Array.isArray(b)) a.push(...b);
    else (into as unknown as Record<string, number>)[k] = (a as number) + (b as number);
  }
  return into;
}

interface Segment {
  startMs: number;
  endMs: number;
  speechStartMs: number;
  speechEndMs: number;
  tentativeAtMs: number;
  confirmedAtMs: number;
  endAtMs: number;
  reason: string;
}

/** Confirmed utterances with their decision times, from the event list. */
export function segmentsOf(events: SegmenterEvent[]): Segment[] {
  const out: Segment[] = [];
  let tentativeAt = NaN;
  let confirmedAt = NaN;
  for (const e of events) {
    if (e.type === 'speech-start') {
      if (!e.confirmed) tentativeAt = e.atMs;
      else confirmedAt = e.atMs;
    } else if (e.type === 'speech-end') {
      out.push({
        startMs: e.startMs,
        endMs: e.endMs,
        speechStartMs: e.speechStartMs,
        speechEndMs: e.speechEndMs,
        tentativeAtMs: tentativeAt,
        confirmedAtMs: confirmedAt,
        endAtMs: e.atMs,
        reason: e.reason,
      });
    }
  }
  return out;
}

/** Scores one clip. `opts` are the segmenter options in force (thresholds for the frame-level score). */
export function scoreClip(truth: ClipTruth, out: ClipOutput, opts: ResolvedSegmenterOptions): Score {
  const s = emptyScore();
  s.clips = 1;
  const n = truth.speech10ms.length;
  // Frame level: hysteresis over the engine's probabilities, sampled at each 10 ms frame's centre.
  const frameSpeech = new Uint8Array(n);
  let on = false;
  let fi = 0;
  for (const f of out.frames) {
    const p = f.p === f.p ? f.p : 0;
    on = on ? p >= opts.endThreshold : p >= opts.threshold;
    const endMs = f.startMs + f.durationMs;
    for (; fi < n && fi * 10 + 5 < endMs; fi++) if (fi * 10 + 5 >= f.startMs) frameSpeech[fi] = on ? 1 : 0;
  }
  const segs = segmentsOf(out.events);
  const segSpeech = new Uint8Array(n);
  for (const g of segs) for (let i = Math.ceil((g.speechStartMs - 5) / 10); i * 10 + 5 < g.speechEndMs && i < n; i++) if (i >= 0) segSpeech[i] = 1;
  for (let i = 0; i < n; i++) {
    const t = truth.speech10ms[i] === true;
    if (t && frameSpeech[i]) s.tp++;
    else if (frameSpeech[i]) s.fp++;
    else if (t) s.fn++;
    if (t && segSpeech[i]) s.segTp++;
    else if (segSpeech[i]) s.segFp++;
    else if (t) s.segFn++;
  }
  s.discards = out.events.filter((e) => e.type === 'speech-discard').length;

  if (truth.utterances.length === 0) {
    s.noiseOnlyFalseAlarms = segs.length;
    s.falseAlarms = segs.length;
    s.noiseOnlyMs = truth.durationMs;
    return s;
  }
  const overlaps = (g: Segment, u: { startMs: number; endMs: number }) => g.speechStartMs < u.endMs && g.speechEndMs > u.startMs;
  for (const g of segs) if (!truth.utterances.some((u) => overlaps(g, u))) s.falseAlarms++;
  for (const u of truth.utterances) {
    s.utterances++;
    const hit = segs.filter((g) => overlaps(g, u));
    if (hit.length === 0) {
      s.missed++;
      continue;
    }
    const first = hit[0]!;
    const last = hit[hit.length - 1]!;
    s.tentativeDelayMs.push(first.tentativeAtMs - u.startMs);
    s.confirmedDelayMs.push(first.confirmedAtMs - u.startMs);
    // The utterance's own end only counts if the segment ended there (not merged into a later utterance).
    const nextStart = truth.utterances.find((v) => v.startMs > u.startMs)?.startMs ?? Infinity;
    if (last.reason === 'silence' && last.speechEndMs < nextStart) s.endLatencyMs.push(last.endAtMs - u.endMs);
    if (last.reason === 'end-of-stream' && truth.durationMs - u.endMs > opts.minSilenceMs + 500) s.turnsNeverEnded++;
    // Speech of this utterance outside every delivered audio span [startMs, endMs).
    let clipped = 0;
    for (let i = Math.floor(u.startMs / 10); i * 10 < u.endMs && i < n; i++) {
      if (!truth.speech10ms[i]) continue;
      const c = i * 10 + 5;
      if (!segs.some((g) => c >= g.startMs && c < g.endMs)) clipped += 10;
    }
    s.clippedMs.push(clipped);
  }
  return s;
}

/** Quantile of a sample (linear interpolation); NaN for an empty one. */
export function quantile(xs: number[], q: number): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/** F1 in percent from confusion counts. */
export function f1(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (200 * tp) / (2 * tp + fp + fn);
}
