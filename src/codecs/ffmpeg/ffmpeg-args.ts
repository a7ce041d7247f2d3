import { InputError } from '../../core/errors.js';

/** ffmpeg's `-loglevel` values we allow. `error` is the default: quiet, but failures still reach stderr. */
export type FfmpegLogLevel = 'quiet' | 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'verbose' | 'debug';

/** Options placed before an `-i`. */
export interface FfmpegInputOptions {
  /** Demuxer (`-f`), e.g. `s16le`, `wav`, `ogg`, `alsa`. Needed for raw PCM and devices. */
  format?: string | undefined;
  /** Decoder (`-c:a`), e.g. `pcm_s16le`, `libopus`. */
  codec?: string | undefined;
  /** Input sample rate in Hz (`-ar`), for raw PCM. */
  sampleRate?: number | undefined;
  /** Input channel count (`-ac`), for raw PCM. */
  channels?: number | undefined;
  /** Start reading at this offset in ms (`-ss`). */
  seekMs?: number | undefined;
  /** Read at most this many ms (`-t`). */
  durationMs?: number | undefined;
  /** Read at native rate (`-re`): for live re-streaming, never for conversion. */
  realtime?: boolean | undefined;
  /** Further raw arguments placed before this `-i`, for options the builder does not model. */
  extra?: readonly string[] | undefined;
}

/** Options placed before an output URL. */
export interface FfmpegOutputOptions {
  /** Muxer (`-f`), e.g. `s16le`, `wav`, `ogg`, `mp3`, `adts`, `ipod`, `flac`, `webm`, `pulse`. */
  format?: string | undefined;
  /** Encoder (`-c:a`), e.g. `pcm_s16le`, `libopus`, `libmp3lame`, `aac`, `flac`, `copy`. */
  codec?: string | undefined;
  /** Output sample rate in Hz (`-ar`). */
  sampleRate?: number | undefined;
  /** Output channel count (`-ac`). */
  channels?: number | undefined;
  /** Bit rate (`-b:a`): bits per second as a number (`64000`), or ffmpeg's own form (`'64k'`). */
  bitrate?: number | string | undefined;
  /** Sample format (`-sample_fmt`), e.g. `s16`, `flt`. */
  sampleFormat?: string | undefined;
  /** Audio filters, joined with commas into one `-af`. */
  filters?: readonly string[] | undefined;
  /** Stop after this many ms of output (`-t`). */
  durationMs?: number | undefined;
  /** Container metadata (`-metadata key=value`). */
  metadata?: Readonly<Record<string, string>> | undefined;
  /** Keep video/subtitle/data streams. Default false: audio only (`-vn -sn -dn`), so cover art never breaks a pipe. */
  keepNonAudio?: boolean | undefined;
  /** Further raw arguments placed before this output, for options the builder does not model. */
  extra?: readonly string[] | undefined;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.,:+-]*$/;

function checkName(what: string, value: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InputError(`ffmpeg ${what} ${JSON.stringify(value)} is not a valid name (letters, digits, _ . , : + -).`);
  }
  return value;
}

function checkInt(what: string, value: number, min: number, max: number): string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`ffmpeg ${what} ${String(value)} must be a whole number from ${min} to ${max}.`);
  }
  return String(value);
}

function msToSeconds(what: string, ms: number): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InputError(`ffmpeg ${what} ${String(ms)} must be a finite number of ms >= 0.`);
  }
  // Seconds with ms precision, no exponent notation.
  return (Math.round(ms) / 1000).toFixed(3);
}

function checkBitrate(value: number | string): string {
  if (typeof value === 'number') return checkInt('bitrate', value, 1_000, 10_000_000);
  if (typeof value !== 'string' || !/^\d+(\.\d+)?[kKM]?$/.test(value)) {
    throw new InputError(`ffmpeg bitrate ${JSON.stringify(value)} must be bits per second (64000) or like '64k'.`);
  }
  return value;
}

/** A URL or path that starts with `-` would be read as an option; `file:` keeps it a path. */
function safeUrl(url: string): string {
  if (typeof url !== 'string' || url === '') throw new InputError('ffmpeg input/output must be a non-empty path or URL.');
  return url.startsWith('-') ? `file:${url}` : url;
}

