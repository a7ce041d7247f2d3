import { TokenLabAudioError } from '../core/errors.js';
import { ApiError, ConnectionError, TimeoutError } from '../transports/http-errors.js';
import { FfmpegNotFoundError } from '../codecs/ffmpeg/ffmpeg-errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** The exit code for an error (see {@link EXIT}). */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof TimeoutError || error instanceof ConnectionError) return EXIT.network;
  if (error instanceof ApiError) return error.status === 0 ? EXIT.network : EXIT.api;
  if (error instanceof FfmpegNotFoundError || (error as { code?: string } | null)?.code === 'TLA_ERR_NEEDS_FFMPEG') return EXIT.environment;
  if ((error as { name?: string } | null)?.name === 'AbortError') return EXIT.interrupted;
  if (error instanceof TokenLabAudioError) return EXIT.input;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EEXIST') return EXIT.input;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') return EXIT.network;
  return EXIT.failure;
}

/**
 * A short message for people: what went wrong, the request id and the server's hints (suggestions,
 * validation errors). Secrets in `redact` are replaced even if some layer let them through.
 */
export function describeError(error: unknown, redact: readonly (string | undefined)[] = []): string {
  let message: string;
  if (error instanceof ApiError) {
    const parts = [error.message];
    if (error.validationErrors.length > 0 && !error.message.includes(error.validationErrors[0]!.message ?? "")) {
      parts.push(...error.validationErrors.map((v) => `  ${v.field}: ${v.message}`));
    }
    if (error.suggestions.length > 0 && !error.message.includes(error.suggestions[0]!)) parts.push(`  did you mean: ${error.suggestions.join(', ')}`);
    if (error.requestId && !error.message.includes(error.requestId)) parts.push(`  request id: ${error.requestId}`);
    message = parts.join('\n');
  } else if (error instanceof Error) {
    message = error.message;
  } else {
    message = String(error);
  }
  const tooLarge = (error as { code?: string } | null)?.code === 'TLA_ERR_INPUT_TOO_LARGE' || (error instanceof ApiError && error.status === 413);
  if (tooLarge) message += '\n  with this CLI: tokenlab-audio split FILE -o parts/ cuts it at pauses into files to transcribe one by one';
  message = inCliWords(message);
  for (const secret of redact) {
    if (secret && secret.length >= 4) message = message.split(secret).join('<redacted>');
  }
  return message;
}

/**
 * The library's messages name its options (`{ apiKey }`, `allowSecrets: true`, …); on the command line the same advice
 * is a flag. Each rule rewrites one such phrase.
 */
const CLI_WORDING: readonly (readonly [RegExp, string])[] = [
  [/pass new TokenLab\(\{ apiKey \}\)/g, 'pass --api-key KEY'],
  [/pass \{ apiKey \}/g, 'pass --api-key KEY'],
  [/point baseURL at it/g, 'point --base-url (or TOKENLAB_BASE_URL) at it'],
  [/pass allowSecrets: true/g, 'pass --allow-secrets'],
  [/raise uploadLimitBytes/g, 'raise --upload-limit-bytes'],
  [/uploadLimitBytes/g, '--upload-limit-bytes'],
  [/raise deadlineMs \(CLI: --timeout\)/g, 'raise --timeout'],
  [/ If it is raw PCM or G\.711, declare it with \{ from \}\./g, ''],
  [/ or set FFMPEG_PATH \/ \{ ffmpegPath \}/g, ' or set FFMPEG_PATH to an ffmpeg executable'],
  [/\{ ffmpegPath \}/g, 'FFMPEG_PATH'],
  [/^decode: (?:web )?Readable /, 'decode: the input '],
  [/A Readable upload/g, 'Audio from stdin'],
];

/** `message` with library option names replaced by the CLI's flags (see {@link CLI_WORDING}). */
export function inCliWords(message: string): string {
  let out = message;
  for (const [pattern, replacement] of CLI_WORDING) out = out.replace(pattern, replacement);
  return out;
}
