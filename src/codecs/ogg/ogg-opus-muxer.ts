import { randomBytes } from 'node:crypto';
import { Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import { oggCrc32 } from './ogg-crc.js';
import { opusPacketSamples } from '../opus/opus.js';

/** Encoder delay of libopus in 48 kHz samples (6.5 ms); 120 (2.5 ms) for the low-delay application. */
export const OPUS_DEFAULT_PRE_SKIP = 312;

/** Fields of the OpusHead written by {@link createOpusHead}. */
export interface OpusHeadOptions {
  channels: 1 | 2;
  /** Samples at 48 kHz the decoder drops at the start (the encoder's delay). Default 312. */
  preSkip?: number | undefined;
  /** The original input rate, informational. Default 48000. */
  inputSampleRate?: number | undefined;
  /** Gain in dB the decoder applies. Default 0. */
  outputGainDb?: number | undefined;
}

/** Builds an OpusHead packet (RFC 7845 §5.1), channel mapping family 0. */
export function createOpusHead(options: OpusHeadOptions): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1;
  b[9] = options.channels;
  b.writeUInt16LE(options.preSkip ?? OPUS_DEFAULT_PRE_SKIP, 10);
  b.writeUInt32LE(options.inputSampleRate ?? 48000, 12);
  b.writeInt16LE(Math.round((options.outputGainDb ?? 0) * 256), 16);
  b[18] = 0;
  return b;
}

/** Builds an OpusTags packet (RFC 7845 §5.2) with a vendor string and `KEY=value` comments. */
export function createOpusTags(vendor = 'tokenlab-audio', tags: Readonly<Record<string, string>> = {}): Buffer {
  const entries = Object.entries(tags).map(([k, v]) => Buffer.from(`${k}=${v}`, 'utf8'));
  const vendorBytes = Buffer.from(vendor, 'utf8');
  const b = Buffer.alloc(8 + 4 + vendorBytes.length + 4 + entries.reduce((n, e) => n + 4 + e.length, 0));
  b.write('OpusTags', 0, 'latin1');
  let at = 8;
  b.writeUInt32LE(vendorBytes.length, at);
  vendorBytes.copy(b, at + 4);
  at += 4 + vendorBytes.length;
  b.writeUInt32LE(entries.length, at);
  at += 4;
  for (const e of entries) {
    b.writeUInt32LE(e.length, at);
    e.copy(b, at + 4);
    at += 4 + e.length;
  }
  return b;
}

/** Options of {@link OggOpusMuxer}. */
export interface OggOpusMuxerOptions extends OpusHeadOptions {
  /** Logical stream serial number. Default random. */
  serial?: number | undefined;
  /** Vendor string in OpusTags. */
  vendor?: string | undefined;
  /** Comments in OpusTags (`TITLE`, `ARTIST`, …). */
  tags?: Readonly<Record<string, string>> | undefined;
  /**
   * Audio per page before a page is written, in ms. Small values lower latency for live streams
   * (a page per 20 ms packet for Discord), large values save overhead in files. Default 200.
   */
  pageDurationMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_SEGMENTS = 255;

/**
 * Ogg/Opus muxer: Opus packets in (object mode, e.g. from {@link OpusEncoder}), a standard Ogg/Opus
 * byte stream out (`.opus`/`.ogg`, what ffmpeg, browsers and Discord read). Writes OpusHead and
 * OpusTags pages, lacing and segment tables (packets spanning pages when needed), page CRCs,
 * granule positions at 48 kHz including the pre-skip, and an end-of-stream page whose granule
 * trims the encoder's padding when {@link setTotalSamples} was called.
 */
export class OggOpusMuxer extends Transform {
  readonly #serial: number;
  readonly #pageSamples: number;
  readonly #preSkip: number;
  readonly #headers: Buffer[];
  #headersWritten = false;
  #sequence = 0;
  /** Granule position at the end of the packets written (decoded samples at 48 kHz; the first `preSkip` of them are dropped by decoders). */
  #granule: number;
  #totalSamples: number | undefined;
  // Packets waiting for the current page.
  #queue: Buffer[] = [];
  #queueSamples = 0;
  #queueSegments = 0;
  #pages = 0;

