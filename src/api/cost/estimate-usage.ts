import type { BillableUsage } from './billable-usage.js';
import type { PriceSheet } from './price-sheet.js';

/**
 * Audio input tokens per second of audio: OpenAI's published rate for audio input to its gpt-4o audio models
 * (1 token per 100 ms). Used only for estimates before a call; the answer's own usage is what gets recorded.
 */
export const AUDIO_INPUT_TOKENS_PER_SECOND = 10;
/** Audio output tokens per second of generated speech (OpenAI: 1 token per 50 ms). Estimates only. */
export const AUDIO_OUTPUT_TOKENS_PER_SECOND = 20;

/** A usage expected before a call, and what it assumes. */
export interface ExpectedUsage {
  readonly usage: BillableUsage | undefined;
  readonly assumptions: readonly string[];
}

/**
 * What a transcription or translation of `durationMs` of audio is expected to use, in the sheet's unit. Tokens:
 * audio input at {@link AUDIO_INPUT_TOKENS_PER_SECOND}, text output at `outputTokensPerSecond` (default 4, about
 * 180 spoken words a minute); both are stated in `assumptions`.
 */
export function expectedTranscriptionUsage(sheet: PriceSheet, durationMs: number, outputTokensPerSecond = 4): ExpectedUsage {
  const seconds = Math.max(0, durationMs) / 1000;
  switch (sheet.unit) {
    case 'minutes':
    case 'seconds':
      return { usage: { kind: 'duration', seconds }, assumptions: [] };
    case 'requests':
      return { usage: { kind: 'request' }, assumptions: [] };
    case 'tokens': {
      const input = Math.ceil(seconds * AUDIO_INPUT_TOKENS_PER_SECOND);
      const output = Math.ceil(seconds * outputTokensPerSecond);
      return {
        usage: { kind: 'tokens', inputTokens: input, inputAudioTokens: input, outputTokens: output, outputTextTokens: output },
        assumptions: [`${AUDIO_INPUT_TOKENS_PER_SECOND} audio input tokens per second`, `${outputTokensPerSecond} text output tokens per second of audio`],
      };
    }
    default:
      return { usage: undefined, assumptions: [] };
  }
}

/**
 * What speaking `characters` characters is expected to use. Tokens: text input at 4 characters a token, audio
 * output at {@link AUDIO_OUTPUT_TOKENS_PER_SECOND} for speech at 15 characters a second (stated in `assumptions`).
 */
export function expectedSpeechUsage(sheet: PriceSheet, characters: number): ExpectedUsage {
  switch (sheet.unit) {
    case 'characters':
      return { usage: { kind: 'characters', characters }, assumptions: [] };
    case 'requests':
      return { usage: { kind: 'request' }, assumptions: [] };
    case 'minutes':
    case 'seconds':
      return { usage: { kind: 'duration', seconds: characters / 15 }, assumptions: ['speech at 15 characters per second'] };
    case 'tokens': {
      const input = Math.ceil(characters / 4);
      const output = Math.ceil((characters / 15) * AUDIO_OUTPUT_TOKENS_PER_SECOND);
      return {
        usage: { kind: 'tokens', inputTokens: input, inputTextTokens: input, outputTokens: output, outputAudioTokens: output },
        assumptions: ['4 characters per text token', `speech at 15 characters per second, ${AUDIO_OUTPUT_TOKENS_PER_SECOND} audio tokens per second`],
      };
    }
    default:
      return { usage: undefined, assumptions: [] };
  }
}
