import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { ffmpegArgs, type FfmpegInputOptions } from '../../codecs/ffmpeg/ffmpeg-args.js';
import { CENTER_MIX, SURROUND_MIX } from '../../core/pcm/pcm-convert.js';

/** What ffmpeg is told about its input. */
export interface FfmpegDecodeInput {
  /** A file ffmpeg reads (and can seek in), or undefined for stdin. */
  readonly file: string | undefined;
  /** Demuxer (`-f`), raw layout for headerless samples. */
  readonly format?: string | undefined;
  readonly sampleRate?: number | undefined;
  readonly channels?: number | undefined;
  /**
   * Exact length of the input's audio in seconds, when known from its header (an MP3's LAME tag): read
   * from a pipe, ffmpeg cannot trim the encoder padding at the end, so the input is cut here instead.
   */
  readonly durationSeconds?: number | undefined;
}

/**
 * ffmpeg's channel down-mix, pinned to the coefficients the in-process one uses: centre and surrounds
 * at −3 dB, LFE dropped, and normalised so no sum can clip, whatever the output sample format (ffmpeg
 * would otherwise normalise for s16 output but not for float).
 */
export const FFMPEG_DOWNMIX_FILTER = `aresample=rematrix_maxval=1:clev=${CENTER_MIX.toFixed(6)}:slev=${SURROUND_MIX.toFixed(6)}:lfe_mix_level=0`;

/**
 * The arguments of a decode through ffmpeg: the input, then a streamed WAV on stdout (header first, so
 * the output format is read rather than guessed), converted to `to` when given.
 */
export function ffmpegDecodeArgs(input: FfmpegDecodeInput, to: PcmFormat | undefined): string[] {
  const options: FfmpegInputOptions = {
    format: input.format,
    sampleRate: input.sampleRate,
    channels: input.channels,
  };
  const extra: string[] = [];
  if (input.file === undefined) {
    // From a pipe, ffmpeg would otherwise wait for 5 MB or 5 s of input to "analyze" it before the
    // first sample: a stream (a TTS response) would start late, and a live one not at all.
    extra.push('-probesize', '4096', '-analyzeduration', '0');
  }
  // Microsecond precision with a quarter sample to spare, so ffmpeg's rounding lands on the exact sample.
  if (input.durationSeconds !== undefined) extra.push('-t', input.durationSeconds.toFixed(6));
  options.extra = extra;
  return ffmpegArgs()
    .input(input.file ?? 'pipe:0', options)
    .output('pipe:1', {
      format: 'wav',
      codec: to?.encoding === 'f32le' ? 'pcm_f32le' : 'pcm_s16le',
      ...(to ? { sampleRate: to.sampleRate, channels: to.channels, filters: [FFMPEG_DOWNMIX_FILTER] } : {}),
      // Hand each decoded packet over at once rather than in 32 KB blocks.
      extra: ['-flush_packets', '1'],
    })
    .build();
}
