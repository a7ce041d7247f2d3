import type { TimedSpan } from './energy-segmenter.js';
import { toSrt, toVtt } from '../api/subtitle-format.js';

export { toSrt, toVtt };

/** One transcript segment the emulator produced, times in ms of the input audio. */
export interface TranscriptSegment extends TimedSpan {
  text: string;
  words: (TimedSpan & { word: string })[];
}

/** What a transcription/translation produced, before formatting. */
export interface TranscriptResult {
  task: 'transcribe' | 'translate';
  /** Language name as the API writes it (`english`). */
  language: string;
  durationMs: number;
  segments: TranscriptSegment[];
}

/** Transcript response formats (the spec's enum plus OpenAI's `diarized_json`). */
export type TranscriptFormat = 'json' | 'text' | 'srt' | 'vtt' | 'verbose_json' | 'diarized_json';

/** Seconds with the precision the API uses (ms resolution). */
export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** The segment description the emulator uses as text when it has no recognizer, e.g. `[speech 0.52–1.87 s]`. */
export function describeSpeech(span: TimedSpan): string {
  return `[speech ${seconds(span.startMs).toFixed(2)}–${seconds(span.endMs).toFixed(2)} s]`;
}

/** Full text: the segments' texts joined by spaces. */
export function transcriptText(result: TranscriptResult): string {
  return result.segments.map((s) => s.text).join(' ');
}

/** Options that shape the JSON formats. */
export interface TranscriptFormatOptions {
  /** `timestamp_granularities[]` (default `['segment']`). */
  granularities?: readonly ('word' | 'segment')[];
  /** The `usage` object to report (default: `{ type: 'duration', seconds }`, rounded up). */
  usage?: Record<string, unknown>;
}

/**
 * The usage a transcription reports, in the unit the model is priced in: tokens for token-priced models (audio
 * input at 10 tokens a second, text output at 4 characters a token), else whole seconds of audio.
 */
export function transcriptUsage(result: TranscriptResult, pricingUnit: string): Record<string, unknown> {
  if (pricingUnit !== 'per_1m_tokens') return { type: 'duration', seconds: Math.ceil(result.durationMs / 1000) };
  const audio = Math.ceil(result.durationMs / 100);
  const output = Math.max(1, Math.ceil(transcriptText(result).length / 4));
  return { type: 'tokens', input_tokens: audio, input_token_details: { audio_tokens: audio, text_tokens: 0 }, output_tokens: output, total_tokens: audio + output };
}

/**
 * Renders a result in one response format: the body text and its content type. JSON formats follow
 * the spec's `AudioTranscriptionResponse` and OpenAI's verbose/diarized shapes.
 */
export function formatTranscript(
  result: TranscriptResult,
  format: TranscriptFormat,
  options: TranscriptFormatOptions = {},
): { contentType: string; body: string } {
  const text = transcriptText(result);
  const duration = seconds(result.durationMs);
  const usage = options.usage ?? { type: 'duration', seconds: Math.ceil(duration) };
  switch (format) {
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: `${text}\n` };
    case 'srt':
      return { contentType: 'text/plain; charset=utf-8', body: toSrt(result.segments) };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: toVtt(result.segments) };
    case 'json':
      return json({ text, usage });
    case 'diarized_json':
      return json({
        task: result.task,
        duration,
        text,
        // The emulator does not tell voices apart: every segment is speaker A, honestly.
        segments: result.segments.map((s, i) => ({
          type: 'transcript.text.segment',
          id: `seg_${i}`,
          start: seconds(s.startMs),
          end: seconds(s.endMs),
          text: s.text,
          speaker: 'A',
        })),
        usage,
      });
    case 'verbose_json': {
      const granularities = options.granularities && options.granularities.length > 0 ? options.granularities : ['segment'];
      const body: Record<string, unknown> = { task: result.task, language: result.language, duration, text };
      if (granularities.includes('segment')) {
        body['segments'] = result.segments.map((s, i) => ({
          id: i,
          seek: 0,
          start: seconds(s.startMs),
          end: seconds(s.endMs),
          text: s.text,
          tokens: [],
          temperature: 0,
          avg_logprob: 0,
          compression_ratio: 1,
          no_speech_prob: 0,
        }));
      }
      if (granularities.includes('word')) {
        body['words'] = result.segments.flatMap((s) => s.words.map((w) => ({ word: w.word, start: seconds(w.startMs), end: seconds(w.endMs) })));
      }
      body['usage'] = usage;
      return json(body);
    }
  }
}

function json(value: unknown): { contentType: string; body: string } {
  return { contentType: 'application/json', body: JSON.stringify(value) };
}
