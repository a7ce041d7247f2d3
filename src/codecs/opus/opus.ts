import { createRequire } from 'node:module';
import { Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';

/** Sample rates an Opus encoder or decoder can run at. */
export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
export type OpusSampleRate = (typeof OPUS_SAMPLE_RATES)[number];
/** Frame durations an Opus encoder accepts, in ms. */
export const OPUS_FRAME_DURATIONS_MS = [2.5, 5, 10, 20, 40, 60] as const;
export type OpusFrameDurationMs = (typeof OPUS_FRAME_DURATIONS_MS)[number];
/** Largest Opus packet (RFC 6716: 1275 bytes per frame, up to 3 frames' worth as libopus allows). */
export const OPUS_MAX_PACKET_BYTES = 3828;

/** What to do with a packet the decoder rejects (corrupt, empty or too long). */
export type OpusCorruptPolicy = 'skip' | 'silence' | 'error';

interface OpusBackend {
  encode(pcm: Buffer, frameSize: number): Buffer;
  decode(packet: Buffer, frameSize?: number | null): Buffer;
  applyEncoderCTL?(ctl: number, value: number): void;
  encoderCTL?(ctl: number, value: number): void;
}
/**
 * The parts of an opusscript instance its own `decode()` uses (v0.0.x). Read directly so a decoded frame is copied
 * once from the WebAssembly heap into a slab of ours, instead of into a fresh pool buffer per call; when the
 * shape differs (another version, @discordjs/opus) the backend's `decode()` is used.
 */
interface OpusscriptInternals {
  handler: { _decode(inPointer: number, byteLength: number, outPointer: number): number };
  inOpus: Uint8Array;
  inOpusPointer: number;
  outPCM: Uint16Array;
  channels: number;
}
function opusscriptInternals(backend: OpusBackend): OpusscriptInternals | undefined {
  const b = backend as unknown as Partial<OpusscriptInternals>;
  return typeof b.handler?._decode === 'function' && b.inOpus instanceof Uint8Array && typeof b.inOpusPointer === 'number' && b.outPCM instanceof Uint16Array ? (b as OpusscriptInternals) : undefined;
}
/** Decoded PCM is handed out as slices of slabs this large (a reader keeps a slab alive while it holds a slice). */
const DECODE_SLAB_BYTES = 64 * 1024;
const OPUS_ERRORS: Record<string, string> = { '-1': 'Bad argument', '-2': 'Buffer too small', '-3': 'Internal error', '-4': 'Invalid packet', '-5': 'Unimplemented', '-6': 'Invalid state', '-7': 'Memory allocation fail' };

interface PrismOpusStream {
  encoder: OpusBackend | null;
  destroy(): void;
}
interface PrismModule {
  opus: {
    Encoder: (new (options: { rate: number; channels: number; frameSize: number; application?: string }) => PrismOpusStream) & { type?: string };
    Decoder: new (options: { rate: number; channels: number; frameSize: number }) => PrismOpusStream;
  };
}

// Not named `require`: in the CommonJS build that name is the module wrapper's own parameter.
const requireFromHere = createRequire(import.meta.url);
let prism: PrismModule | undefined;
function loadPrism(): PrismModule {
  prism ??= requireFromHere('prism-media') as PrismModule;
  return prism;
}

/**
 * The Opus implementation prism-media picked: `@discordjs/opus` (native, fastest) when installed,
 * else `opusscript` (WebAssembly, always installed with this package).
 */
export function opusBackendName(): string {
  const { Encoder } = loadPrism().opus;
  // The type is known once prism has loaded a backend, which constructing a stream does.
  if (!Encoder.type) new Encoder({ rate: 48000, channels: 1, frameSize: 960 }).destroy();
  return Encoder.type ?? 'unknown';
}

function checkRate(what: string, rate: number): OpusSampleRate {
  if (!(OPUS_SAMPLE_RATES as readonly number[]).includes(rate)) {
    throw new InputError(`${what}: sampleRate ${String(rate)} is not an Opus rate; use one of ${OPUS_SAMPLE_RATES.join(', ')} Hz (resample first).`);
  }
  return rate as OpusSampleRate;
}

function checkChannels(what: string, channels: number): 1 | 2 {
  if (channels !== 1 && channels !== 2) {
    throw new InputError(`${what}: channels ${String(channels)} is not supported in-process; use 1 or 2 (multichannel Opus needs ffmpeg).`);
  }
  return channels;
}

// Samples per channel at 48 kHz of one frame, by the TOC's size bits (module constants: read once per packet).
const SILK_FRAME_SAMPLES = [480, 960, 1920, 2880] as const;
const CELT_FRAME_SAMPLES = [120, 240, 480, 960] as const;

/**
 * Samples per channel (at 48 kHz) in an Opus packet, read from its TOC byte (RFC 6716 §3.1), or 0
 * when the packet is empty or malformed. Scale by `sampleRate / 48000` for other decode rates.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const config = toc >> 3;
  let frameSamples: number;
  if (config < 12) frameSamples = SILK_FRAME_SAMPLES[config & 3]!;
  else if (config < 16) frameSamples = (config & 1) === 0 ? 480 : 960;
  else frameSamples = CELT_FRAME_SAMPLES[config & 3]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else {
    if (packet.length < 2) return 0;
    frames = packet[1]! & 0x3f;
  }
  const total = frames * frameSamples;
  // More than 120 ms in one packet is invalid.
  return total > 5760 ? 0 : total;
}

/** The Opus identification header (RFC 7845 §5.1). */
export interface OpusHead {
  readonly version: number;
  readonly channels: number;
  /** Samples at 48 kHz to drop from the start of the decoded output. */
  readonly preSkip: number;
  /** Sample rate of the original input (informational; Opus always decodes at 8..48 kHz). */
  readonly inputSampleRate: number;
  /** Output gain in dB (Q7.8 in the header), to apply on decode. */
  readonly outputGainDb: number;
  /** 0: mono/stereo; 1: Vorbis channel order (multistream); 255: undefined layout. */
  readonly mappingFamily: number;
}

/**
 * Parses an OpusHead packet.
 * @throws FormatError when it is not one.
 */
export function parseOpusHead(packet: Uint8Array): OpusHead {
  if (packet.length < 19 || String.fromCharCode(...packet.subarray(0, 8)) !== 'OpusHead') {
    throw new FormatError('Not an OpusHead packet: an Ogg/Opus or WebM/Opus stream must start with one.', 'TLA_ERR_OPUS_HEAD');
  }
  const version = packet[8]!;
  if (version >> 4 !== 0) throw new FormatError(`OpusHead version ${version} is not supported (major version must be 0).`, 'TLA_ERR_OPUS_HEAD');
  const channels = packet[9]!;
  if (channels === 0) throw new FormatError('OpusHead claims 0 channels; the stream is damaged.', 'TLA_ERR_OPUS_HEAD');
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    version,
    channels,
    preSkip: view.getUint16(10, true),
    inputSampleRate: view.getUint32(12, true),
    outputGainDb: view.getInt16(16, true) / 256,
    mappingFamily: packet[18]!,
  };
}

