import { Transform, type TransformCallback } from 'node:stream';
import { InputError, abortError } from '../core/errors.js';
import { FrameCarry } from '../core/pcm/frame-carry.js';
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
 * - Steady state allocates nothing per chunk besides the output Buffer. Output Buffers are slices of a
 *   64 KB slab of this stream's (as `Buffer.allocUnsafe` slices Node's 8 KB pool, but zero-filled), so a
 *   chunk kept for long keeps its slab: `Buffer.from(chunk)` copies one out.
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
  readonly #carry: FrameCarry;
  /** Whole input frames, 8-byte aligned, viewed as bytes, s16 and f32. */
  #inBytes: Buffer = Buffer.alloc(0);
  #inS16 = new Int16Array(0);
  #inF32 = new Float32Array(0);
  /** Resampled frames, viewed as f32 and as bytes. */
  #outF32 = new Float32Array(0);
  #outF32Bytes: Buffer = Buffer.alloc(0);
  /** s16 in and out with a rate or channel change: the resampler converts inside its kernel. */
  readonly #s16Path: boolean;
  /** Bytes of the resampler's last s16 output (in its memory), reused while it hands out the same view. */
  #s16View: Uint8Array | null = null;
  /** Output Buffers are slices of this (see #outputBuffer). */
  #slab = new ArrayBuffer(0);
  #slabAt = OUTPUT_SLAB_BYTES;
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
    this.#carry = new FrameCarry(this.#inFrameBytes);
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
      this.#carry.clear();
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
    const carry = this.#carry;
    if (this.#identity && carry.isEmpty && chunk.length % inFrame === 0) {
      if (chunk.length === 0) return null;
      return this.inputFormat.encoding === 'f32le' && !allFinite(chunk) ? this.#passCleaned(chunk, chunk.length / inFrame) : chunk;
    }
    // A frame completed from the carry goes first, then the chunk's whole frames [at, at + whole), in one call.
    let at = 0;
    let head = 0;
    if (!carry.isEmpty) {
      at = carry.fill(chunk, 0, chunk.length);
      if (!carry.isFull) return null;
      head = inFrame;
    }
    const whole = carry.wholeBytes(chunk.length - at);
    const frames = (head + whole) / inFrame;
    if (frames === 0) {
      carry.hold(chunk, at, chunk.length);
      return null;
    }
    const stage = this.#s16Path ? this.#resampler.s16Staging(frames) : null;
    // s16 to s16: straight into the kernel's memory (one copy); else into the aligned input scratch.
    let target: Uint8Array;
    if (stage !== null) {
      target = stage;
    } else {
      this.#ensureInput(frames * inFrame);
      target = this.#inBytes;
    }
    if (head > 0) {
      target.set(carry.frame, 0);
      carry.clear();
    }
    target.set(at === 0 && whole === chunk.length ? chunk : chunk.subarray(at, at + whole), head);
    carry.hold(chunk, at + whole, chunk.length);
    if (stage !== null) {
      const y = this.#resampler.processStagedS16(frames);
      return y.length === 0 ? null : this.#s16Bytes(y);
    }

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
    const out = this.#outputBuffer(frames * this.#outFrameBytes);
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
    let bytes = this.#s16View;
    // The resampler hands out the same view for same-size outputs: then so do we (no allocation).
    if (bytes === null || bytes.buffer !== y.buffer || bytes.byteOffset !== y.byteOffset || bytes.length !== y.length * 2) {
      bytes = this.#s16View = new Uint8Array(y.buffer, y.byteOffset, y.length * 2);
    }
    const out = this.#outputBuffer(bytes.length);
    out.set(bytes);
    return out;
  }

  /**
   * A new Buffer of `byteLength` for the consumer to keep: a slice of this stream's own slab. Node's
   * `allocUnsafe` pool is 8 KB, so 20 ms chunks made it allocate a pool every few chunks (a few % of
   * the stream's time); the slab is zero-filled, so a consumer sees nothing but this stream's output.
   */
  #outputBuffer(byteLength: number): Buffer {
    if (byteLength > OUTPUT_SLAB_BYTES / 8) return Buffer.allocUnsafe(byteLength);
    if (this.#slabAt + byteLength > OUTPUT_SLAB_BYTES) {
      this.#slab = new ArrayBuffer(OUTPUT_SLAB_BYTES);
      this.#slabAt = 0;
    }
    const out = Buffer.from(this.#slab, this.#slabAt, byteLength);
    // 8-byte aligned like Node's pool, so consumers can view a chunk as Int16Array / Float32Array.
    this.#slabAt += (byteLength + 7) & ~7;
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

/** Size of the slab output Buffers are cut from: 68 chunks of 20 ms at 24 kHz mono s16. */
const OUTPUT_SLAB_BYTES = 64 * 1024;

function allFinite(chunk: Buffer): boolean {
  // Checks the exponent bits so unaligned chunks need no copy: exponent all ones = NaN or ±Infinity.
  for (let b = 3; b < chunk.length; b += 4) {
    if ((chunk[b]! & 0x7f) === 0x7f && (chunk[b - 1]! & 0x80) === 0x80) return false;
  }
  return true;
}
