import { Transform, type TransformCallback } from 'node:stream';
import { FormatError } from '../core/errors.js';

// Element IDs (with their length marker, as written).
const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_NUMBER = 0xd7;
const TRACK_TYPE = 0x83;
const CODEC_ID = 0x86;
const CODEC_PRIVATE = 0x63a2;
const CODEC_DELAY = 0x56aa;
const AUDIO = 0xe1;
const CHANNELS = 0x9f;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
const DISCARD_PADDING = 0x75a2;

/** Master elements we descend into (their size does not matter, so "unknown size" from live muxers is fine). */
const DESCEND = new Set([SEGMENT, CLUSTER, TRACKS, TRACK_ENTRY, AUDIO, BLOCK_GROUP]);
/** Leaf elements we read whole. */
const READ = new Set([TRACK_NUMBER, TRACK_TYPE, CODEC_ID, CODEC_PRIVATE, CODEC_DELAY, CHANNELS, SIMPLE_BLOCK, BLOCK, DISCARD_PADDING]);
const MAX_ELEMENT_BYTES = 16 * 1024 * 1024;

interface TrackEntry {
  number?: number;
  type?: number;
  codec?: string;
  codecPrivate?: Buffer;
  codecDelayNs?: number;
  channels?: number;
}

/**
 * WebM (Matroska) with an Opus track in (bytes, any chunking), Opus packets out (object mode, one
 * Buffer per packet). Unlike prism-media's WebmDemuxer it also reads `BlockGroup`/`Block` (ffmpeg
 * writes the last packet that way), block lacing, and `DiscardPadding`, so with
 * {@link endDiscardFrames} a decoder can trim the end exactly as ffmpeg does.
 *
 * Errors (FormatError): not EBML (`TLA_ERR_NOT_WEBM`), no Opus audio track (`TLA_ERR_WEBM_NO_OPUS`),
 * an element too large to be sane (`TLA_ERR_WEBM_DAMAGED`).
 */
export class WebmOpusDemuxer extends Transform {
  /** The Opus track's CodecPrivate (an OpusHead packet), once read. */
  codecPrivate: Buffer | undefined;
  /** The track's CodecDelay in ns (the pre-skip), once read. */
  codecDelayNs: number | undefined;
  /** Packets emitted. */
  packets = 0;
  /** True when the input ended inside an element. */
  truncated = false;

  #pending: Buffer | null = null;
  #skip = 0;
  #started = false;
  readonly #entries: TrackEntry[] = [];
  #entry: TrackEntry | null = null;
  #track: number | undefined;
  #lastDiscardNs = 0;

  constructor() {
    super({ readableObjectMode: true });
  }

  /** Sample frames (48 kHz) to drop from the end of the last packet: its DiscardPadding. */
  get endDiscardFrames(): number {
    return Math.max(0, Math.round((this.#lastDiscardNs * 48_000) / 1e9));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let buf = chunk;
    if (this.#pending) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let at = 0;
    try {
      at = this.#parse(buf);
    } catch (err) {
      callback(err as Error);
      return;
    }
    // Keep the unparsed tail (at most one element header or one block) for the next chunk.
    if (at < buf.length) this.#pending = Buffer.from(buf.subarray(at));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.truncated = this.#pending !== null || this.#skip > 0;
    this.#pending = null;
    if (!this.#started) {
      callback(new FormatError('WebM: the input ended before the EBML header.', 'TLA_ERR_NOT_WEBM'));
      return;
    }
    if (this.#track === undefined && !this.#chooseTrack()) {
      callback(new FormatError('WebM: no Opus audio track was found (decode other codecs with ffmpeg).', 'TLA_ERR_WEBM_NO_OPUS'));
      return;
    }
    callback();
  }

  /** Parses elements from `buf`; returns the offset of the first byte not consumed. */
  #parse(buf: Buffer): number {
    let at = 0;
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length - at);
        this.#skip -= n;
        at += n;
        if (this.#skip > 0) return at;
      }
      const id = readId(buf, at);
      if (id === null) return at;
      const size = readSize(buf, at + id.length);
      if (size === null) return at;
      const dataAt = at + id.length + size.length;
      if (!this.#started) {
        if (id.value !== EBML) throw new FormatError('WebM: the input does not start with an EBML header.', 'TLA_ERR_NOT_WEBM');
        this.#started = true;
      }
      if (DESCEND.has(id.value)) {
        if (id.value === TRACK_ENTRY) {
          this.#entry = {};
          this.#entries.push(this.#entry);
        }
        if (id.value === CLUSTER && this.#track === undefined && !this.#chooseTrack()) {
          throw new FormatError('WebM: no Opus audio track was found (decode other codecs with ffmpeg).', 'TLA_ERR_WEBM_NO_OPUS');
        }
        at = dataAt;
        continue;
      }
      if (size.value === undefined) throw new FormatError(`WebM: element 0x${id.value.toString(16)} has an unknown size and cannot be skipped.`, 'TLA_ERR_WEBM_DAMAGED');
      if (!READ.has(id.value)) {
        at = dataAt;
        this.#skip = size.value;
        continue;
      }
      if (size.value > MAX_ELEMENT_BYTES) throw new FormatError(`WebM: element 0x${id.value.toString(16)} claims ${size.value} bytes; the file is damaged.`, 'TLA_ERR_WEBM_DAMAGED');
      if (dataAt + size.value > buf.length) return at;
      this.#element(id.value, buf.subarray(dataAt, dataAt + size.value));
      at = dataAt + size.value;
    }
  }

  #element(id: number, data: Buffer): void {
    const entry = this.#entry;
    switch (id) {
      case TRACK_NUMBER:
        if (entry) entry.number = readUint(data);
        return;
      case TRACK_TYPE:
        if (entry) entry.type = readUint(data);
        return;
      case CODEC_ID:
        if (entry) entry.codec = data.toString('latin1').replace(/\0+$/, '');
        return;
      case CODEC_PRIVATE:
        if (entry) entry.codecPrivate = Buffer.from(data);
        return;
      case CODEC_DELAY:
        if (entry) entry.codecDelayNs = readUint(data);
        return;
      case CHANNELS:
        if (entry) entry.channels = readUint(data);
        return;
      case DISCARD_PADDING:
        this.#lastDiscardNs = readInt(data);
        return;
      case SIMPLE_BLOCK:
      case BLOCK:
        this.#block(data);
        return;
    }
  }

