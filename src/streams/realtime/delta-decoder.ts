/**
 * The receive half of the realtime duplex, before the pacer: the base64 of an output audio delta → wire
 * bytes (decoded into a reused buffer) → PCM16 (G.711 expanded) → resampled to the caller's format, in a
 * buffer this decoder owns. Allocates nothing per delta in steady state.
 */
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { s16ToF32 } from '../../core/pcm/pcm-convert.js';
import { Resampler } from '../../core/resampler/resampler.js';
import { g711Decode } from '../../codecs/g711/g711.js';
import type { Writable } from 'node:stream';
import type { RealtimeWire } from './realtime-wire.js';
import { base64DecodeInto } from '../../core/base64-bytes.js';

/** @internal Used by `realtimeDuplex` (and the pipeline bench, which measures this very code). */
export class DeltaDecoder {
  readonly wire: RealtimeWire;
  readonly outputFormat: PcmFormat;
  #resampler: Resampler;
  #wireBytes = Buffer.alloc(0);
  #wireS16 = new Int16Array(0);
  #lastWireBytes = 0;
  /** Output PCM16 (interleaved in the output layout): written by the resampler, read as bytes. */
  #outS16 = new Int16Array(0);
  #outF32 = new Float32Array(0);
  #out = Buffer.alloc(0);
  #view: Buffer | null = null;

  constructor(wire: RealtimeWire, outputFormat: PcmFormat) {
    this.wire = wire;
    this.outputFormat = outputFormat;
    this.#resampler = this.#newResampler();
  }

  /** Wire bytes in the last decoded delta (a dangling odd byte of PCM16 is dropped). */
  get lastWireBytes(): number {
    return this.#lastWireBytes;
  }

  /**
   * Decodes one delta. Returns its PCM in the output format: a view of this decoder's buffer, valid until
   * the next `decode` (unless {@link DeltaDecoder.detach} is called); empty when the resampler holds it all back.
   */
  decode(base64: string): Buffer {
    this.#reserve(base64.length);
    return this.#convert(this.#wireBytes.write(base64, 'base64'));
  }

  /** Like {@link DeltaDecoder.decode}, from the base64 text as bytes (`src[start..end)`), with no string made. */
  decodeBytes(src: Uint8Array, start: number, end: number): Buffer {
    this.#reserve(end - start);
    const n = base64DecodeInto(src, start, end, this.#wireBytes, 0);
    // Not strict base64: decoded as Node decodes a string (leniently), rare enough to allocate.
    return this.#convert(n >= 0 ? n : this.#wireBytes.write(Buffer.from(src.buffer, src.byteOffset + start, end - start).toString('latin1'), 'base64'));
  }

  #reserve(base64Chars: number): void {
    const maxBytes = (base64Chars >> 2) * 3 + 3;
    if (this.#wireBytes.length < maxBytes) this.#wireBytes = Buffer.alloc(maxBytes * 2);
  }

  /** The first `n` wire bytes of the scratch → output PCM. */
  #convert(n: number): Buffer {
    let wire: Int16Array;
    if (this.wire.law) {
      if (this.#wireS16.length < n) this.#wireS16 = new Int16Array(n * 2);
      g711Decode(this.wire.law, this.#wireBytes, this.#wireS16, n);
      wire = this.#wireS16;
    } else {
      n -= n & 1;
      if (this.#wireS16.buffer !== this.#wireBytes.buffer) this.#wireS16 = new Int16Array(this.#wireBytes.buffer, this.#wireBytes.byteOffset, this.#wireBytes.length >> 1);
      wire = this.#wireS16;
    }
    this.#lastWireBytes = n;
    const samples = this.wire.law ? n : n >> 1;
    const channels = this.outputFormat.channels;
    const cap = this.#resampler.maxOutputFrames(samples) * channels;
    if (this.#outS16.length < cap) this.#grow(cap);
    const frames = this.#resampler.processInto(wire, samples, this.#outS16);
    let byteLength: number;
    if (this.outputFormat.encoding === 's16le') {
      byteLength = frames * channels * 2;
    } else {
      s16ToF32(this.#outS16, this.#outF32, frames * channels);
      byteLength = frames * channels * 4;
    }
    const v = this.#view;
    if (v !== null && v.length === byteLength && v.buffer === this.#out.buffer) return v;
    this.#view = this.#out.subarray(0, byteLength);
    return this.#view;
  }

  /**
   * Writes decoded PCM (from {@link DeltaDecoder.decode}) to `sink` (the duplex's pacer) without a copy when
   * the sink takes it within write() (nothing queued before it, room in its ring: it copies into the ring);
   * when the sink keeps the chunk instead, the next delta decodes into new memory. A sink already holding
   * writes gets a copy.
   */
  writeTo(sink: Writable, pcm: Buffer): void {
    if (sink.writableLength === 0) {
      sink.write(pcm);
      if (sink.writableLength !== 0) this.detach();
    } else {
      sink.write(Buffer.from(pcm));
    }
  }

  /** Forgets the resampler's history (after an interruption, the next audio is a new utterance). */
  reset(): void {
    this.#resampler = this.#newResampler();
  }

  /**
   * The caller keeps the last output (a consumer holds it by reference): the next delta is decoded into new
   * memory. Rare (the pacer copies what it can take at once), so it may allocate.
   */
  detach(): void {
    this.#grow(this.#outS16.length);
  }

  #grow(samples: number): void {
    this.#outS16 = new Int16Array(samples);
    if (this.outputFormat.encoding === 's16le') {
      this.#out = Buffer.from(this.#outS16.buffer);
    } else {
      this.#outF32 = new Float32Array(samples);
      this.#out = Buffer.from(this.#outF32.buffer);
    }
    this.#view = null;
  }

  #newResampler(): Resampler {
    return new Resampler({ inputRate: this.wire.sampleRate, outputRate: this.outputFormat.sampleRate, channels: 1, outputChannels: this.outputFormat.channels });
  }
}
