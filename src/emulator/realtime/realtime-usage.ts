/** Token counts of one side of a response (text and audio). */
export interface TokenCounts {
  text: number;
  audio: number;
}

/** Text tokens of a string: about four characters each, at least one for non-empty text. */
export function textTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** Audio tokens of user (input) audio: one per 100 ms. */
export function inputAudioTokens(durationMs: number): number {
  return Math.ceil(Math.max(0, durationMs) / 100);
}

/** Audio tokens of assistant (output) audio: one per 50 ms. */
export function outputAudioTokens(durationMs: number): number {
  return Math.ceil(Math.max(0, durationMs) / 50);
}

/**
 * The `usage` object of `response.done`. Input is the whole context the response was generated from
 * (instructions, tools and every conversation item), as the API bills it, so cost grows with the
 * conversation; nothing is reported as cached. Priced with the catalog's `input_per_1m` and
 * `output_per_1m`: cost = input_tokens × input + output_tokens × output (per million).
 */
export function responseUsage(input: TokenCounts, output: TokenCounts): Record<string, unknown> {
  const inputTokens = input.text + input.audio;
  const outputTokens = output.text + output.audio;
  return {
    total_tokens: inputTokens + outputTokens,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    input_token_details: {
      cached_tokens: 0,
      text_tokens: input.text,
      image_tokens: 0,
      audio_tokens: input.audio,
      cached_tokens_details: { text_tokens: 0, image_tokens: 0, audio_tokens: 0 },
    },
    output_token_details: { text_tokens: output.text, audio_tokens: output.audio },
  };
}
