import { Transform, type TransformCallback } from 'node:stream';
import { InputError, abortError } from '../core/errors.js';
import { floatToS16 } from '../core/pcm/pcm-convert.js';
import { bytesPerFrame, pcmFormat, samePcmFormat, type PcmFormat } from '../core/pcm/pcm-format.js';
import { Resampler, type ResampleQuality } from '../core/resampler/resampler.js';

/** Options of {@link ResampleStream}. */
export interface ResampleStreamOptions {
  /** Format of the bytes written in. */
  from: PcmFormat;
  /** Format of the bytes read out (rate, channels and encoding may all differ from `from`). */
  to: PcmFormat;
  /** Resampler preset; defaults to `'default'`. */
  quality?: ResampleQuality;
  /** Destroys the stream with an `AbortError` when aborted. */
  signal?: AbortSignal;
}

/**
 * A Transform from PCM bytes in one {@link PcmFormat} to another: sample rate (see {@link Resampler}),
 * channel count and encoding (s16le / f32le).
 *
 * - Chunks of any size are fine (odd byte counts, 1-byte writes, empty chunks); a partial frame is
 *   carried to the next chunk, and every chunk pushed is whole frames. Output is bit-identical
 *   whatever the chunking.
 * - When `from` and `to` are equal, frame-aligned chunks are passed on as the same Buffer
 *   (a f32le chunk holding NaN or ±Infinity is the exception: it is copied and cleaned).
 * - NaN becomes 0 and ±Infinity full scale: the output never holds NaN.
 * - `end()` drains the resampler's tail, so the output has `round(inFrames * to.rate / from.rate)`
 *   frames; a partial frame left at the end is dropped.
 * - Steady state allocates nothing per chunk besides the output Buffer.
 * - Writing after `end()` fails with an {@link InputError} (`TLA_ERR_WRITE_AFTER_END`).
 */
export class ResampleStream extends Transform {
  /** Format of the output bytes (= `to`). */
  readonly format: PcmFormat;
  /** Format expected on input (= `from`). */
  readonly inputFormat: PcmFormat;
  /** Audio held back by the resampler's filter, in ms (0 when rates are equal). */
  readonly latencyMs: number;

