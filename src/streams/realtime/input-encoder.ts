/**
 * The send half of the realtime duplex, before the socket: PCM in any declared format (any chunking; a
 * sample frame split across writes is reassembled) → resampled to the wire rate, mono → PCM16 or G.711 bytes,
 * handed to a sink as views of reused memory. Allocates nothing per chunk in steady state.
 */
import { bytesPerFrame, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { f32ToS16 } from '../../core/pcm/pcm-convert.js';
import { FrameCarry } from '../../core/pcm/frame-carry.js';
import { Resampler } from '../../core/resampler/resampler.js';
import { g711Encode } from '../../codecs/g711/g711.js';
import type { RealtimeWire } from './realtime-wire.js';

/** @internal Used by `realtimeDuplex` (and the pipeline bench, which measures this very code). */
export class InputEncoder {
  readonly format: PcmFormat;
  readonly wire: RealtimeWire;
  readonly #sink: (wireBytes: Uint8Array) => void;
  readonly #resampler: Resampler;
  readonly #carry: FrameCarry;
  #s16 = new Int16Array(0);
  #s16Bytes = new Uint8Array(0);
  #f32 = new Float32Array(0);
  #f32Bytes = new Uint8Array(0);
  #lawBytes = new Uint8Array(0);
  #view: Uint8Array | null = null;

  /** `sink` gets each run of wire bytes (a view valid only during the call: copy what you keep). */
  constructor(format: PcmFormat, wire: RealtimeWire, sink: (wireBytes: Uint8Array) => void) {
    this.format = format;
    this.wire = wire;
    this.#sink = sink;
    this.#carry = new FrameCarry(bytesPerFrame(format));
    this.#resampler = new Resampler({ inputRate: format.sampleRate, outputRate: wire.sampleRate, channels: format.channels, outputChannels: 1 });
  }

  /** Encodes a chunk of input PCM (any length). */
  write(chunk: Uint8Array): void {
    const carry = this.#carry;
    let at = 0;
    if (!carry.isEmpty) {
      at = carry.fill(chunk, 0, chunk.length);
      if (!carry.isFull) return;
      this.#encode(carry.frame, 0, carry.frameBytes);
      carry.clear();
    }
    const whole = carry.wholeBytes(chunk.length - at);
    if (whole > 0) this.#encode(chunk, at, whole);
    carry.hold(chunk, at + whole, chunk.length);
  }

  /** Whole sample frames → wire bytes → sink. The chunk is copied into an aligned scratch (a Buffer may sit at any offset). */
  #encode(buf: Uint8Array, offset: number, length: number): void {
    let out: Int16Array;
    if (this.format.encoding === 's16le') {
      const samples = length >> 1;
      if (this.#s16.length < samples) this.#growS16(samples);
      this.#s16Bytes.set(length === buf.length && offset === 0 ? buf : buf.subarray(offset, offset + length));
      out = this.#resampler.process(this.#s16, samples / this.format.channels);
    } else {
      const samples = length >> 2;
      if (this.#f32.length < samples) {
        this.#f32 = new Float32Array(samples * 2);
        this.#f32Bytes = new Uint8Array(this.#f32.buffer);
      }
      this.#f32Bytes.set(length === buf.length && offset === 0 ? buf : buf.subarray(offset, offset + length));
      const f = this.#resampler.process(this.#f32, samples / this.format.channels);
      if (this.#s16.length < f.length) this.#growS16(f.length);
      f32ToS16(f, this.#s16, f.length);
      out = this.#s16.length === f.length ? this.#s16 : this.#s16.subarray(0, f.length);
    }
    if (out.length === 0) return;
    if (this.wire.law) {
      if (this.#lawBytes.length < out.length) this.#lawBytes = new Uint8Array(out.length * 2);
      g711Encode(this.wire.law, out, this.#lawBytes, out.length);
      this.#sink(this.#viewOf(this.#lawBytes.buffer, this.#lawBytes.byteOffset, out.length));
    } else {
      this.#sink(this.#viewOf(out.buffer, out.byteOffset, out.length * 2));
    }
  }

  #growS16(samples: number): void {
    this.#s16 = new Int16Array(samples * 2);
    this.#s16Bytes = new Uint8Array(this.#s16.buffer);
  }

  /** A byte view, the same object while the range repeats (fixed chunks then allocate nothing). */
  #viewOf(buffer: ArrayBufferLike, byteOffset: number, byteLength: number): Uint8Array {
    const v = this.#view;
    if (v !== null && v.buffer === buffer && v.byteOffset === byteOffset && v.length === byteLength) return v;
    this.#view = new Uint8Array(buffer, byteOffset, byteLength);
    return this.#view;
  }
}
