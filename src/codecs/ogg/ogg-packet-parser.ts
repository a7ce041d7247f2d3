import { FormatError } from '../../core/errors.js';
import { oggCrc32 } from './ogg-crc.js';

/** Where a packet sits in the Ogg stream. */
export interface OggPacketInfo {
  /** Logical bitstream serial number. */
  readonly serial: number;
  /** Page sequence number of the page the packet ends on. */
  readonly pageSequence: number;
  /**
   * Granule position of that page (codec-defined: samples at 48 kHz for Opus), or -1 when no packet
   * ends on the page. It belongs to the last packet completed on the page.
   */
  readonly granulePosition: number;
  /** The page is the first of its logical stream. */
  readonly bos: boolean;
  /** The page is the last of its logical stream. */
  readonly eos: boolean;
  /** This packet is the last one completed on its page (so `granulePosition` is its end). */
  readonly lastOnPage: boolean;
}

/** Counters of what the parser had to skip. */
export interface OggParseStats {
  /** Pages dropped because their CRC did not match. */
  readonly badPages: number;
  /** Bytes skipped while searching for the next "OggS" after damage. */
  readonly skippedBytes: number;
  /** Pages read. */
  readonly pages: number;
}

const HEADER = 27;
const MAX_PAGE = HEADER + 255 + 255 * 255;

/**
 * Incremental Ogg page parser and packet assembler. Bytes in any chunking; calls `onPacket` with a
 * view of each complete packet (valid only during the call) and where it sits. Packets that span
 * pages are joined; pages with a bad CRC are dropped (the packet they were part of is lost) and the
 * parser resynchronizes on the next capture pattern. One copy per byte into a page buffer; no
 * allocation per page once the buffers have grown.
 */
export class OggPacketParser {
  readonly #onPacket: (packet: Uint8Array, info: OggPacketInfo) => void;
  readonly #verifyCrc: boolean;
  #buf = new Uint8Array(MAX_PAGE * 2);
  #start = 0;
  #end = 0;
  #packet = new Uint8Array(4096);
  #packetFill = 0;
  // Serial of the partial packet in #packet (-1 = none), to drop it if the next page does not continue it.
  #partialSerial = -1;
  #partialSequence = -1;
  #sawPage = false;
  #totalBytes = 0;
  #badPages = 0;
  #skippedBytes = 0;
  #pages = 0;

  constructor(onPacket: (packet: Uint8Array, info: OggPacketInfo) => void, options: { verifyCrc?: boolean } = {}) {
    this.#onPacket = onPacket;
    this.#verifyCrc = options.verifyCrc ?? true;
  }

  get stats(): OggParseStats {
    return { badPages: this.#badPages, skippedBytes: this.#skippedBytes, pages: this.#pages };
  }

  /** Bytes held that do not yet form a complete page. */
  get pendingBytes(): number {
    return this.#end - this.#start;
  }

  /** Total bytes pushed. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /**
   * Feeds bytes.
   * @throws FormatError when the stream does not start with an Ogg page.
   */
  push(chunk: Uint8Array): void {
    this.#totalBytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#end === this.#buf.length) this.#compact();
      const n = Math.min(chunk.length - offset, this.#buf.length - this.#end);
      this.#buf.set(chunk.subarray(offset, offset + n), this.#end);
      this.#end += n;
      offset += n;
      this.#parse();
    }
  }

  #compact(): void {
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
  }

