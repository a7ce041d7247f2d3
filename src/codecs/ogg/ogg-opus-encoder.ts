import { Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { OggOpusMuxer, OPUS_DEFAULT_PRE_SKIP } from './ogg-opus-muxer.js';
import { OpusEncoder, type OpusEncoderOptions } from '../opus/opus.js';

/** Options of {@link OggOpusEncoder}: the encoder's, plus the Ogg ones. */
export interface OggOpusEncoderOptions extends OpusEncoderOptions {
  /** Audio per Ogg page in ms (see {@link OggOpusMuxer}). Default 200; use 20 for live streams. */
  pageDurationMs?: number | undefined;
  serial?: number | undefined;
  tags?: Readonly<Record<string, string>> | undefined;
}

/**
 * PCM (s16le at an Opus rate, mono or stereo, any chunking) in, a standard Ogg/Opus byte stream
 * out, with no ffmpeg: OpusEncoder + OggOpusMuxer, with the pre-skip set from the encoder's delay
 * and the last granule set so that decoders return exactly the samples that went in.
 */
export class OggOpusEncoder extends Transform {
  readonly format: PcmFormat;
  readonly #encoder: OpusEncoder;
  readonly #muxer: OggOpusMuxer;
  #inputBytes = 0;
  readonly #preSkip: number;

  constructor(options: OggOpusEncoderOptions = {}) {
    super();
    this.#encoder = new OpusEncoder({ ...options, signal: undefined });
    this.format = this.#encoder.format;
    this.#preSkip = options.application === 'lowdelay' ? 120 : OPUS_DEFAULT_PRE_SKIP;
    try {
      this.#muxer = new OggOpusMuxer({
        channels: this.format.channels as 1 | 2,
        preSkip: this.#preSkip,
        inputSampleRate: this.format.sampleRate,
        pageDurationMs: options.pageDurationMs,
        serial: options.serial,
        tags: options.tags,
      });
    } catch (err) {
      // Bad muxer options: release the codec made above instead of stranding it.
      this.#encoder.destroy();
      throw err;
    }
    if (options.signal) addAbortSignal(options.signal, this);
  }

  readonly #toPage = (page: Buffer): void => {
    this.push(page);
  };
  // Encoder and muxer are driven synchronously inside our own callbacks, so backpressure is ours.
  readonly #toMuxer = (packet: Buffer): void => {
    this.#muxer.writePacket(packet, this.#toPage);
  };

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#inputBytes += chunk.length;
      this.#encoder.encodeChunk(chunk, this.#toMuxer);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // The decoder drops the encoder's delay (pre-skip) from the start, so the last input sample
      // only comes out after that much more audio: flush it with silence, then trim by granule.
      if (this.#inputBytes > 0) {
        const delayFrames = Math.ceil((this.#preSkip * this.format.sampleRate) / 48000);
        this.#encoder.encodeChunk(Buffer.alloc(delayFrames * 2 * this.format.channels), this.#toMuxer);
      }
      this.#encoder.finish(this.#toMuxer);
      const frames = this.#inputBytes / (2 * this.format.channels);
      this.#muxer.setTotalSamples((frames * 48000) / this.format.sampleRate);
      this.#muxer.finish(this.#toPage);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#encoder.destroy();
    this.#muxer.destroy();
    callback(err);
  }
}
