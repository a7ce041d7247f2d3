import { InputError } from '../../core/errors.js';
import { pcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import type { ResampleQuality } from '../../core/resampler/resampler.js';
import type { AudioContainer } from '../../codecs/sniff.js';

/**
 * How {@link decode} turned the bytes into PCM: in-process (`wav`, `pcm`, `g711`, `ogg-opus`,
 * `webm-opus`) or through ffmpeg (`ffmpeg:<container>`, e.g. `ffmpeg:mp3`, `ffmpeg:unknown`).
 */
export type DecodePath = 'wav' | 'pcm' | 'g711' | 'ogg-opus' | 'webm-opus' | `ffmpeg:${string}`;

/** Raw G.711 bytes (no header): rate and channels must be declared. */
export interface G711Layout {
  readonly sampleRate: number;
  readonly channels?: number;
  readonly encoding: 'mulaw' | 'alaw';
}

/**
 * What the caller says the bytes are. A {@link PcmFormat} or {@link G711Layout} declares headerless
 * samples; a container name is a hint for ffmpeg. Either way the bytes are sniffed first and win
 * when they carry a known signature (a WAV answered to a `pcm` request is parsed as WAV).
 */
export type DecodeFrom = PcmFormat | G711Layout | Exclude<AudioContainer, 'unknown' | 'pcm'>;

/** Options of {@link decode}. */
export interface DecodeOptions {
  /**
   * Output PCM layout. Default: the source's own (rate, channels; s16le unless the source is float or
   * >16-bit WAV). Fewer channels than the source are a standard down-mix (see `remixChannels`):
   * surround channels attenuated by 3 dB, LFE dropped, normalised so the sum cannot clip, the same
   * in-process and through ffmpeg.
   */
  to?: PcmFormat;
  /** What the bytes are, when they have no header (raw PCM, G.711) or as a hint. */
  from?: DecodeFrom;
  /** The Content-Type the bytes came with (e.g. an HTTP response's). */
  contentType?: string;
  /** Resampler quality when a rate conversion runs in-process. */
  quality?: ResampleQuality;
  /** `'auto'` (default): the cheapest path; `'ffmpeg'`: always ffmpeg (comparison, odd files). */
  decoder?: 'auto' | 'ffmpeg';
  /**
   * A stream that ends before its header or pages say: `'error'` (default) delivers all audio, then
   * fails with a FormatError (`TLA_ERR_TRUNCATED`); `'ignore'` ends normally (live streams cut on purpose).
   */
  onTruncated?: 'error' | 'ignore';
  /**
   * Damaged data (Ogg pages whose CRC fails, Opus packets the codec rejects, errors ffmpeg reports
   * while it carries on): `'error'` (default) delivers all audio, then fails with a FormatError
   * (`TLA_ERR_DECODE_DAMAGED`); `'ignore'` ends normally. ffmpeg cannot tell a cut stream from a
   * damaged one, so its errors are ignored when either this or `onTruncated` is `'ignore'`.
   */
  onDamaged?: 'error' | 'ignore';
  /**
   * Largest input stored in a temporary file when the container must be read from a file (an MP4 or
   * M4A whose index comes after the media, given as a stream or Buffer). Default 1 GiB; more fails
   * with an InputError (`TLA_ERR_SPOOL_LIMIT`). The file is removed when the stream closes.
   */
  spoolLimitBytes?: number;
  ffmpegPath?: string;
  /** Aborting destroys the stream with an `AbortError` and stops any ffmpeg child. */
  signal?: AbortSignal;
}

/** Default {@link DecodeOptions.spoolLimitBytes}. */
export const DEFAULT_SPOOL_LIMIT_BYTES = 1024 ** 3;

/** ffmpeg demuxer names for container hints when the bytes themselves say nothing. */
export const FFMPEG_DEMUXER: Partial<Record<AudioContainer, string>> = {
  wav: 'wav', ogg: 'ogg', webm: 'matroska', matroska: 'matroska', mp3: 'mp3', flac: 'flac', aac: 'aac', mp4: 'mov',
};

/** The Content-Type a container hint stands for (so sniffing can weigh it like a server's label). */
export function hintContentType(container: string): string | undefined {
  const map: Record<string, string> = {
    wav: 'audio/wav', ogg: 'audio/ogg', webm: 'audio/webm', matroska: 'audio/x-matroska', mp3: 'audio/mpeg',
    flac: 'audio/flac', aac: 'audio/aac', mp4: 'audio/mp4',
  };
  return map[container];
}

export function isPcmFormat(x: DecodeFrom | undefined): x is PcmFormat {
  return typeof x === 'object' && x !== null && (x.encoding === 's16le' || x.encoding === 'f32le');
}

export function isG711(x: DecodeFrom | undefined): x is G711Layout {
  return typeof x === 'object' && x !== null && (x.encoding === 'mulaw' || x.encoding === 'alaw');
}

/**
 * Checks the options before anything starts and returns `to` normalised.
 * @throws InputError naming the bad option.
 */
export function checkDecodeOptions(options: DecodeOptions): PcmFormat | undefined {
  if (options === null || typeof options !== 'object') throw new InputError('decode: options must be an object.');
  const to = options.to === undefined ? undefined : pcmFormat(options.to);
  checkFrom(options.from);
  if (options.decoder !== undefined && options.decoder !== 'auto' && options.decoder !== 'ffmpeg') {
    throw new InputError(`decode: decoder must be 'auto' or 'ffmpeg', got ${JSON.stringify(options.decoder)}.`, 'TLA_ERR_INPUT_OPTION');
  }
  for (const name of ['onTruncated', 'onDamaged'] as const) {
    const v = options[name];
    if (v !== undefined && v !== 'error' && v !== 'ignore') {
      throw new InputError(`decode: ${name} must be 'error' or 'ignore', got ${JSON.stringify(v)}.`, 'TLA_ERR_INPUT_OPTION');
    }
  }
  const limit = options.spoolLimitBytes;
  if (limit !== undefined && !(typeof limit === 'number' && Number.isInteger(limit) && limit >= 0)) {
    throw new InputError(`decode: spoolLimitBytes must be a whole number of bytes >= 0, got ${String(limit)}.`, 'TLA_ERR_INPUT_OPTION');
  }
  return to;
}

function checkFrom(from: DecodeFrom | undefined): void {
  if (from === undefined) return;
  if (typeof from === 'string') {
    if (!(from in FFMPEG_DEMUXER)) {
      throw new InputError(`decode: from ${JSON.stringify(from)} is unknown; use a PCM format, a G.711 layout, or one of ${Object.keys(FFMPEG_DEMUXER).join(', ')}.`);
    }
    return;
  }
  if (isG711(from)) {
    pcmFormat({ sampleRate: from.sampleRate, channels: from.channels ?? 1, encoding: 's16le' });
    return;
  }
  pcmFormat(from as PcmFormat);
}
