import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import { FormatError, TokenLabAudioError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** The sample rate Opus decodes at here (and the unit of Ogg granule positions). */
export const OPUS_RATE = 48_000;

interface OpusBackend {
  decode(packet: Buffer): Buffer;
  free(): void;
  readonly name: string;
}

/** @discordjs/opus (native) when installed, else opusscript (WebAssembly), as prism-media does. */
function createBackend(channels: number): OpusBackend {
  try {
    const native = require('@discordjs/opus') as { OpusEncoder: new (rate: number, channels: number) => { decode(b: Buffer): Buffer } };
    const codec = new native.OpusEncoder(OPUS_RATE, channels);
    return { name: '@discordjs/opus', decode: (p) => codec.decode(p), free: () => {} };
  } catch {
    // Not installed: fall back to the WebAssembly build.
  }
  try {
    const OpusScript = require('opusscript') as {
      new (rate: number, channels: number, application: number): { decode(b: Buffer): Buffer; delete(): void };
      Application: Record<string, number>;
    };
    const codec = new OpusScript(OPUS_RATE, channels, OpusScript.Application.AUDIO!);
    let freed = false;
    return {
      name: 'opusscript',
      decode: (p) => codec.decode(p),
      free: () => {
        if (!freed) codec.delete();
        freed = true;
      },
    };
  } catch (err) {
    throw new TokenLabAudioError('No Opus decoder: install opusscript (or @discordjs/opus).', 'TLA_ERR_OPUS_MISSING', { cause: err });
  }
}

// opusscript's buffers hold 60 ms of output and 3 × 1276 bytes of input.
const MAX_PACKET_BYTES = 1276 * 3;
const FRAME_SIZES_48K = [480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960];

/** Samples per channel (at 48 kHz) a packet decodes to, from its TOC byte (RFC 6716 §3.1); 0 if unreadable. */
export function opusPacketFrames(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const perFrame = FRAME_SIZES_48K[toc >> 3]!;
  const code = toc & 3;
  const count = code === 0 ? 1 : code === 3 ? (packet.length > 1 ? packet[1]! & 0x3f : 0) : 2;
  return perFrame * count;
}

/** What an OpusHead packet says (RFC 7845 §5.1). */
export interface OpusHead {
  readonly channels: number;
  /** Samples (48 kHz) to drop from the start of the decoded output. */
  readonly preSkip: number;
  readonly inputSampleRate: number;
}

/** Finds and parses an OpusHead packet inside the first bytes of an Ogg or WebM file. */
export function findOpusHead(bytes: Buffer): OpusHead | undefined {
  const at = bytes.indexOf('OpusHead', 0, 'latin1');
  if (at < 0 || at + 19 > bytes.length) return undefined;
  const channels = bytes[at + 9]!;
  if (channels < 1) return undefined;
  return { channels, preSkip: bytes.readUInt16LE(at + 10), inputSampleRate: bytes.readUInt32LE(at + 12) };
}

/** Options of {@link OpusPacketDecoder}. */
export interface OpusPacketDecoderOptions {
  channels: number;
  /** Samples per channel to drop at the start (OpusHead pre-skip). */
  preSkip?: number;
  /**
   * Called at the end: the stream's total length in 48 kHz samples *including* pre-skip (the last Ogg
   * granule position), or undefined when unknown. The output is trimmed to `total - preSkip`.
   */
  endGranule?: () => number | undefined;
  /** Called at the end: a reason to fail (e.g. the container was truncated), after all audio was pushed. */
  endError?: () => Error | undefined;
}

/**
 * Opus packets in (one per write, as demuxers emit them), s16le 48 kHz PCM out. A packet the decoder
 * rejects (corrupt, truncated, a 3-byte fragment, oversized) becomes silence of the duration its TOC
 * byte announces, counted in {@link corruptPackets}, instead of ending the stream. OpusHead and
 * OpusTags packets are ignored.
 */
export class OpusPacketDecoder extends Transform {
  readonly channels: number;
  /** Name of the Opus library in use. */
  readonly backend: string;
  /** Packets that could not be decoded and were replaced by silence. */
  corruptPackets = 0;

  readonly #codec: OpusBackend;
  readonly #frameBytes: number;
  #skipBytes: number;
  readonly #preSkip: number;
  readonly #endGranule: (() => number | undefined) | undefined;
  readonly #endError: (() => Error | undefined) | undefined;
  #held: Buffer | null = null;
  #emittedBytes = 0;
  #lastFrames = 960;

  constructor(options: OpusPacketDecoderOptions) {
    super({ writableObjectMode: true });
    if (!Number.isInteger(options.channels) || options.channels < 1 || options.channels > 2) {
      throw new FormatError(`Opus streams with ${String(options.channels)} channels are not supported in-process (mono or stereo only).`, 'TLA_ERR_OPUS_CHANNELS');
    }
    this.channels = options.channels;
    this.#codec = createBackend(options.channels);
    this.backend = this.#codec.name;
    this.#frameBytes = options.channels * 2;
    this.#preSkip = options.preSkip ?? 0;
    this.#skipBytes = this.#preSkip * this.#frameBytes;
    this.#endGranule = options.endGranule;
    this.#endError = options.endError;
  }

  override _transform(packet: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (packet.length >= 8 && (packet.toString('latin1', 0, 8) === 'OpusHead' || packet.toString('latin1', 0, 8) === 'OpusTags')) {
      callback();
      return;
    }
    let pcm: Buffer;
    const frames = opusPacketFrames(packet);
    try {
      if (packet.length === 0 || packet.length > MAX_PACKET_BYTES) throw new Error('unusable packet size');
      pcm = this.#codec.decode(packet);
      if (pcm.length > 0) this.#lastFrames = pcm.length / this.#frameBytes;
    } catch {
      this.corruptPackets++;
      pcm = Buffer.alloc((frames > 0 && frames <= 5760 ? frames : this.#lastFrames) * this.#frameBytes);
    }
    if (this.#skipBytes > 0) {
      const n = Math.min(this.#skipBytes, pcm.length);
      this.#skipBytes -= n;
      pcm = pcm.subarray(n);
    }
    if (pcm.length > 0) {
      // Hold the newest packet back: the end trim may cut it.
      if (this.#held) this.#emit(this.#held);
      this.#held = pcm;
    }
    callback();
  }

  #emit(pcm: Buffer): void {
    this.#emittedBytes += pcm.length;
    this.push(pcm);
  }

  override _flush(callback: TransformCallback): void {
    const held = this.#held;
    this.#held = null;
    if (held) {
      const granule = this.#endGranule?.();
      if (granule !== undefined && granule >= this.#preSkip) {
        const allowed = (granule - this.#preSkip) * this.#frameBytes - this.#emittedBytes;
        if (allowed > 0) this.#emit(held.subarray(0, Math.min(held.length, allowed)));
      } else {
        this.#emit(held);
      }
    }
    this.#codec.free();
    callback(this.#endError?.() ?? null);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#codec.free();
    callback(error);
  }
}