  readonly #resampler: Resampler;
  readonly #identity: boolean;
  readonly #inFrameBytes: number;
  readonly #outFrameBytes: number;
  /** Partial input frame kept between chunks. */
  readonly #carry: Buffer;
  #carryBytes = 0;
  /** Whole input frames, 8-byte aligned, viewed as bytes, s16 and f32. */
  #inBytes: Buffer = Buffer.alloc(0);
  #inS16 = new Int16Array(0);
  #inF32 = new Float32Array(0);
  /** Resampled frames, viewed as f32 and as bytes. */
  #outF32 = new Float32Array(0);
  #outF32Bytes: Buffer = Buffer.alloc(0);
  /** s16 in and out with a rate or channel change: the resampler converts inside its kernel. */
  readonly #s16Path: boolean;
  /** Bytes of the memory the resampler's last s16 output lives in (copied out with no view allocated). */
  #s16Memory: Buffer | null = null;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  /**
   * @throws FormatError when `from` or `to` is not a valid PCM format, or the rate pair is unsupported.
   * @throws InputError for an unknown quality.
   */
  constructor(options: ResampleStreamOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new InputError("ResampleStream options must be an object like { from: DISCORD_PCM, to: REALTIME_PCM }.");
    }
    const from = pcmFormat(options.from);
    const to = pcmFormat(options.to);
    this.inputFormat = from;
    this.format = to;
    this.#resampler = new Resampler({
      inputRate: from.sampleRate,
      outputRate: to.sampleRate,
      channels: from.channels,
      outputChannels: to.channels,
      ...(options.quality !== undefined ? { quality: options.quality } : {}),
    });
    this.latencyMs = this.#resampler.latencyMs;
    this.#identity = samePcmFormat(from, to);
    this.#inFrameBytes = bytesPerFrame(from);
    this.#outFrameBytes = bytesPerFrame(to);
    this.#carry = Buffer.alloc(this.#inFrameBytes);
    this.#s16Path = !this.#identity && !this.#resampler.passthrough && from.encoding === 's16le' && to.encoding === 's16le';

    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        process.nextTick(() => this.destroy(abortError(signal, 'ResampleStream')));
      } else {
        this.#signal = signal;
        this.#onAbort = () => this.destroy(abortError(signal, 'ResampleStream'));
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
  }

  /** Fails writes after `end()` with a typed error instead of Node's generic one. */
  override write(chunk: unknown, encoding?: BufferEncoding | ((error: Error | null | undefined) => void), cb?: (error: Error | null | undefined) => void): boolean {
    if (this.writableEnded || this.writableFinished) {
      const callback = typeof encoding === 'function' ? encoding : cb;
      const err = new InputError(
        'ResampleStream: write after end(); the stream has been ended, create a new one for more audio.',
        'TLA_ERR_WRITE_AFTER_END',
      );
      process.nextTick(() => {
        callback?.(err);
        this.destroy(err);
      });
      return false;
    }
    return typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding as BufferEncoding, cb);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const out = this.#convert(chunk);
      if (out !== null) this.push(out);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#carryBytes = 0;
      if (this.#s16Path) {
        const tail = this.#resampler.flushS16();
        if (tail.length > 0) this.push(this.#s16Bytes(tail));
      } else if (!this.#identity && !this.#resampler.passthrough) {
        const tail = this.#resampler.flush();
        if (tail.length > 0) this.push(this.#encode(tail, tail.length / this.format.channels));
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#signal !== undefined && this.#onAbort !== undefined) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    this.#onAbort = undefined;
    callback(error);
  }

  /** Converts one chunk; null when it completes no frame. */
  #convert(chunk: Buffer): Buffer | null {
    const inFrame = this.#inFrameBytes;
    const total = this.#carryBytes + chunk.length;
    const frames = Math.floor(total / inFrame);
    if (this.#identity && this.#carryBytes === 0 && frames * inFrame === chunk.length) {
      if (frames === 0) return null;
      return this.inputFormat.encoding === 'f32le' && !allFinite(chunk) ? this.#passCleaned(chunk, frames) : chunk;
    }
    if (frames === 0) {
      chunk.copy(this.#carry, this.#carryBytes);
      this.#carryBytes = total;
      return null;
    }
    // Gather the carried bytes and the chunk's whole frames into the aligned input scratch.
    const bytes = frames * inFrame;
    this.#ensureInput(bytes);
    const inBytes = this.#inBytes;
    // (Empty copies skipped: each Buffer#copy call costs about as much as copying a 20 ms chunk.)
    if (this.#carryBytes > 0) this.#carry.copy(inBytes, 0, 0, this.#carryBytes);
    const fromChunk = bytes - this.#carryBytes;
    chunk.copy(inBytes, this.#carryBytes, 0, fromChunk);
    const rest = chunk.length - fromChunk;
    if (rest > 0) chunk.copy(this.#carry, 0, fromChunk, chunk.length);
    this.#carryBytes = rest;

    if (this.#s16Path) {
      const y = this.#resampler.process(this.#inS16, frames);
      return y.length === 0 ? null : this.#s16Bytes(y);
    }
    const samples = frames * this.inputFormat.channels;
    const f32 = this.#inF32;
    if (this.inputFormat.encoding === 's16le') {
      const s16 = this.#inS16;
      for (let i = 0; i < samples; i++) f32[i] = s16[i]! * (1 / 32768);
    }
    if (this.#identity) return this.#encode(f32, frames);
    const outFrames = this.#resampler.maxOutputFrames(frames);
    this.#ensureOutput(outFrames * this.format.channels);
    const written = this.#resampler.processInto(f32, frames, this.#outF32);
    return written === 0 ? null : this.#encode(this.#outF32, written);
  }

  /** Encodes `frames` frames of `samples` (f32, `to.channels` wide) into a new output Buffer. */
  #encode(samples: Float32Array, frames: number): Buffer {
    const count = frames * this.format.channels;
    const out = Buffer.allocUnsafe(frames * this.#outFrameBytes);
    if (this.format.encoding === 's16le') {
      for (let i = 0, b = 0; i < count; i++, b += 2) {
        const v = floatToS16(samples[i]!);
        out[b] = v & 0xff;
        out[b + 1] = (v >> 8) & 0xff;
      }
      return out;
    }
    if (samples !== this.#outF32) {
      this.#ensureOutput(count);
      this.#outF32.set(samples.subarray(0, count));
    }
    const f = this.#outF32;
    for (let i = 0; i < count; i++) {
      const x = f[i]!;
      if (x - x !== 0) f[i] = x !== x ? 0 : x > 0 ? 1 : -1;
    }
    this.#outF32Bytes.copy(out, 0, 0, count * 4);
    return out;
  }

  /** A new Buffer holding the s16 samples of `y` (a view the resampler owns). */
  #s16Bytes(y: Int16Array): Buffer {
    let memory = this.#s16Memory;
    if (memory === null || memory.buffer !== y.buffer) memory = this.#s16Memory = Buffer.from(y.buffer);
    const out = Buffer.allocUnsafe(y.length * 2);
    memory.copy(out, 0, y.byteOffset, y.byteOffset + y.length * 2);
    return out;
  }

  #passCleaned(chunk: Buffer, frames: number): Buffer {
    const bytes = frames * this.#inFrameBytes;
    this.#ensureInput(bytes);
    chunk.copy(this.#inBytes, 0, 0, bytes);
    return this.#encode(this.#inF32, frames);
  }

  #ensureInput(bytes: number): void {
    if (this.#inBytes.length >= bytes) return;
    const ab = new ArrayBuffer(Math.max(bytes, this.#inBytes.length * 2, 4096));
    this.#inBytes = Buffer.from(ab);
    this.#inS16 = new Int16Array(ab);
    // Whole-frame f32 input needs 2x the bytes of s16 input.
    this.#inF32 = this.inputFormat.encoding === 'f32le' ? new Float32Array(ab) : new Float32Array(ab.byteLength >> 1);
  }

  #ensureOutput(samples: number): void {
    if (this.#outF32.length >= samples) return;
    this.#outF32 = new Float32Array(Math.max(samples, this.#outF32.length * 2, 1024));
    this.#outF32Bytes = Buffer.from(this.#outF32.buffer);
  }
}

function allFinite(chunk: Buffer): boolean {
  // Checks the exponent bits so unaligned chunks need no copy: exponent all ones = NaN or ±Infinity.
  for (let b = 3; b < chunk.length; b += 4) {
    if ((chunk[b]! & 0x7f) === 0x7f && (chunk[b - 1]! & 0x80) === 0x80) return false;
  }
  return true;
}
