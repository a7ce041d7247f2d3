import { TokenLab } from '../api/client.js';
import type { CliIo, CommonFlags } from './cli-io.js';

/** A client from `--api-key` / `--base-url`, else `TOKENLAB_API_KEY` / `TOKENLAB_BASE_URL`. */
export function makeClient(io: CliIo, flags: CommonFlags, extra: { uploadLimitBytes?: number } = {}): TokenLab {
  return new TokenLab({
    apiKey: flags.apiKey ?? io.env['TOKENLAB_API_KEY'],
    baseURL: flags.baseURL ?? io.env['TOKENLAB_BASE_URL'],
    ...(extra.uploadLimitBytes !== undefined ? { uploadLimitBytes: extra.uploadLimitBytes } : {}),
  });
}
