import { addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { OpusDecoder, parseOpusHead, type OpusCorruptPacket, type OpusCorruptPolicy, OpusPcmDecoderTransform, type OpusHead, type OpusSampleRate } from './opus.js';
import { OutputTrimmer } from '../output-trimmer.js';

/** Options of {@link WebmOpusDecoder}. */
export interface WebmOpusDecoderOptions {
  /** Output rate. Default 48000. */
  sampleRate?: OpusSampleRate | undefined;
  /** Output channels. Default: the track's (1 or 2). */
  channels?: 1 | 2 | undefined;
  /** See {@link OpusDecoder}. Default `'skip'`. */
  onCorrupt?: OpusCorruptPolicy | undefined;
  /** Input ending inside an element: `'warn'` (default: emit `'truncated'`) or `'error'`. */
  onTruncated?: 'warn' | 'error' | undefined;
  signal?: AbortSignal | undefined;
}

// Matroska/WebM element IDs (with their length marker bits, as written).
const ID_EBML = 0x1a45dfa3;
const ID_DOCTYPE = 0x4282;
const ID_SEGMENT = 0x18538067;
const ID_CLUSTER = 0x1f43b675;
const ID_TRACKS = 0x1654ae6b;
const ID_TRACK_ENTRY = 0xae;
const ID_TRACK_NUMBER = 0xd7;
const ID_TRACK_TYPE = 0x83;
const ID_CODEC_ID = 0x86;
const ID_CODEC_PRIVATE = 0x63a2;
const ID_CODEC_DELAY = 0x56aa;
const ID_AUDIO = 0xe1;
const ID_CHANNELS = 0x9f;
const ID_SIMPLE_BLOCK = 0xa3;
const ID_BLOCK_GROUP = 0xa0;
const ID_BLOCK = 0xa1;
const ID_DISCARD_PADDING = 0x75a2;

/** Containers we step into; their children follow inline (sizes may be unknown in live WebM). */
const MASTERS = new Set([ID_SEGMENT, ID_CLUSTER, ID_TRACKS, ID_TRACK_ENTRY, ID_AUDIO, ID_BLOCK_GROUP]);
/** Leaves whose data we need. */
const LEAVES = new Set([ID_EBML, ID_TRACK_NUMBER, ID_TRACK_TYPE, ID_CODEC_ID, ID_CODEC_PRIVATE, ID_CODEC_DELAY, ID_CHANNELS, ID_SIMPLE_BLOCK, ID_BLOCK, ID_DISCARD_PADDING]);
/** Largest element we buffer (a block); anything larger is damage. */
const MAX_ELEMENT = 16 * 1024 * 1024;

interface Track {
  number?: number;
  type?: number;
  codecId?: string;
  codecPrivate?: Uint8Array;
  codecDelayNs?: number;
  channels?: number;
}

/**
 * WebM (or Matroska) with an Opus track in, interleaved s16le PCM out, in-process. A small
 * streaming EBML reader of our own (prism-media's WebmDemuxer ignores BlockGroups, so it drops the
 * last packet, and has no CodecDelay/DiscardPadding): SimpleBlocks and BlockGroups, Xiph/EBML/fixed
 * lacing, unknown-size segments and clusters (live MediaRecorder output), the codec delay
 * (CodecDelay, else the OpusHead pre-skip) dropped from the start and DiscardPadding from the end,
 * so the output has exactly the samples ffmpeg gives. Block timestamps are not used (no gap filling).
 *
 * Events: `'head'`, `'format'`, `'corrupt'`, `'truncated'`. Errors (FormatError): empty input, not
 * EBML (`TLA_ERR_NOT_WEBM`), no Opus audio track (`TLA_ERR_WEBM_NOT_OPUS`: decode with ffmpeg),
 * damaged element sizes (`TLA_ERR_WEBM_DAMAGED`), multichannel Opus (`TLA_ERR_OPUS_UNSUPPORTED`).
 */
export class WebmOpusDecoder extends OpusPcmDecoderTransform {
  readonly #options: WebmOpusDecoderOptions;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  /** Absolute stream offset of #buf[#start]. */
  #offset = 0;
  #skip = 0;
  #sawEbml = false;
  #totalBytes = 0;
  #track: Track = {};
  #tracks: Track[] = [];
  #audio: Track | undefined;
  #decoder: OpusDecoder | undefined;
  #trimmer: OutputTrimmer | undefined;
  #head: OpusHead | undefined;
  #rateScale = 1;
  // A Block inside a BlockGroup waits for the group's end, where DiscardPadding may follow it.
  #groupEnd = -1;
  #pendingBlock: Uint8Array | undefined;
  #pendingDiscardNs = 0;
  #truncated = false;

  constructor(options: WebmOpusDecoderOptions = {}) {
    super();
    if (options.channels !== undefined && options.channels !== 1 && options.channels !== 2) throw new InputError('WebmOpusDecoder: channels must be 1 or 2.');
    this.#options = options;
    if (options.signal) addAbortSignal(options.signal, this);
  }

  get format(): PcmFormat | undefined {
    return this.#decoder?.format;
  }

  get head(): OpusHead | undefined {
    return this.#head;
  }

  get corruptPackets(): number {
    return this.#decoder?.corruptPackets ?? 0;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#totalBytes += chunk.length;
      let at = 0;
      // Skip large unwanted elements straight from the chunk, without copying.
      if (this.#skip > 0 && this.#end === this.#start) {
        const n = Math.min(this.#skip, chunk.length);
        this.#skip -= n;
        this.#offset += n;
        at = n;
      }
      if (at < chunk.length) {
        this.#append(chunk.subarray(at));
        this.#parse();
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.#totalBytes === 0) throw new FormatError('The audio input is empty (0 bytes); expected a WebM file.', 'TLA_ERR_EMPTY_INPUT');
      if (!this.#sawEbml) throw new FormatError(`The input ended after ${this.#totalBytes} bytes, inside the EBML header: truncated or not WebM.`, 'TLA_ERR_WEBM_TRUNCATED');
      this.#finishGroup();
      if (!this.#audio) {
        throw new FormatError('The WebM input has no Opus audio track (or ended before its track list); decode it with ffmpeg.', 'TLA_ERR_WEBM_NOT_OPUS');
      }
      const left = this.#end - this.#start + this.#skip;
      if (left > 0) {
        this.#truncated = true;
        if (this.#options.onTruncated === 'error') {
          throw new FormatError(`The WebM stream ended inside an element (${left} bytes missing or left over): truncated. Everything before was decoded.`, 'TLA_ERR_WEBM_TRUNCATED');
        }
        this.emit('truncated', { leftoverBytes: left });
      }
      this.#decoder?.destroy();
      callback();
    } catch (err) {
      this.#decoder?.destroy();
      callback(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#decoder?.destroy();
    callback(err);
  }

  #append(bytes: Uint8Array): void {
    const need = this.#end - this.#start + bytes.length;
    if (this.#end + bytes.length > this.#buf.length) {
      if (need <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  #consume(n: number): void {
    this.#start += n;
    this.#offset += n;
  }

  /** Reads a vint at `at`: its byte length and value (marker removed); `undefined` when more bytes are needed. */
  #vint(at: number, keepMarker: boolean): { length: number; value: number; unknown: boolean } | undefined {
    if (at >= this.#end) return undefined;
    const first = this.#buf[at]!;
    if (first === 0) throw new FormatError(`Damaged WebM: an element header at byte ${this.#offset + (at - this.#start)} is not valid EBML.`, 'TLA_ERR_WEBM_DAMAGED');
    const length = Math.clz32(first) - 23;
    if (at + length > this.#end) return undefined;
    let value = keepMarker ? first : first & (0xff >> length);
    let allOnes = value === 0xff >> length;
    for (let i = 1; i < length; i++) {
      const b = this.#buf[at + i]!;
      value = value * 256 + b;
      if (b !== 0xff) allOnes = false;
    }
    return { length, value, unknown: !keepMarker && allOnes };
  }

  #parse(): void {
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#end - this.#start);
        this.#skip -= n;
        this.#consume(n);
        if (this.#skip > 0) return;
      }
      if (this.#groupEnd >= 0 && this.#offset >= this.#groupEnd) this.#finishGroup();
      const id = this.#vint(this.#start, true);
      if (!id) return;
      if (!this.#sawEbml && id.value !== ID_EBML) {
        throw new FormatError('Not a WebM/Matroska stream: it does not start with an EBML header (1A 45 DF A3).', 'TLA_ERR_NOT_WEBM');
      }
      if (id.length > 4) throw new FormatError(`Damaged WebM: element ID of ${id.length} bytes at byte ${this.#offset}.`, 'TLA_ERR_WEBM_DAMAGED');
      const size = this.#vint(this.#start + id.length, false);
      if (!size) return;
      const headerLength = id.length + size.length;
      if (MASTERS.has(id.value)) {
        if (id.value === ID_TRACK_ENTRY) this.#beginTrack();
        if (id.value === ID_BLOCK_GROUP) {
          this.#finishGroup();
          this.#pendingDiscardNs = 0;
          this.#groupEnd = size.unknown ? -1 : this.#offset + headerLength + size.value;
        }
        if (id.value === ID_CLUSTER || id.value === ID_SEGMENT) this.#finishGroup();
        this.#consume(headerLength);
        continue;
      }
      if (size.unknown) throw new FormatError(`Damaged WebM: element 0x${id.value.toString(16)} has an unknown size.`, 'TLA_ERR_WEBM_DAMAGED');
      if (!LEAVES.has(id.value)) {
        this.#consume(headerLength);
        this.#skip = size.value;
        continue;
      }
      if (size.value > MAX_ELEMENT) throw new FormatError(`Damaged WebM: element 0x${id.value.toString(16)} claims ${size.value} bytes.`, 'TLA_ERR_WEBM_DAMAGED');
      if (this.#end - this.#start < headerLength + size.value) return;
      const data = this.#buf.subarray(this.#start + headerLength, this.#start + headerLength + size.value);
      this.#leaf(id.value, data);
      this.#consume(headerLength + size.value);
    }
  }

  #beginTrack(): void {
    this.#track = {};
    this.#tracks.push(this.#track);
  }

  #leaf(id: number, data: Uint8Array): void {
    switch (id) {
      case ID_EBML: {
        this.#sawEbml = true;
        const docType = findDocType(data);
        if (docType !== undefined && docType !== 'webm' && docType !== 'matroska') {
          throw new FormatError(`This EBML stream is a ${JSON.stringify(docType)}, not WebM/Matroska.`, 'TLA_ERR_NOT_WEBM');
        }
        return;
      }
      case ID_TRACK_NUMBER:
        this.#track.number = readUint(data);
        return;
      case ID_TRACK_TYPE:
        this.#track.type = readUint(data);
        return;
      case ID_CODEC_ID:
        this.#track.codecId = String.fromCharCode(...data).replace(/\0+$/, '');
        return;
      case ID_CODEC_PRIVATE:
        this.#track.codecPrivate = Uint8Array.from(data);
        return;
      case ID_CODEC_DELAY:
        this.#track.codecDelayNs = readUint(data);
        return;
      case ID_CHANNELS:
        this.#track.channels = readUint(data);
        return;
      case ID_SIMPLE_BLOCK:
        this.#block(data, 0);
        return;
      case ID_BLOCK:
        // Held until the group ends: DiscardPadding may come before or after it in the group.
        this.#pendingBlock = Uint8Array.from(data);
        if (this.#groupEnd < 0) this.#finishGroup();
        return;
      case ID_DISCARD_PADDING:
        this.#pendingDiscardNs = readInt(data);
        return;
    }
  }

  #finishGroup(): void {
    this.#groupEnd = -1;
    const block = this.#pendingBlock;
    const discardNs = this.#pendingDiscardNs;
    this.#pendingDiscardNs = 0;
    if (!block) return;
    this.#pendingBlock = undefined;
    this.#block(block, discardNs);
  }

  #selectAudio(): Track {
    const audio = this.#tracks.find((t) => t.type === 2);
    if (!audio || audio.codecId !== 'A_OPUS') {
      throw new FormatError(
        `The WebM audio track is ${audio?.codecId ?? 'missing'}, not Opus; decode it with ffmpeg.`,
        'TLA_ERR_WEBM_NOT_OPUS',
      );
    }
    const head = audio.codecPrivate && audio.codecPrivate.length >= 19 ? parseOpusHead(audio.codecPrivate) : undefined;
    const channels = head?.channels ?? audio.channels ?? 2;
    if (channels > 2 || (head && head.mappingFamily !== 0)) {
      throw new FormatError(`This WebM Opus track has ${channels} channels; in-process decoding supports mono and stereo. Decode it with ffmpeg.`, 'TLA_ERR_OPUS_UNSUPPORTED');
    }
    const sampleRate = this.#options.sampleRate ?? 48000;
    const outChannels = this.#options.channels ?? (channels as 1 | 2);
    this.#decoder = new OpusDecoder({ sampleRate, channels: outChannels, onCorrupt: this.#options.onCorrupt });
    this.#decoder.on('corrupt', (c) => this.emit('corrupt', c));
    this.#rateScale = sampleRate / 48000;
    // CodecDelay is authoritative in Matroska; the OpusHead pre-skip is the fallback.
    const skip48 = audio.codecDelayNs !== undefined ? Math.round((audio.codecDelayNs * 48000) / 1e9) : (head?.preSkip ?? 0);
    this.#trimmer = new OutputTrimmer(2 * outChannels, Math.round(skip48 * this.#rateScale));
    this.#head = head;
    this.#audio = audio;
    if (head) this.emit('head', head);
    this.emit('format', this.#decoder.format);
    return audio;
  }

  #block(block: Uint8Array, discardNs: number): void {
    const track = readVintValue(block, 0);
    if (!track) return;
    const audio = this.#audio ?? this.#selectAudio();
    if (track.value !== audio.number) return;
    const flagsAt = track.length + 2;
    if (flagsAt >= block.length) return;
    const flags = block[flagsAt]!;
    const frames = splitLaces(block, flagsAt + 1, (flags >> 1) & 3);
    const decoder = this.#decoder!;
    const trimmer = this.#trimmer!;
    const frameBytes = 2 * decoder.format.channels;
    for (let i = 0; i < frames.length; i++) {
      let pcm = decoder.decodePacket(frames[i]!);
      if (!pcm) continue;
      if (discardNs > 0 && i === frames.length - 1) {
        const discard = Math.round(((discardNs * 48000) / 1e9) * this.#rateScale);
        const keep = Math.max(0, pcm.length / frameBytes - discard);
        pcm = pcm.subarray(0, keep * frameBytes);
      }
      const out = trimmer.take(pcm);
      if (out && out.length > 0) this.push(out);
    }
  }
}


function readUint(data: Uint8Array): number {
  let v = 0;
  for (const b of data) v = v * 256 + b;
  return v;
}

/** Big-endian two's complement integer (DiscardPadding may be negative in theory). */
function readInt(data: Uint8Array): number {
  const v = readUint(data);
  return data.length > 0 && data[0]! & 0x80 ? v - 256 ** data.length : v;
}

function readVintValue(data: Uint8Array, at: number): { length: number; value: number } | undefined {
  if (at >= data.length || data[at] === 0) return undefined;
  const first = data[at]!;
  const length = Math.clz32(first) - 23;
  if (at + length > data.length) return undefined;
  let value = first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + data[at + i]!;
  return { length, value };
}

function findDocType(ebmlHeader: Uint8Array): string | undefined {
  for (let i = 0; i + 2 < ebmlHeader.length; i++) {
    if (ebmlHeader[i] === 0x42 && ebmlHeader[i + 1] === 0x82) {
      const size = readVintValue(ebmlHeader, i + 2);
      if (!size) return undefined;
      const from = i + 2 + size.length;
      return String.fromCharCode(...ebmlHeader.subarray(from, from + size.value)).replace(/\0+$/, '');
    }
  }
  return undefined;
}

/** Splits a block's payload into frames according to its lacing (0 none, 1 Xiph, 2 fixed, 3 EBML). */
function splitLaces(block: Uint8Array, at: number, lacing: number): Uint8Array[] {
  if (lacing === 0) return [block.subarray(at)];
  if (at >= block.length) return [];
  const count = block[at]! + 1;
  let pos = at + 1;
  const sizes: number[] = [];
  if (lacing === 1) {
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      let b: number;
      do {
        if (pos >= block.length) return [];
        b = block[pos++]!;
        size += b;
      } while (b === 255);
      sizes.push(size);
    }
  } else if (lacing === 3) {
    const first = readVintValue(block, pos);
    if (!first) return [];
    pos += first.length;
    sizes.push(first.value);
    for (let i = 1; i < count - 1; i++) {
      const d = readVintValue(block, pos);
      if (!d) return [];
      pos += d.length;
      // Signed difference: the vint value minus half its range.
      const bias = 2 ** (7 * d.length - 1) - 1;
      sizes.push(sizes[i - 1]! + d.value - bias);
    }
  } else {
    const each = Math.floor((block.length - pos) / count);
    for (let i = 0; i < count - 1; i++) sizes.push(each);
  }
  const frames: Uint8Array[] = [];
  for (const size of sizes) {
    if (size < 0 || pos + size > block.length) return frames;
    frames.push(block.subarray(pos, pos + size));
    pos += size;
  }
  frames.push(block.subarray(pos));
  return frames;
}