  #chooseTrack(): boolean {
    const opus = this.#entries.find((e) => e.type === 2 && e.codec === 'A_OPUS' && e.number !== undefined);
    if (!opus) return false;
    this.#track = opus.number;
    this.codecPrivate = opus.codecPrivate;
    this.codecDelayNs = opus.codecDelayNs;
    if (opus.codecPrivate) this.emit('head', opus.codecPrivate);
    return true;
  }

  #block(data: Buffer): void {
    if (this.#track === undefined && !this.#chooseTrack()) {
      throw new FormatError('WebM: a block came before any Opus audio track.', 'TLA_ERR_WEBM_NO_OPUS');
    }
    const track = readSize(data, 0);
    if (track === null || track.value === undefined || data.length < track.length + 3) return;
    if (track.value !== this.#track) return;
    // A new block of our track: DiscardPadding seen from now on belongs to it.
    this.#lastDiscardNs = 0;
    let at = track.length + 2;
    const flags = data[at]!;
    at += 1;
    const lacing = (flags >> 1) & 3;
    if (lacing === 0) {
      this.#emit(data.subarray(at));
      return;
    }
    const count = data[at]! + 1;
    at += 1;
    const sizes: number[] = [];
    if (lacing === 1) {
      // Xiph lacing: each size as a run of 255s plus a final byte.
      for (let i = 0; i < count - 1; i++) {
        let n = 0;
        let b: number;
        do {
          b = data[at++]!;
          n += b;
        } while (b === 255 && at < data.length);
        sizes.push(n);
      }
    } else if (lacing === 3) {
      // EBML lacing: the first size as a vint, then signed differences.
      const first = readSize(data, at);
      if (first === null || first.value === undefined) return;
      at += first.length;
      sizes.push(first.value);
      for (let i = 1; i < count - 1; i++) {
        const diff = readSize(data, at);
        if (diff === null || diff.value === undefined) return;
        at += diff.length;
        const bias = 2 ** (7 * diff.length - 1) - 1;
        sizes.push(sizes[i - 1]! + diff.value - bias);
      }
    } else {
      const each = Math.floor((data.length - at) / count);
      for (let i = 0; i < count - 1; i++) sizes.push(each);
    }
    for (const size of sizes) {
      if (size < 0 || at + size > data.length) return;
      this.#emit(data.subarray(at, at + size));
      at += size;
    }
    this.#emit(data.subarray(at));
  }

  #emit(packet: Buffer): void {
    this.packets++;
    // A copy: the parse buffer is reused (and may be a concat scratch).
    this.push(Buffer.from(packet));
  }
}

function vintLength(first: number): number {
  for (let i = 0; i < 8; i++) if (first & (0x80 >> i)) return i + 1;
  return 0;
}

/** An element ID (marker bits kept), or null when more bytes are needed. */
function readId(buf: Buffer, at: number): { value: number; length: number } | null {
  if (at >= buf.length) return null;
  const length = vintLength(buf[at]!);
  if (length === 0 || length > 4) throw new FormatError('WebM: invalid element ID; the file is damaged.', 'TLA_ERR_WEBM_DAMAGED');
  if (at + length > buf.length) return null;
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + buf[at + i]!;
  return { value, length };
}

/** A size/track vint (marker stripped; `undefined` value = unknown size), or null when more bytes are needed. */
function readSize(buf: Buffer, at: number): { value: number | undefined; length: number } | null {
  if (at >= buf.length) return null;
  const length = vintLength(buf[at]!);
  if (length === 0) throw new FormatError('WebM: invalid element size; the file is damaged.', 'TLA_ERR_WEBM_DAMAGED');
  if (at + length > buf.length) return null;
  let value = buf[at]! & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = buf[at + i]!;
    if (b !== 0xff) allOnes = false;
    value = value * 256 + b;
  }
  return { value: allOnes ? undefined : value, length };
}

function readUint(data: Buffer): number {
  let value = 0;
  for (const b of data) value = value * 256 + b;
  return value;
}

function readInt(data: Buffer): number {
  if (data.length === 0) return 0;
  let value = readUint(data);
  if (data[0]! & 0x80) value -= 2 ** (8 * data.length);
  return value;
}