function isHeaderPacket(p: Uint8Array, magic: string): boolean {
  if (p.length < 8) return false;
  for (let i = 0; i < 8; i++) if (p[i] !== magic.charCodeAt(i)) return false;
  return true;
}

/** Options of {@link OpusDecoder}. */
export interface OpusDecoderOptions {
  /** Output rate (Opus decodes natively at any of these). Default 48000. */
  sampleRate?: OpusSampleRate | undefined;
  /** Output channels; a stereo stream decoded to 1 channel is down-mixed by the codec. Default 2. */
  channels?: 1 | 2 | undefined;
  /**
   * A packet the codec rejects: `'skip'` (default) drops it and counts it in `corruptPackets`;
   * `'silence'` replaces it with silence as long as the last good packet (keeps timing for live
   * audio); `'error'` ends the stream with a FormatError. A `'corrupt'` event fires in every case.
   */
  onCorrupt?: OpusCorruptPolicy | undefined;
  signal?: AbortSignal | undefined;
}

/** What a `'corrupt'` event carries. */
export interface OpusCorruptPacket {
  readonly byteLength: number;
  readonly reason: string;
}

/**
 * A streaming Opus decoder: Opus packets in (object mode, one Buffer per packet, as from a
 * demuxer or Discord), interleaved s16le PCM out. Runs on prism-media's backend (@discordjs/opus
 * when installed, else opusscript). OpusHead/OpusTags packets are recognised and not decoded.
 * Corrupt packets never crash it: see `onCorrupt`.
 */
export class OpusDecoder extends Transform {
  readonly format: PcmFormat;
  #prism: PrismOpusStream | undefined;
  readonly #policy: OpusCorruptPolicy;
  #corruptPackets = 0;
  #decodedPackets = 0;
  #lastSamples = 960;
  #head: OpusHead | undefined;
  #direct: OpusscriptInternals | undefined;
  #slab: Buffer = Buffer.alloc(0);
  #slabOffset = 0;