  constructor(options: OggOpusMuxerOptions) {
    super({ writableObjectMode: true });
    if (options.channels !== 1 && options.channels !== 2) throw new InputError('OggOpusMuxer: channels must be 1 or 2.');
    const preSkip = options.preSkip ?? OPUS_DEFAULT_PRE_SKIP;
    if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 65535) throw new InputError('OggOpusMuxer: preSkip must be 0..65535 samples at 48 kHz.');
    const pageMs = options.pageDurationMs ?? 200;
    if (!(pageMs > 0)) throw new InputError('OggOpusMuxer: pageDurationMs must be > 0.');
    this.#serial = options.serial === undefined ? randomBytes(4).readUInt32LE(0) : options.serial >>> 0;
    this.#pageSamples = Math.round(pageMs * 48);
    this.#preSkip = preSkip;
    this.#granule = 0;
    this.#headers = [createOpusHead({ ...options, preSkip }), createOpusTags(options.vendor, options.tags)];
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** Ogg pages written so far. */
  get pages(): number {
    return this.#pages;
  }

  get serial(): number {
    return this.#serial;
  }

  /**
   * The number of real samples (at 48 kHz, excluding pre-skip) in the stream, when known; the last
   * page's granule position is set from it so decoders drop the encoder's end padding.
   */
  setTotalSamples(samples48k: number): void {
    if (!Number.isFinite(samples48k) || samples48k < 0) throw new InputError('OggOpusMuxer.setTotalSamples: samples must be >= 0.');
    this.#totalSamples = Math.round(samples48k);
  }

  /**
   * Adds one packet directly (for callers that drive the muxer without the stream API); complete
   * pages are given to `onPage`.
   * @throws FormatError for a packet whose duration cannot be read (not Opus).
   */
  writePacket(packet: Uint8Array, onPage: (page: Buffer) => void): void {
    const samples = opusPacketSamples(packet);
    if (samples === 0) {
      throw new FormatError(`OggOpusMuxer was given an invalid Opus packet (${packet.length} bytes); it cannot be timed.`, 'TLA_ERR_OPUS_PACKET');
    }
    this.#sink = onPage;
    this.#writeHeaders(false);
    const segments = Math.floor(packet.length / 255) + 1;
    // A full page is written when the next packet comes, so the last page always holds the last
    // packet: decoders only trim the end padding when the end-of-stream page carries audio.
    if (this.#queue.length > 0 && (this.#queueSamples >= this.#pageSamples || this.#queueSegments + segments > MAX_SEGMENTS)) {
      this.#flushPage(false);
    }
    this.#queue.push(Buffer.isBuffer(packet) ? packet : Buffer.from(packet));
    this.#queueSamples += samples;
    this.#queueSegments += segments;
  }

  /**
   * Writes the queued packets as a page now (for live streams that must not wait for the next
   * packet). The stream's last page should still come from {@link finish}.
   */
  flushPage(onPage: (page: Buffer) => void): void {
    this.#sink = onPage;
    this.#flushPage(false);
  }

  /** Writes what is queued as the last page (end of stream), headers first if nothing was written. */
  finish(onPage: (page: Buffer) => void): void {
    this.#sink = onPage;
    if (!this.#headersWritten) {
      // No audio at all: the tags page ends the stream (an empty last page upsets some demuxers).
      this.#writeHeaders(true);
      return;
    }
    this.#flushPage(true);
  }

  #sink: (page: Buffer) => void = () => {};
  readonly #pushPage = (page: Buffer): void => {
    this.push(page);
  };

