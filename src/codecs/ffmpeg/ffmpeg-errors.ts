import { TokenLabAudioError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/error-codes.js';

/** One place we looked for an ffmpeg binary, and why it was not usable. */
export interface FfmpegCandidate {
  /** Where the candidate came from (`option`, `FFMPEG_PATH`, `ffmpeg-static`, `PATH`, `@ffmpeg-installer/ffmpeg`). */
  readonly source: string;
  /** The path tried, or `undefined` when the source gave none (package not installed, variable unset). */
  readonly path: string | undefined;
  /** Why it was rejected, e.g. `not set`, `not installed`, `file does not exist`. */
  readonly reason: string;
}

/**
 * No usable ffmpeg binary was found. The message lists every place tried and how to fix it
 * (install one, or point `FFMPEG_PATH` / the `ffmpegPath` option at one). Code `TLA_ERR_FFMPEG_NOT_FOUND`.
 */
export class FfmpegNotFoundError extends TokenLabAudioError {
  static override brandName = 'FfmpegNotFoundError';
  /** Every candidate looked at, in resolution order. */
  readonly tried: readonly FfmpegCandidate[];

  constructor(tried: readonly FfmpegCandidate[], options?: { cause?: unknown }) {
    const lines = tried.map((c) => `  - ${c.source}${c.path === undefined ? '' : ` (${c.path})`}: ${c.reason}`);
    super(
      `ffmpeg was not found. Tried, in order:\n${lines.join('\n')}\n` +
        'Install one (`npm install @ffmpeg-installer/ffmpeg` or `npm install ffmpeg-static`, or your system package ' +
        'manager: `apt install ffmpeg`, `brew install ffmpeg`, `winget install ffmpeg`), or point the FFMPEG_PATH ' +
        'environment variable or the `ffmpegPath` option at an ffmpeg executable.',
      'TLA_ERR_FFMPEG_NOT_FOUND',
      options,
    );
    this.tried = Object.freeze([...tried]);
  }
}

/**
 * An ffmpeg child process failed: it exited with a non-zero code, was killed by a signal we did not
 * send, or could not be spawned. Carries the exit code, the signal, the last bytes of its stderr and
 * its arguments. Code `TLA_ERR_FFMPEG`.
 */
export class FfmpegError extends TokenLabAudioError {
  static override brandName = 'FfmpegError';
  /** The exit code, or `null` when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  /** The signal that ended the process (`SIGKILL`, …), or `null`. */
  readonly signal: string | null;
  /** The last few KB of ffmpeg's stderr (UTF-8, trimmed), the place where ffmpeg says what went wrong. */
  readonly stderrTail: string;
  /** The arguments ffmpeg was run with (not including the binary). */
  readonly args: readonly string[];

  constructor(
    message: string,
    details: { exitCode: number | null; signal: string | null; stderrTail: string; args: readonly string[] },
    options?: { cause?: unknown; code?: ErrorCode },
  ) {
    const tail = details.stderrTail.trim();
    super(tail ? `${message}\nffmpeg said:\n${tail}` : message, options?.code ?? 'TLA_ERR_FFMPEG', options);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderrTail = tail;
    this.args = Object.freeze([...details.args]);
  }
}