  #parse(): void {
    const b = this.#buf;
    for (;;) {
      const avail = this.#end - this.#start;
      if (avail < HEADER) return;
      const p = this.#start;
      if (b[p] !== 0x4f || b[p + 1] !== 0x67 || b[p + 2] !== 0x67 || b[p + 3] !== 0x53 || b[p + 4] !== 0) {
        if (!this.#sawPage) {
          throw new FormatError('Not an Ogg stream: it does not start with the "OggS" capture pattern.', 'TLA_ERR_NOT_OGG');
        }
        this.#resync();
        continue;
      }
      this.#sawPage = true;
      const segments = b[p + 26]!;
      if (avail < HEADER + segments) return;
      let bodyLength = 0;
      for (let i = 0; i < segments; i++) bodyLength += b[p + HEADER + i]!;
      const pageLength = HEADER + segments + bodyLength;
      if (avail < pageLength) return;
      if (this.#verifyCrc && !this.#crcOk(p, pageLength)) {
        this.#badPages++;
        this.#resync();
        continue;
      }
      this.#page(p, segments, pageLength);
      this.#start += pageLength;
      this.#pages++;
    }
  }

  /** Skips at least one byte, then up to the next "OggS" (the current position is known to be bad). */
  #resync(): void {
    const b = this.#buf;
    let i = this.#start + 1;
    while (i + 4 <= this.#end && !(b[i] === 0x4f && b[i + 1] === 0x67 && b[i + 2] === 0x67 && b[i + 3] === 0x53)) i++;
    // Keep up to 3 trailing bytes that may begin a capture pattern.
    if (i + 4 > this.#end) i = Math.max(this.#start, this.#end - 3);
    this.#skippedBytes += i - this.#start;
    this.#start = i;
    // A damaged page breaks the packet that was spanning it.
    this.#packetFill = 0;
    this.#partialSerial = -1;
  }

  #crcOk(p: number, length: number): boolean {
    const b = this.#buf;
    const stored = (b[p + 22]! | (b[p + 23]! << 8) | (b[p + 24]! << 16) | (b[p + 25]! << 24)) >>> 0;
    let crc = oggCrc32(b, p, p + 22, 0);
    crc = oggCrc32(ZERO4, 0, 4, crc);
    crc = oggCrc32(b, p + 26, p + length, crc);
    return crc === stored;
  }

  #page(p: number, segments: number, pageLength: number): void {
    const b = this.#buf;
    const flags = b[p + 5]!;
    const continued = (flags & 1) !== 0;
    const bos = (flags & 2) !== 0;
    const eos = (flags & 4) !== 0;
    const lo = (b[p + 6]! | (b[p + 7]! << 8) | (b[p + 8]! << 16) | (b[p + 9]! << 24)) >>> 0;
    const hi = (b[p + 10]! | (b[p + 11]! << 8) | (b[p + 12]! << 16) | (b[p + 13]! << 24)) >>> 0;
    const granulePosition = hi === 0xffffffff && lo === 0xffffffff ? -1 : hi * 0x1_0000_0000 + lo;
    const serial = (b[p + 14]! | (b[p + 15]! << 8) | (b[p + 16]! << 16) | (b[p + 17]! << 24)) >>> 0;
    const pageSequence = (b[p + 18]! | (b[p + 19]! << 8) | (b[p + 20]! << 16) | (b[p + 21]! << 24)) >>> 0;

    // A continued page must follow the page that left a partial packet; otherwise that packet is lost.
    if (this.#packetFill > 0 && (!continued || serial !== this.#partialSerial || pageSequence !== this.#partialSequence + 1)) {
      this.#packetFill = 0;
    }
    // Index of the last segment that ends a packet, to mark the packet the granule belongs to.
    let lastEnd = -1;
    for (let i = 0; i < segments; i++) if (b[p + HEADER + i]! < 255) lastEnd = i;

    let bodyPos = p + HEADER + segments;
    let packetStart = bodyPos;
    // Bytes at the start of a continued page belong to a packet we are not holding: skip them.
    let discarding = continued && this.#packetFill === 0;
    for (let i = 0; i < segments; i++) {
      const lace = b[p + HEADER + i]!;
      bodyPos += lace;
      if (lace === 255) continue;
      // A packet ends here.
      if (discarding) {
        discarding = false;
      } else if (this.#packetFill > 0) {
        this.#append(b, packetStart, bodyPos);
        this.#emit(this.#packet.subarray(0, this.#packetFill), serial, pageSequence, granulePosition, bos, eos, i === lastEnd);
        this.#packetFill = 0;
      } else {
        this.#emit(b.subarray(packetStart, bodyPos), serial, pageSequence, granulePosition, bos, eos, i === lastEnd);
      }
      packetStart = bodyPos;
    }
    // A packet continues on the next page.
    if (packetStart < p + pageLength || (segments > 0 && b[p + HEADER + segments - 1] === 255)) {
      if (!discarding) {
        this.#append(b, packetStart, p + pageLength);
        this.#partialSerial = serial;
        this.#partialSequence = pageSequence;
      }
    } else {
      this.#partialSerial = -1;
    }
  }

  #append(src: Uint8Array, from: number, to: number): void {
    const need = this.#packetFill + (to - from);
    if (need > this.#packet.length) {
      const grown = new Uint8Array(Math.max(need, this.#packet.length * 2));
      grown.set(this.#packet.subarray(0, this.#packetFill));
      this.#packet = grown;
    }
    this.#packet.set(src.subarray(from, to), this.#packetFill);
    this.#packetFill = need;
  }

  #emit(packet: Uint8Array, serial: number, pageSequence: number, granulePosition: number, bos: boolean, eos: boolean, lastOnPage: boolean): void {
    this.#onPacket(packet, { serial, pageSequence, granulePosition, bos, eos, lastOnPage });
  }

  /**
   * Call at end of input.
   * @returns how many bytes of an incomplete page (or packet) were left over (0 for a clean end).
   * @throws FormatError for empty input.
   */
  end(): number {
    if (this.#totalBytes === 0) throw new FormatError('The audio input is empty (0 bytes); expected an Ogg stream.', 'TLA_ERR_EMPTY_INPUT');
    if (!this.#sawPage) {
      throw new FormatError(`The input ended after ${this.#totalBytes} bytes, before a whole Ogg page header: truncated or not Ogg.`, 'TLA_ERR_OGG_TRUNCATED');
    }
    const left = this.#end - this.#start + this.#packetFill;
    this.#start = this.#end = 0;
    this.#packetFill = 0;
    return left;
  }
}

const ZERO4 = new Uint8Array(4);