/**
 * A small typed builder of ffmpeg argument arrays (never a shell string). Every build starts with
 * `-hide_banner -nostdin -loglevel error` and `-y` (or `-n`), so ffmpeg never waits on a prompt.
 *
 * @example
 * ffmpegArgs().input('pipe:0', { format: 's16le', sampleRate: 24000, channels: 1 })
 *   .output('pipe:1', { format: 'ogg', codec: 'libopus', bitrate: 32000 }).build();
 */
export class FfmpegArgs {
  #logLevel: FfmpegLogLevel = 'error';
  #overwrite = true;
  readonly #globals: string[] = [];
  readonly #inputs: string[] = [];
  readonly #outputs: string[] = [];
  #inputCount = 0;
  #outputCount = 0;

  /** Sets `-loglevel` (default `error`). */
  logLevel(level: FfmpegLogLevel): this {
    this.#logLevel = level;
    return this;
  }

  /** `true` (default) writes `-y`; `false` writes `-n` (fail instead of overwriting an existing file). */
  overwrite(overwrite: boolean): this {
    this.#overwrite = overwrite;
    return this;
  }

  /** Raw global options placed before the inputs (e.g. `-threads`, `1`). */
  global(...args: string[]): this {
    this.#globals.push(...args);
    return this;
  }

  /** Adds an input. `url` is a path, `pipe:0` (stdin), or a device/URL for the chosen `format`. */
  input(url: string, options: FfmpegInputOptions = {}): this {
    const a = this.#inputs;
    if (options.realtime) a.push('-re');
    if (options.format !== undefined) a.push('-f', checkName('input format', options.format));
    if (options.codec !== undefined) a.push('-c:a', checkName('input codec', options.codec));
    if (options.sampleRate !== undefined) a.push('-ar', checkInt('input sampleRate', options.sampleRate, 1, 1_000_000));
    if (options.channels !== undefined) a.push('-ac', checkInt('input channels', options.channels, 1, 64));
    if (options.seekMs !== undefined) a.push('-ss', msToSeconds('input seekMs', options.seekMs));
    if (options.durationMs !== undefined) a.push('-t', msToSeconds('input durationMs', options.durationMs));
    if (options.extra) a.push(...options.extra);
    a.push('-i', safeUrl(url));
    this.#inputCount++;
    return this;
  }

  /** Adds an output. `url` is a path, `pipe:1` (stdout), or a device for the chosen `format`. */
  output(url: string, options: FfmpegOutputOptions = {}): this {
    const a = this.#outputs;
    if (!options.keepNonAudio) a.push('-vn', '-sn', '-dn');
    if (options.codec !== undefined) a.push('-c:a', checkName('output codec', options.codec));
    if (options.sampleRate !== undefined) a.push('-ar', checkInt('output sampleRate', options.sampleRate, 1, 1_000_000));
    if (options.channels !== undefined) a.push('-ac', checkInt('output channels', options.channels, 1, 64));
    if (options.sampleFormat !== undefined) a.push('-sample_fmt', checkName('output sampleFormat', options.sampleFormat));
    if (options.bitrate !== undefined) a.push('-b:a', checkBitrate(options.bitrate));
    if (options.filters && options.filters.length > 0) a.push('-af', options.filters.join(','));
    if (options.durationMs !== undefined) a.push('-t', msToSeconds('output durationMs', options.durationMs));
    if (options.metadata) {
      for (const [k, v] of Object.entries(options.metadata)) a.push('-metadata', `${checkName('metadata key', k)}=${v}`);
    }
    if (options.extra) a.push(...options.extra);
    if (options.format !== undefined) a.push('-f', checkName('output format', options.format));
    a.push(safeUrl(url));
    this.#outputCount++;
    return this;
  }

  /**
   * The argument array (without the binary).
   * @throws InputError when no input or no output was added.
   */
  build(): string[] {
    if (this.#inputCount === 0) throw new InputError('ffmpeg arguments need at least one input.');
    if (this.#outputCount === 0) throw new InputError('ffmpeg arguments need at least one output.');
    return [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      this.#logLevel,
      this.#overwrite ? '-y' : '-n',
      ...this.#globals,
      ...this.#inputs,
      ...this.#outputs,
    ];
  }
}

/** Starts a new {@link FfmpegArgs} builder. */
export function ffmpegArgs(): FfmpegArgs {
  return new FfmpegArgs();
}
