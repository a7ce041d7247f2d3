/**
 * Usage of one billable call in one shape, read from whatever the API answered: a transcription's `usage`
 * (`{type:'tokens'}` or `{type:'duration'}`), speech's `speech.audio.done` usage, or a realtime `response.done`
 * `response.usage` (GA shape, with `input_token_details` / `output_token_details`).
 */

/** Token usage, with the audio/text/cached split when the answer had it. */
export interface TokenUsage {
  readonly kind: 'tokens';
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly inputAudioTokens?: number | undefined;
  readonly inputTextTokens?: number | undefined;
  readonly cachedInputTokens?: number | undefined;
  readonly outputAudioTokens?: number | undefined;
  readonly outputTextTokens?: number | undefined;
}

/** Seconds of audio billed (whisper-style `{type:'duration'}`). */
export interface DurationUsage {
  readonly kind: 'duration';
  readonly seconds: number;
}

/** Characters of speech input (models priced per character; the API sends no usage for them). */
export interface CharacterUsage {
  readonly kind: 'characters';
  readonly characters: number;
}

/** A call billed per request. */
export interface RequestUsage {
  readonly kind: 'request';
}

/** What one call used, in the unit it was measured in. */
export type BillableUsage = TokenUsage | DurationUsage | CharacterUsage | RequestUsage;

type Dict = Record<string, unknown>;
function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Reads the usage an API answer carried: the `usage` object itself, or a result/event holding one (a transcription
 * result, a `speech.audio.done` or `transcript.text.done` event, a realtime `response.done` event or its `response`).
 * Undefined when there is none: the caller says usage is missing rather than guessing it.
 */
export function billableUsageOf(answer: unknown): BillableUsage | undefined {
  if (!isDict(answer)) return undefined;
  if (isDict(answer.response) && isDict(answer.response.usage)) return billableUsageOf(answer.response.usage);
  if (isDict(answer.usage)) return billableUsageOf(answer.usage);
  if (answer.type === 'duration') {
    const seconds = count(answer.seconds);
    return seconds === undefined ? undefined : { kind: 'duration', seconds };
  }
  const input = count(answer.input_tokens);
  const output = count(answer.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  const inDetails = isDict(answer.input_token_details) ? answer.input_token_details : {};
  const outDetails = isDict(answer.output_token_details) ? answer.output_token_details : {};
  return {
    kind: 'tokens',
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    inputAudioTokens: count(inDetails.audio_tokens),
    inputTextTokens: count(inDetails.text_tokens),
    cachedInputTokens: count(inDetails.cached_tokens),
    outputAudioTokens: count(outDetails.audio_tokens),
    outputTextTokens: count(outDetails.text_tokens),
  };
}

/** Adds two usages of the same kind (a session's turns, a job's pieces); undefined when the kinds differ. */
export function addBillableUsage(a: BillableUsage, b: BillableUsage): BillableUsage | undefined {
  if (a.kind === 'duration' && b.kind === 'duration') return { kind: 'duration', seconds: a.seconds + b.seconds };
  if (a.kind === 'characters' && b.kind === 'characters') return { kind: 'characters', characters: a.characters + b.characters };
  if (a.kind === 'tokens' && b.kind === 'tokens') {
    const sum = (x: number | undefined, y: number | undefined) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
    return {
      kind: 'tokens',
      inputTokens: a.inputTokens + b.inputTokens,
      outputTokens: a.outputTokens + b.outputTokens,
      inputAudioTokens: sum(a.inputAudioTokens, b.inputAudioTokens),
      inputTextTokens: sum(a.inputTextTokens, b.inputTextTokens),
      cachedInputTokens: sum(a.cachedInputTokens, b.cachedInputTokens),
      outputAudioTokens: sum(a.outputAudioTokens, b.outputAudioTokens),
      outputTextTokens: sum(a.outputTextTokens, b.outputTextTokens),
    };
  }
  return undefined;
}
