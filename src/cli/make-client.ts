import { TokenLab } from '../client.js';
import type { CliIo, CommonFlags } from './cli-io.js';
import { secondsOption } from './parse-command-args.js';

/**
 * A client from `--api-key` / `--base-url` / `--timeout`, else `TOKENLAB_API_KEY` / `TOKENLAB_BASE_URL` /
 * `TOKENLAB_TIMEOUT`. The timeout is each call's overall deadline; without one, each operation keeps its default
 * (model list 60 s, speech 15 min, transcription 1 h).
 */
export function makeClient(io: CliIo, flags: CommonFlags, extra: { uploadLimitBytes?: number } = {}): TokenLab {
  const deadlineMs = flags.timeoutMs ?? secondsOption('', 'TOKENLAB_TIMEOUT', io.env['TOKENLAB_TIMEOUT']);
  return new TokenLab({
    apiKey: flags.apiKey ?? io.env['TOKENLAB_API_KEY'],
    baseURL: flags.baseURL ?? io.env['TOKENLAB_BASE_URL'],
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(extra.uploadLimitBytes !== undefined ? { uploadLimitBytes: extra.uploadLimitBytes } : {}),
  });
}