  override _transform(packet: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!(packet instanceof Uint8Array)) {
      callback(new InputError('OggOpusMuxer takes Opus packets as Buffers (object mode), one packet per write.'));
      return;
    }
    try {
      this.writePacket(packet, this.#pushPage);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    this.finish(this.#pushPage);
    callback();
  }

  #writeHeaders(eos: boolean): void {
    if (this.#headersWritten) return;
    this.#headersWritten = true;
    this.#writePackets([this.#headers[0]!], 0, 0x02, false);
    this.#writePackets([this.#headers[1]!], 0, 0x00, eos);
  }

  #flushPage(eos: boolean): void {
    if (this.#queue.length === 0 && !eos) return;
    this.#granule += this.#queueSamples;
    let granule = this.#granule;
    if (eos && this.#totalSamples !== undefined) granule = Math.min(granule, this.#preSkip + this.#totalSamples);
    this.#writePackets(this.#queue, granule, 0x00, eos);
    this.#queue = [];
    this.#queueSamples = 0;
    this.#queueSegments = 0;
  }

  /** Writes packets as one or more pages; the last page carries `granule` (earlier ones -1 when no packet ends on them). */
  #writePackets(packets: Buffer[], granule: number, firstFlags: number, eos: boolean): void {
    // Lacing values for all packets.
    const laces: number[] = [];
    for (const p of packets) {
      let left = p.length;
      while (left >= 255) {
        laces.push(255);
        left -= 255;
      }
      laces.push(left);
    }
    const body = packets.length === 1 ? packets[0]! : Buffer.concat(packets);
    let laceAt = 0;
    let bodyAt = 0;
    let continued = false;
    do {
      const count = Math.min(MAX_SEGMENTS, laces.length - laceAt);
      let bytes = 0;
      let endsPacket = false;
      for (let i = 0; i < count; i++) {
        bytes += laces[laceAt + i]!;
        if (laces[laceAt + i]! < 255) endsPacket = true;
      }
      const last = laceAt + count >= laces.length;
      let flags = continued ? 0x01 : 0x00;
      if (!continued && laceAt === 0) flags |= firstFlags;
      if (last && eos) flags |= 0x04;
      const pageGranule = last ? granule : endsPacket ? -2 : -1;
      this.#writePage(flags, pageGranule === -2 ? this.#granuleOfCompleted(packets, laces, laceAt + count) : pageGranule, laces, laceAt, count, body, bodyAt, bytes);
      // The next page continues a packet when this one ended on a 255 lace.
      continued = count > 0 && laces[laceAt + count - 1] === 255;
      laceAt += count;
      bodyAt += bytes;
    } while (laceAt < laces.length);
  }

  // Granule of the last packet completed within the first `laceEnd` laces (only for very large pages).
  #granuleOfCompleted(packets: Buffer[], laces: number[], laceEnd: number): number {
    let samples = 0;
    let lace = 0;
    for (const p of packets) {
      lace += Math.floor(p.length / 255) + 1;
      if (lace > laceEnd) break;
      samples += opusPacketSamples(p);
    }
    return this.#granule - this.#queueSamples + samples;
  }

  #writePage(flags: number, granule: number, laces: number[], laceAt: number, count: number, body: Buffer, bodyAt: number, bytes: number): void {
    const page = Buffer.allocUnsafe(27 + count + bytes);
    page.write('OggS', 0, 'latin1');
    page[4] = 0;
    page[5] = flags;
    if (granule < 0) {
      page.writeUInt32LE(0xffffffff, 6);
      page.writeUInt32LE(0xffffffff, 10);
    } else {
      page.writeUInt32LE(granule % 0x1_0000_0000, 6);
      page.writeUInt32LE(Math.floor(granule / 0x1_0000_0000), 10);
    }
    page.writeUInt32LE(this.#serial, 14);
    page.writeUInt32LE(this.#sequence++, 18);
    page.writeUInt32LE(0, 22);
    page[26] = count;
    for (let i = 0; i < count; i++) page[27 + i] = laces[laceAt + i]!;
    body.copy(page, 27 + count, bodyAt, bodyAt + bytes);
    page.writeUInt32LE(oggCrc32(page), 22);
    this.#pages++;
    this.#sink(page);
  }
}