  constructor(options: OpusDecoderOptions = {}) {
    super({ writableObjectMode: true });
    const sampleRate = checkRate('OpusDecoder', options.sampleRate ?? 48000);
    const channels = checkChannels('OpusDecoder', options.channels ?? 2);
    const policy = options.onCorrupt ?? 'skip';
    if (policy !== 'skip' && policy !== 'silence' && policy !== 'error') throw new InputError(`OpusDecoder: onCorrupt ${JSON.stringify(policy)} is unknown.`);
    this.#policy = policy;
    this.format = Object.freeze({ sampleRate, channels, encoding: 's16le' as const });
    this.#prism = new (loadPrism().opus.Decoder)({ rate: sampleRate, channels, frameSize: (sampleRate / 50) | 0 });
    this.#direct = this.#prism.encoder ? opusscriptInternals(this.#prism.encoder) : undefined;
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** Packets rejected by the codec so far. */
  get corruptPackets(): number {
    return this.#corruptPackets;
  }

  /** Packets decoded so far. */
  get decodedPackets(): number {
    return this.#decodedPackets;
  }

  /** The OpusHead seen in the stream, if any. */
  get head(): OpusHead | undefined {
    return this.#head;
  }

  /**
   * Decodes one packet to PCM now (for callers that drive it directly rather than as a stream).
   * @returns PCM bytes (its own bytes: later decodes never overwrite them), or `null` when the packet was rejected (see `onCorrupt`).
   * @throws FormatError with `onCorrupt: 'error'`.
   */
  decodePacket(packet: Uint8Array): Buffer | null {
    const backend = this.#prism?.encoder;
    if (!backend) throw new InputError('OpusDecoder has been destroyed.');
    let reason: string;
    if (packet.length === 0) reason = 'empty packet';
    else if (packet.length > OPUS_MAX_PACKET_BYTES) reason = `packet of ${packet.length} bytes is longer than Opus allows (${OPUS_MAX_PACKET_BYTES})`;
    else if (opusPacketSamples(packet) === 0) reason = 'invalid TOC byte / frame count';
    else {
      try {
        const pcm = this.#direct ? this.#decodeDirect(this.#direct, packet) : backend.decode(Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength), (this.format.sampleRate * 120) / 1000);
        this.#decodedPackets++;
        this.#lastSamples = pcm.length / (2 * this.format.channels);
        return pcm;
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
    }
    this.#corruptPackets++;
    this.emit('corrupt', { byteLength: packet.length, reason } satisfies OpusCorruptPacket);
    if (this.#policy === 'error') {
      throw new FormatError(`Opus packet ${this.#decodedPackets + this.#corruptPackets} (${packet.length} bytes) could not be decoded: ${reason}.`, 'TLA_ERR_OPUS_PACKET');
    }
    return this.#policy === 'silence' ? Buffer.alloc(this.#lastSamples * 2 * this.format.channels) : null;
  }

  /** One packet through opusscript's own buffers, the PCM copied once into the current slab. */
  #decodeDirect(codec: OpusscriptInternals, packet: Uint8Array): Buffer {
    codec.inOpus.set(packet);
    const samples = codec.handler._decode(codec.inOpusPointer, packet.length, codec.outPCM.byteOffset);
    if (samples < 0) throw new Error(`Decode error: ${OPUS_ERRORS[String(samples)] ?? samples}`);
    // opusscript leaves one byte of the s16le output in each 16-bit slot of its output view.
    const byteLength = samples * codec.channels * 2;
    // opusscript keeps views made at construction: if its WebAssembly memory ever grew, they are detached and
    // would copy nothing. Rejected (counted as corrupt) rather than handing out the slab's stale bytes.
    if (codec.outPCM.length < byteLength) throw new Error("opusscript's output buffer is detached (its WebAssembly memory grew)");
    if (this.#slabOffset + byteLength > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(Math.max(DECODE_SLAB_BYTES, byteLength));
      this.#slabOffset = 0;
    }
    const pcm = this.#slab.subarray(this.#slabOffset, this.#slabOffset + byteLength);
    pcm.set(codec.outPCM.subarray(0, byteLength));
    this.#slabOffset += byteLength;
    return pcm;
  }

  override _transform(packet: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!(packet instanceof Uint8Array)) {
      callback(new InputError('OpusDecoder takes Opus packets as Buffers (object mode), one packet per write.'));
      return;
    }
    if (isHeaderPacket(packet, 'OpusHead')) {
      try {
        this.#head = parseOpusHead(packet);
        this.emit('head', this.#head);
      } catch (err) {
        callback(err as Error);
        return;
      }
      callback();
      return;
    }
    if (isHeaderPacket(packet, 'OpusTags')) {
      this.emit('tags', packet);
      callback();
      return;
    }
    try {
      const pcm = this.decodePacket(packet);
      if (pcm && pcm.length > 0) this.push(pcm);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    this.#release();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#release();
    callback(err);
  }

  #release(): void {
    // Frees the WebAssembly memory of opusscript.
    this.#prism?.destroy();
    this.#prism = undefined;
    this.#direct = undefined;
  }
}

/** Typed events of {@link OpusDecoder} (plus those of a Transform). */
export interface OpusDecoder {
  on(event: 'head', listener: (head: OpusHead) => void): this;
  on(event: 'corrupt', listener: (packet: OpusCorruptPacket) => void): this;
  on(event: 'tags', listener: (packet: Buffer) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'head', listener: (head: OpusHead) => void): this;
  once(event: 'corrupt', listener: (packet: OpusCorruptPacket) => void): this;
  once(event: 'tags', listener: (packet: Buffer) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}


/** The base of the container decoders that give PCM (Ogg/Opus, WebM/Opus): one declaration of their typed events. */
export abstract class OpusPcmDecoderTransform extends Transform {}

/** Typed events of the Opus container decoders (plus those of a Transform). */
export interface OpusPcmDecoderTransform {
  on(event: 'head', listener: (head: OpusHead) => void): this;
  on(event: 'format', listener: (format: PcmFormat) => void): this;
  on(event: 'corrupt', listener: (packet: OpusCorruptPacket) => void): this;
  on(event: 'truncated', listener: (info: { leftoverBytes: number }) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'head', listener: (head: OpusHead) => void): this;
  once(event: 'format', listener: (format: PcmFormat) => void): this;
  once(event: 'corrupt', listener: (packet: OpusCorruptPacket) => void): this;
  once(event: 'truncated', listener: (info: { leftoverBytes: number }) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Options of {@link OpusEncoder}. */
export interface OpusEncoderOptions {
  /** Input PCM rate (an Opus rate). Default 48000. */
  sampleRate?: OpusSampleRate | undefined;
  /** Input channels. Default 2. */
  channels?: 1 | 2 | undefined;
  /** Frame duration per packet in ms. Default 20. */
  frameDurationMs?: OpusFrameDurationMs | undefined;
  /** Target bit rate in bits/s (6000..510000). Default: the codec's choice for the rate and channels. */
  bitrate?: number | undefined;
  /** `'voip'` (speech), `'audio'` (default, music and general), `'lowdelay'`. */
  application?: 'voip' | 'audio' | 'lowdelay' | undefined;
  /**
   * Encoder effort, 0 (fastest) to 10 (default, best quality per bit). Lower values cost much less CPU: batch
   * encoders of speech (long-file pieces) use 5, about three times faster than 10 in WebAssembly.
   */
  complexity?: number | undefined;
  /** In-band forward error correction (for lossy networks). */
  fec?: boolean | undefined;
  /** Expected packet loss in percent (0..100), tunes FEC. */
  packetLossPercent?: number | undefined;
  signal?: AbortSignal | undefined;
}

const CTL_SET_BITRATE = 4002;
const CTL_SET_COMPLEXITY = 4010;
const CTL_SET_INBAND_FEC = 4012;
const CTL_SET_PACKET_LOSS_PERC = 4014;

/**
 * A streaming Opus encoder: interleaved s16le PCM in (any chunking), one Opus packet per frame out
 * (object mode). The last partial frame is padded with silence at the end so no audio is lost
 * (`paddedSamples` says how much). Runs on prism-media's backend.
 */
export class OpusEncoder extends Transform {
  readonly format: PcmFormat;
  /** Samples per channel in one frame. */
  readonly frameSamples: number;
  readonly frameDurationMs: OpusFrameDurationMs;
  #prism: PrismOpusStream | undefined;
  readonly #frame: Buffer;
  #fill = 0;
  #paddedSamples = 0;
  #packets = 0;

  constructor(options: OpusEncoderOptions = {}) {
    super({ readableObjectMode: true });
    const sampleRate = checkRate('OpusEncoder', options.sampleRate ?? 48000);
    const channels = checkChannels('OpusEncoder', options.channels ?? 2);
    const frameDurationMs = options.frameDurationMs ?? 20;
    if (!(OPUS_FRAME_DURATIONS_MS as readonly number[]).includes(frameDurationMs)) {
      throw new InputError(`OpusEncoder: frameDurationMs ${String(frameDurationMs)} is not an Opus frame size; use one of ${OPUS_FRAME_DURATIONS_MS.join(', ')}.`);
    }
    this.format = Object.freeze({ sampleRate, channels, encoding: 's16le' as const });
    this.frameDurationMs = frameDurationMs;
    this.frameSamples = (sampleRate * frameDurationMs) / 1000;
    this.#frame = Buffer.alloc(this.frameSamples * channels * 2);
    const application = options.application === 'voip' ? 'VOIP' : options.application === 'lowdelay' ? 'RESTRICTED_LOWDELAY' : 'AUDIO';
    // Checked before the codec exists: a throw after it would strand its (WebAssembly) memory.
    if (options.bitrate !== undefined && (!Number.isInteger(options.bitrate) || options.bitrate < 6000 || options.bitrate > 510000)) {
      throw new InputError(`OpusEncoder: bitrate ${String(options.bitrate)} must be a whole number of bits/s from 6000 to 510000.`);
    }
    if (options.complexity !== undefined && !(Number.isInteger(options.complexity) && options.complexity >= 0 && options.complexity <= 10)) {
      throw new InputError(`OpusEncoder: complexity ${String(options.complexity)} must be a whole number from 0 to 10.`);
    }
    this.#prism = new (loadPrism().opus.Encoder)({ rate: sampleRate, channels, frameSize: this.frameSamples, application });
    if (options.bitrate !== undefined) this.#ctl(CTL_SET_BITRATE, options.bitrate);
    if (options.complexity !== undefined) this.#ctl(CTL_SET_COMPLEXITY, options.complexity);
    if (options.fec) this.#ctl(CTL_SET_INBAND_FEC, 1);
    if (options.packetLossPercent !== undefined) this.#ctl(CTL_SET_PACKET_LOSS_PERC, Math.max(0, Math.min(100, Math.round(options.packetLossPercent))));
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** Silence samples (per channel) added to complete the last frame. */
  get paddedSamples(): number {
    return this.#paddedSamples;
  }

  /** Packets produced so far. */
  get packets(): number {
    return this.#packets;
  }

  #ctl(ctl: number, value: number): void {
    const backend = this.#prism?.encoder;
    if (!backend) return;
    const fn = backend.applyEncoderCTL ?? backend.encoderCTL;
    fn?.call(backend, ctl, value);
  }

  #encodeFrame(onPacket: (packet: Buffer) => void): void {
    const backend = this.#prism?.encoder;
    if (!backend) throw new InputError('OpusEncoder has been destroyed.');
    const packet = backend.encode(this.#frame, this.frameSamples);
    this.#packets++;
    onPacket(packet);
  }

  /**
   * Encodes PCM directly (for callers that drive the encoder without the stream API): every
   * complete frame becomes a packet given to `onPacket`; a partial frame is kept for the next call.
   */
  encodeChunk(chunk: Uint8Array, onPacket: (packet: Buffer) => void): void {
    const frameBytes = this.#frame.length;
    let pos = 0;
    while (pos < chunk.length) {
      const n = Math.min(frameBytes - this.#fill, chunk.length - pos);
      this.#frame.set(chunk.subarray(pos, pos + n), this.#fill);
      this.#fill += n;
      pos += n;
      if (this.#fill === frameBytes) {
        this.#encodeFrame(onPacket);
        this.#fill = 0;
      }
    }
  }

  /**
   * Encodes the last partial frame, padded with silence, and releases the codec.
   * @throws FormatError when the input ended inside a sample frame.
   */
  finish(onPacket: (packet: Buffer) => void): void {
    if (this.#fill > 0) {
      const frameBytes = 2 * this.format.channels;
      if (this.#fill % frameBytes !== 0) {
        throw new FormatError(`OpusEncoder input ended inside a sample frame (${this.#fill % frameBytes} stray bytes); PCM must be whole ${frameBytes}-byte frames.`, 'TLA_ERR_PCM_FORMAT');
      }
      this.#paddedSamples = (this.#frame.length - this.#fill) / frameBytes;
      this.#frame.fill(0, this.#fill);
      this.#encodeFrame(onPacket);
      this.#fill = 0;
    }
    this.#release();
  }

  readonly #pushPacket = (packet: Buffer): void => {
    this.push(packet);
  };

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.encodeChunk(chunk, this.#pushPacket);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish(this.#pushPacket);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#release();
    callback(err);
  }

  #release(): void {
    this.#prism?.destroy();
    this.#prism = undefined;
  }
}
