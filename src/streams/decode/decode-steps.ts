import type { Duplex } from 'node:stream';
import { FormatError } from '../../core/errors.js';
import { describePcmFormat, samePcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { FfmpegProcess } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { FrameAligner } from '../../codecs/frame-aligner.js';
import type { G711Law } from '../../codecs/g711/g711.js';
import { G711Decoder } from '../../codecs/g711/g711-transform.js';
import { OggOpusDecoder } from '../../codecs/ogg/ogg-opus-decoder.js';
import { OggPageCheck } from '../../codecs/ogg/ogg-page-check.js';
import { opusBackendName, type OpusSampleRate } from '../../codecs/opus/opus.js';
import { WavReader, type WavTruncation } from '../../codecs/wav/wav-reader.js';
import { WebmOpusDecoder } from '../../codecs/opus/webm-opus-decoder.js';
import { ResampleStream } from '../resample-stream.js';
import type { DecodeOptions } from './decode-options.js';
import { ffmpegDecodeArgs, type FfmpegDecodeInput } from './ffmpeg-decode-args.js';

/** One stage of a decode chain and how the `pipeline` names it. */
export interface BuiltStage {
  readonly stage: Duplex;
  readonly label: string;
}

/** What a step may use and report while it builds its stages. */
export interface StepContext {
  /** What the input is, for messages (`file talk.mp3`, `Readable`, …). */
  readonly inputLabel: string;
  readonly to: PcmFormat | undefined;
  readonly options: DecodeOptions;
  /** The file ffmpeg reads (the input's own, or its spooled copy); undefined when it reads stdin. */
  readonly ffmpegFile: string | undefined;
  /** Registers a fault found at the end (truncation, damage), reported after all audio. */
  atEnd(check: () => Error | undefined): void;
  /** Reports the output format when a stage learns it at run time (ffmpeg's WAV header). */
  setFormat(format: PcmFormat): void;
  /** Bounds the bytes handed to the first stage per event-loop turn (CPU-heavy decoders). */
  setFeedSlice(byteLength: number): void;
  /** PCM bytes delivered so far (for checks at the end). */
  deliveredBytes(): number;
}

/** Builds the stages of one step of a decode plan. */
export type StepBuilder = (ctx: StepContext) => BuiltStage[];

// About 0.5 s of 64 kb/s Opus, decoded in well under 10 ms: the most decoding done per event-loop turn.
const OPUS_FEED_SLICE_BYTES = 4096;

function reportTruncation(ctx: StepContext): boolean {
  return (ctx.options.onTruncated ?? 'error') === 'error';
}

function reportDamage(ctx: StepContext): boolean {
  return (ctx.options.onDamaged ?? 'error') === 'error';
}

function damagedError(ctx: StepContext, what: string): FormatError {
  return new FormatError(
    `decode: ${ctx.inputLabel} is damaged: ${what}. The audio around the damage was decoded and delivered; pass { onDamaged: 'ignore' } to accept it silently.`,
    'TLA_ERR_DECODE_DAMAGED',
  );
}

/** WAV in-process; a data chunk shorter than its header says is reported at the end. */
export function wavReaderStep(native: PcmFormat): StepBuilder {
  return (ctx) => {
    const reader = new WavReader({ encoding: native.encoding, onTruncated: 'warn' });
    let truncation: WavTruncation | undefined;
    reader.once('truncated', (info: WavTruncation) => (truncation = info));
    ctx.atEnd(() =>
      truncation && reportTruncation(ctx)
        ? new FormatError(
            `decode: the WAV data of ${ctx.inputLabel} is truncated: the header announces ${truncation.expectedByteLength} bytes, ${truncation.receivedByteLength} arrived. Everything before was decoded.`,
            'TLA_ERR_TRUNCATED',
          )
        : undefined,
    );
    return [{ stage: reader, label: 'wav-reader' }];
  };
}

/** Raw PCM: only whole sample frames go on. */
export function frameAlignerStep(native: PcmFormat): StepBuilder {
  return () => [{ stage: new FrameAligner(native.channels * (native.encoding === 's16le' ? 2 : 4)), label: 'frame-aligner' }];
}

/** G.711 to s16le; one byte per sample, so multi-channel output is re-aligned to whole frames. */
export function g711Step(law: G711Law, channels: number): StepBuilder {
  return () => {
    const stages: BuiltStage[] = [{ stage: new G711Decoder({ law }), label: 'g711-decoder' }];
    if (channels > 1) stages.push({ stage: new FrameAligner(channels * 2), label: 'frame-aligner' });
    return stages;
  };
}

/** Ogg/Opus in-process: pages with a bad CRC and packets the codec rejects are reported at the end. */
export function oggOpusStep(sampleRate: OpusSampleRate = 48_000): StepBuilder {
  return (ctx) => {
    const decoder = new OggOpusDecoder({ sampleRate, onTruncated: 'warn', onCorrupt: 'silence' });
    let truncated = false;
    decoder.once('truncated', () => (truncated = true));
    ctx.atEnd(() => {
      if (truncated && reportTruncation(ctx)) {
        return new FormatError(`decode: the Ogg stream (${ctx.inputLabel}) is truncated: it ends inside a page. Everything before was decoded.`, 'TLA_ERR_TRUNCATED');
      }
      const { badPages } = decoder.stats;
      const badPackets = decoder.corruptPackets;
      if ((badPages > 0 || badPackets > 0) && reportDamage(ctx)) {
        const parts = [badPages > 0 ? `${badPages} Ogg page(s) failed their CRC and were dropped` : '', badPackets > 0 ? `${badPackets} Opus packet(s) could not be decoded and became silence` : ''];
        return damagedError(ctx, parts.filter(Boolean).join('; '));
      }
      return undefined;
    });
    ctx.setFeedSlice(OPUS_FEED_SLICE_BYTES);
    return [{ stage: decoder, label: `ogg-opus-decoder (${opusBackendName()})` }];
  };
}

/** WebM/Opus in-process: truncation and undecodable packets are reported at the end. */
export function webmOpusStep(): StepBuilder {
  return (ctx) => {
    const decoder = new WebmOpusDecoder({ onTruncated: 'warn', onCorrupt: 'silence' });
    let truncated = false;
    decoder.once('truncated', () => (truncated = true));
    ctx.atEnd(() => {
      if (truncated && reportTruncation(ctx)) {
        return new FormatError(`decode: the WebM stream (${ctx.inputLabel}) is truncated: it ends inside an element. Everything before was decoded.`, 'TLA_ERR_TRUNCATED');
      }
      if (decoder.corruptPackets > 0 && reportDamage(ctx)) {
        return damagedError(ctx, `${decoder.corruptPackets} Opus packet(s) could not be decoded and became silence`);
      }
      return undefined;
    });
    ctx.setFeedSlice(OPUS_FEED_SLICE_BYTES);
    return [{ stage: decoder, label: `webm-opus-decoder (${opusBackendName()})` }];
  };
}

/** The in-process resampler from `native` to `to` (nothing when they match). */
export function resampleStep(native: PcmFormat): StepBuilder {
  return (ctx) => {
    const to = ctx.to;
    if (!to || samePcmFormat(native, to)) return [];
    const quality = ctx.options.quality;
    return [{ stage: new ResampleStream({ from: native, to, ...(quality ? { quality } : {}) }), label: `resample ${describePcmFormat(native)} → ${describePcmFormat(to)}` }];
  };
}

/** What the ffmpeg step needs to know about the input beyond where ffmpeg reads it. */
export interface FfmpegStepInput extends Omit<FfmpegDecodeInput, 'file'> {
  /** Check Ogg page CRCs on the way in (ffmpeg 4 drops bad pages silently). */
  readonly checkOggPages: boolean;
  /**
   * The exact length the input's header announces (an MP3's Xing/LAME header): less audio than that
   * means the file was cut, which ffmpeg does not always report.
   */
  readonly announced?: { readonly sampleFrames: number; readonly sampleRate: number; readonly frameSlack: number } | undefined;
}

/**
 * ffmpeg, reading stdin or a file, writing a streamed WAV that our reader parses (so the output
 * format is read, not guessed). Errors ffmpeg prints while still exiting 0 fail the decode after the
 * audio (unless the caller ignores damage or truncation).
 */
export function ffmpegStep(input: FfmpegStepInput): StepBuilder {
  return (ctx) => {
    const options = ctx.options;
    const file = ctx.ffmpegFile;
    const args = ffmpegDecodeArgs({ ...input, file, durationSeconds: file === undefined ? input.durationSeconds : undefined }, ctx.to);
    const tolerant = options.onDamaged === 'ignore' || options.onTruncated === 'ignore';
    const stages: BuiltStage[] = [];
    if (input.checkOggPages && file === undefined) {
      const check = new OggPageCheck();
      ctx.atEnd(() => (check.damagedPages > 0 && reportDamage(ctx) ? damagedError(ctx, `${check.damagedPages} Ogg page(s) failed their CRC`) : undefined));
      stages.push({ stage: check, label: 'ogg-page-check' });
    }
    const proc = new FfmpegProcess({ args, ffmpegPath: options.ffmpegPath, stdin: file === undefined ? 'pipe' : 'none', errorOutput: tolerant ? 'ignore' : 'fail' });
    const to = ctx.to;
    const reader = new WavReader({ onTruncated: 'warn', ...(to ? { encoding: to.encoding } : {}) });
    reader.once('format', (format: PcmFormat) => ctx.setFormat(format));
    const announced = input.announced;
    if (announced) {
      ctx.atEnd(() => {
        const out = reader.format;
        if (!out || !reportTruncation(ctx)) return undefined;
        const ratio = out.sampleRate / announced.sampleRate;
        const got = ctx.deliveredBytes() / (out.channels * (out.encoding === 's16le' ? 2 : 4));
        if (got >= (announced.sampleFrames - announced.frameSlack) * ratio) return undefined;
        return new FormatError(
          `decode: ${ctx.inputLabel} is truncated: its header announces ${announced.sampleFrames} samples ` +
            `(${(announced.sampleFrames / announced.sampleRate).toFixed(3)} s), and only ${Math.round(got / ratio)} were decoded. Everything before was delivered.`,
          'TLA_ERR_TRUNCATED',
        );
      });
    }
    stages.push({ stage: proc, label: `ffmpeg ${args.join(' ')}` }, { stage: reader, label: 'wav-reader' });
    return stages;
  };
}
