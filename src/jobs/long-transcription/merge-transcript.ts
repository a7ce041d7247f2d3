import { type BillableUsage, addBillableUsage, billableUsageOf } from '../../api/cost/billable-usage.js';
import { toSrt, toVtt } from '../../api/subtitle-format.js';
import type { TimedText, TranscriptionPieceResult } from './piece-unit.js';

/** Output formats of a long job. */
export type LongTranscriptFormat = 'text' | 'srt' | 'vtt' | 'json' | 'verbose_json';

/** One piece as the merged transcript reports it. */
export interface LongTranscriptPiece {
  readonly index: number;
  readonly requestId: string | undefined;
  readonly sourceStartMs: number;
  readonly sourceEndMs: number;
  readonly costUsd?: number | undefined;
}

/** The pieces' results joined into one transcript, every time in the source file's time (ms). */
export interface LongTranscript {
  readonly task: 'transcribe' | 'translate';
  readonly text: string;
  readonly language: string | undefined;
  readonly durationMs: number;
  /** Cues: the server's segments, or one per piece for models without timestamps. */
  readonly segments: readonly TimedText[];
  readonly words: readonly TimedText[] | undefined;
  readonly pieces: readonly LongTranscriptPiece[];
  /** The pieces' usage added up, when every piece reported one of the same kind. */
  readonly usage: BillableUsage | undefined;
}

/** Joins piece results (any order) into one transcript. */
export function mergePieceResults(task: 'transcribe' | 'translate', results: readonly TranscriptionPieceResult[], durationMs: number): LongTranscript {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const segments: TimedText[] = [];
  const words: TimedText[] = [];
  let usage: BillableUsage | undefined;
  let usageKnown = true;
  for (const r of sorted) {
    if (r.segments.length > 0) segments.push(...r.segments);
    else if (r.text !== '') segments.push({ startMs: r.sourceStartMs, endMs: r.sourceEndMs, text: r.text });
    if (r.words) words.push(...r.words);
    const u = billableUsageOf({ usage: r.usage });
    if (!u) usageKnown = false;
    else if (usageKnown) {
      const sum = usage ? addBillableUsage(usage, u) : u;
      if (!sum) usageKnown = false;
      usage = sum;
    }
  }
  return {
    task,
    text: sorted.map((r) => r.text).filter((t) => t !== '').join(' '),
    language: sorted.find((r) => r.language)?.language,
    durationMs,
    segments,
    words: words.length > 0 ? words : undefined,
    pieces: sorted.map((r) => ({ index: r.index, requestId: r.requestId, sourceStartMs: r.sourceStartMs, sourceEndMs: r.sourceEndMs, ...(r.costUsd !== undefined ? { costUsd: r.costUsd } : {}) })),
    usage: usageKnown ? usage : undefined,
  };
}

function apiUsage(u: BillableUsage | undefined): unknown {
  if (!u) return undefined;
  if (u.kind === 'duration') return { type: 'duration', seconds: u.seconds };
  if (u.kind === 'tokens') return { type: 'tokens', input_tokens: u.inputTokens, output_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens };
  return undefined;
}

const sec = (ms: number) => Math.round(ms) / 1000;

/**
 * Renders a merged transcript: `text`, `srt`, `vtt`, or the API's `json` / `verbose_json` shapes with times in
 * seconds, plus `pieces` (each piece's request id and source span) so every answer stays traceable.
 */
export function formatLongTranscript(t: LongTranscript, format: LongTranscriptFormat): string {
  switch (format) {
    case 'text':
      return `${t.text}\n`;
    case 'srt':
      return toSrt(t.segments);
    case 'vtt':
      return toVtt(t.segments);
    case 'json':
    case 'verbose_json': {
      const pieces = t.pieces.map((p) => ({ index: p.index, request_id: p.requestId ?? null, start: sec(p.sourceStartMs), end: sec(p.sourceEndMs) }));
      const usage = apiUsage(t.usage);
      if (format === 'json') return `${JSON.stringify({ text: t.text, ...(usage ? { usage } : {}), pieces }, null, 2)}\n`;
      return `${JSON.stringify(
        {
          task: t.task,
          language: t.language ?? null,
          duration: sec(t.durationMs),
          text: t.text,
          segments: t.segments.map((s, id) => ({ id, start: sec(s.startMs), end: sec(s.endMs), text: s.text })),
          ...(t.words ? { words: t.words.map((w) => ({ word: w.text, start: sec(w.startMs), end: sec(w.endMs) })) } : {}),
          ...(usage ? { usage } : {}),
          pieces,
        },
        null,
        2,
      )}\n`;
    }
  }
}
