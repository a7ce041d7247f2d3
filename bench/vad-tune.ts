// Grid search of segmenter defaults on the corpus's `tune` split only (the held-out split is never looked
// at here). Engine probabilities are computed once per clip, then every option set is replayed.
//   node --import tsx bench/vad-tune.ts [spectral|v6] [--final|--onset] [--heldout]
import { ensureVadCorpus, readClip, CORPUS_RATE } from '../scripts/make-vad-corpus.js';
import { emptyScore, f1, mergeScores, quantile, scoreClip } from './vad-score.js';
import { FrameFeeder } from '../src/core/vad/frame-feeder.js';
import { Segmenter, resolveSegmenterOptions, type SegmenterEvent, type SegmenterOptions } from '../src/core/vad/segmenter.js';
import { createSpectralVad } from '../src/core/vad/spectral-vad.js';
import { defaultVadEngine } from '../src/core/vad/vad-tracker.js';
import { createSileroVad } from '../src/core/vad/silero-vad.js';

const split = process.argv.includes('--heldout') ? 'heldout' : 'tune';
const engine = process.argv.includes('spectral') ? createSpectralVad() : process.argv.includes('v6') ? createSileroVad({ version: 'v6' }) : defaultVadEngine();
const clips = ensureVadCorpus().clips.filter((c) => c.split === split);
const cached = clips.map((clip) => {
  const audio = readClip(clip);
  const frames: { startMs: number; durationMs: number; p: number; level: number }[] = [];
  engine.reset();
  const feeder = new FrameFeeder({
    format: { sampleRate: CORPUS_RATE, channels: 1, encoding: 'f32le' },
    engineRate: CORPUS_RATE,
    frameSamples: engine.frameSamples,
    onFrame: (f, startMs, durationMs, level) => frames.push({ startMs, durationMs, p: engine.process(f), level }),
  });
  feeder.write(new Uint8Array(audio.buffer));
  feeder.end();
  const n = Math.ceil(clip.durationMs / 10);
  const speech10ms = new Array<boolean>(n).fill(false);
  for (const [a, b] of clip.speechSpans) for (let i = a / 10; i < b / 10 && i < n; i++) speech10ms[i] = true;
  return { clip, frames, truth: { durationMs: clip.durationMs, speech10ms, utterances: clip.utterances } };
});

function evaluate(o: SegmenterOptions) {
  const opts = resolveSegmenterOptions(o);
  const all = emptyScore();
  for (const c of cached) {
    const events: SegmenterEvent[] = [];
    const seg = new Segmenter((e) => events.push(e), opts);
    for (const f of c.frames) seg.push(f.p, f.startMs, f.durationMs, f.level);
    seg.end();
    mergeScores(all, scoreClip(c.truth, { events, frames: c.frames }, opts));
  }
  return {
    f1: f1(all.tp, all.fp, all.fn).toFixed(2),
    seg: f1(all.segTp, all.segFp, all.segFn).toFixed(2),
    missed: all.missed,
    fa: all.falseAlarms,
    noiseFa: all.noiseOnlyFalseAlarms,
    unended: all.turnsNeverEnded,
    eos: quantile(all.endLatencyMs, 0.5).toFixed(0),
    eos90: quantile(all.endLatencyMs, 0.9).toFixed(0),
    tent: quantile(all.tentativeDelayMs, 0.5).toFixed(0),
    conf: quantile(all.confirmedDelayMs, 0.5).toFixed(0),
    clip90: quantile(all.clippedMs, 0.9).toFixed(0),
  };
}

// `--onset`: the confirmation delay (minSpeechMs) at the default thresholds, for barge-in latency.
const onset = process.argv.includes('--onset');
const final = process.argv.includes('--final');
for (const threshold of final || onset ? [0.5] : [0.4, 0.5, 0.6, 0.7]) {
  for (const gap of onset ? [0.05] : final ? [0.05, 0.1, 0.15] : [0, 0.05, 0.15]) {
    const endThreshold = Math.max(0.01, threshold - gap);
    if (onset) {
      // Fast confirmation of sure starts, at the default minSpeechMs (200) and without it (Infinity).
      for (const fastConfirmMs of [Infinity, 32, 64, 96]) {
        for (const fastConfirmThreshold of fastConfirmMs === Infinity ? [0.9] : [0.75, 0.8, 0.85, 0.9]) {
          const o = { threshold, endThreshold, fastConfirmMs, fastConfirmThreshold };
          console.log(JSON.stringify({ ...o, ...evaluate(o) }));
        }
      }
      continue;
    }
    for (const minSpeechMs of [200]) {
      console.log(JSON.stringify({ threshold, endThreshold, minSpeechMs, ...evaluate({ threshold, endThreshold, minSpeechMs }) }));
    }
  }
}
