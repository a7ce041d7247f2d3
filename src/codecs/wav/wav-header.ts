import { FormatError } from '../../core/errors.js';

/** How the samples in a WAV data chunk are coded. */
export type WavCodec = 'pcm' | 'float' | 'mulaw' | 'alaw';

/** What a WAV header says, as far as a streaming reader needs it. */
export interface WavHeader {
  readonly codec: WavCodec;
  /** The format tag as written (1 PCM, 3 float, 6 A-law, 7 µ-law, 0xFFFE extensible). */
  readonly formatTag: number;
  /** True for WAVE_FORMAT_EXTENSIBLE (`codec` is then taken from its sub-format GUID). */
  readonly extensible: boolean;
  /** True for an RF64 file (64-bit sizes in a `ds64` chunk). */
  readonly rf64: boolean;
  readonly sampleRate: number;
  readonly channels: number;
  /** Bits per sample in the container (8, 16, 24, 32, 64). */
  readonly bitsPerSample: number;
  /** Meaningful bits when the extensible header says fewer than the container (e.g. 20 in 24). */
  readonly validBitsPerSample: number;
  /** Bytes per sample frame (all channels). */
  readonly blockAlign: number;
  /** Speaker position mask from an extensible header, else 0. */
  readonly channelMask: number;
  /** Byte offset of the first sample (just after the `data` chunk header). */
  readonly dataOffset: number;
  /**
   * Bytes of sample data the header claims, or `undefined` when it gives none: a size of 0 or
   * 0xFFFFFFFF, as written by ffmpeg to a pipe and by streaming TTS servers (then read to the end).
   */
  readonly dataByteLength: number | undefined;
}

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;
// The tail shared by every KSDATAFORMAT_SUBTYPE GUID; the first two bytes carry the format tag.
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** Largest `fmt ` / `ds64` chunk we buffer; real ones are 16..72 bytes. */
const MAX_SMALL_CHUNK = 4096;
const MAX_CHANNELS = 64;
const MAX_SAMPLE_RATE = 10_000_000;

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u64(b: Uint8Array, at: number): number {
  return u32(b, at) + u32(b, at + 4) * 0x1_0000_0000;
}

function printable(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at; i < Math.min(b.length, at + n); i++) {
    const c = b[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

interface FmtChunk {
  codec: WavCodec;
  formatTag: number;
  extensible: boolean;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  validBitsPerSample: number;
  channelMask: number;
}

function parseFmt(b: Uint8Array, at: number, size: number): FmtChunk {
  if (size < 16) throw new FormatError(`WAV 'fmt ' chunk is ${size} bytes; at least 16 are needed.`, 'TLA_ERR_WAV_HEADER');
  const formatTag = u16(b, at);
  const channels = u16(b, at + 2);
  const sampleRate = u32(b, at + 4);
  const blockAlign = u16(b, at + 12);
  const bitsPerSample = u16(b, at + 14);
  let tag = formatTag;
  let validBitsPerSample = bitsPerSample;
  let channelMask = 0;
  const extensible = formatTag === FORMAT_EXTENSIBLE;
  if (extensible) {
    if (size < 40) throw new FormatError(`WAV extensible 'fmt ' chunk is ${size} bytes; 40 are needed.`, 'TLA_ERR_WAV_HEADER');
    validBitsPerSample = u16(b, at + 18) || bitsPerSample;
    channelMask = u32(b, at + 20);
    tag = u16(b, at + 24);
    for (let i = 0; i < GUID_TAIL.length; i++) {
      if (b[at + 26 + i] !== GUID_TAIL[i]) {
        throw new FormatError('WAV extensible sub-format is not a standard audio GUID; convert it with ffmpeg.', 'TLA_ERR_WAV_UNSUPPORTED');
      }
    }
  }
  if (channels === 0 || channels > MAX_CHANNELS) {
    throw new FormatError(`WAV header claims ${channels} channels; a WAV must have 1 to ${MAX_CHANNELS}. The file is damaged or not really WAV.`, 'TLA_ERR_WAV_HEADER');
  }
  if (sampleRate === 0 || sampleRate > MAX_SAMPLE_RATE) {
    throw new FormatError(`WAV header claims a sample rate of ${sampleRate} Hz, which is not a usable rate. The file is damaged or not really WAV.`, 'TLA_ERR_WAV_HEADER');
  }
  let codec: WavCodec;
  if (tag === FORMAT_PCM) {
    if (bitsPerSample !== 8 && bitsPerSample !== 16 && bitsPerSample !== 24 && bitsPerSample !== 32) {
      throw new FormatError(`WAV integer PCM with ${bitsPerSample} bits per sample is not supported (8, 16, 24 or 32); convert it with ffmpeg.`, 'TLA_ERR_WAV_UNSUPPORTED');
    }
    codec = 'pcm';
  } else if (tag === FORMAT_FLOAT) {
    if (bitsPerSample !== 32 && bitsPerSample !== 64) {
      throw new FormatError(`WAV float with ${bitsPerSample} bits per sample is not supported (32 or 64).`, 'TLA_ERR_WAV_UNSUPPORTED');
    }
    codec = 'float';
  } else if (tag === FORMAT_MULAW || tag === FORMAT_ALAW) {
    if (bitsPerSample !== 8) throw new FormatError(`WAV G.711 with ${bitsPerSample} bits per sample is not valid (8).`, 'TLA_ERR_WAV_HEADER');
    codec = tag === FORMAT_MULAW ? 'mulaw' : 'alaw';
  } else {
    throw new FormatError(
      `WAV format tag 0x${tag.toString(16).padStart(4, '0')} (compressed audio such as ADPCM or MP3 inside WAV) is not decoded in-process; decode it with ffmpeg.`,
      'TLA_ERR_WAV_UNSUPPORTED',
    );
  }
  const expectedAlign = channels * (bitsPerSample >> 3);
  // Some writers get blockAlign wrong; the sample layout follows from bits and channels, so trust that.
  return { codec, formatTag, extensible, channels, sampleRate, blockAlign: expectedAlign || blockAlign, bitsPerSample, validBitsPerSample, channelMask };
}

/** Result of feeding bytes to a {@link WavHeaderParser}. */
export type WavHeaderStep =
  | { readonly done: false; readonly consumed: number }
  | { readonly done: true; readonly consumed: number; readonly header: WavHeader };

/**
 * Incremental WAV header parser: feed it bytes until it returns the header. It walks the chunks
 * before `data` without buffering them (a 5 MB `LIST` chunk of cover art costs nothing), honours
 * the pad byte after odd-sized chunks, and understands RF64.
 */
export class WavHeaderParser {
  #state: 'riff' | 'chunk' | 'small' | 'skip' = 'riff';
  readonly #small = new Uint8Array(Math.max(MAX_SMALL_CHUNK, 12));
  #smallFill = 0;
  #need = 12;
  #chunkId = '';
  #skipLeft = 0;
  #offset = 0;
  #rf64 = false;
  #ds64DataSize: number | undefined;
  #fmt: FmtChunk | undefined;

  /** Bytes consumed so far (the offset in the file). */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Consumes bytes from `input` (starting at `start`) until the header is complete or input runs out.
   * @throws FormatError when the bytes are not a WAV file we can read.
   */
  push(input: Uint8Array, start = 0): WavHeaderStep {
    let i = start;
    while (i < input.length) {
      if (this.#state === 'skip') {
        const n = Math.min(this.#skipLeft, input.length - i);
        this.#skipLeft -= n;
        i += n;
        this.#offset += n;
        if (this.#skipLeft === 0) this.#expect('chunk', 8);
        continue;
      }
      const n = Math.min(this.#need - this.#smallFill, input.length - i);
      this.#small.set(input.subarray(i, i + n), this.#smallFill);
      this.#smallFill += n;
      i += n;
      this.#offset += n;
      if (this.#smallFill < this.#need) break;
      const header = this.#complete();
      if (header) return { done: true, consumed: i - start, header };
    }
    return { done: false, consumed: i - start };
  }

  /** Call at end of input when the header never completed; throws the right FormatError. */
  end(): never {
    if (this.#offset === 0) throw new FormatError('The audio input is empty (0 bytes); expected a WAV file.', 'TLA_ERR_EMPTY_INPUT');
    if (this.#state === 'riff') {
      throw new FormatError(`The input ended after ${this.#offset} bytes, inside the 12-byte RIFF/WAVE header: truncated or not WAV.`, 'TLA_ERR_WAV_TRUNCATED');
    }
    if (!this.#fmt) throw new FormatError(`The WAV input ended after ${this.#offset} bytes without a 'fmt ' chunk: truncated.`, 'TLA_ERR_WAV_TRUNCATED');
    throw new FormatError(`The WAV input ended after ${this.#offset} bytes without a 'data' chunk: truncated.`, 'TLA_ERR_WAV_TRUNCATED');
  }

  #expect(state: 'riff' | 'chunk' | 'small', bytes: number): void {
    this.#state = state;
    this.#need = bytes;
    this.#smallFill = 0;
  }

  #complete(): WavHeader | undefined {
    const b = this.#small;
    if (this.#state === 'riff') {
      const riff = fourcc(b, 0);
      if ((riff !== 'RIFF' && riff !== 'RF64') || fourcc(b, 8) !== 'WAVE') {
        const hint = riff === 'RIFX' ? ' (big-endian RIFX is not supported; convert it with ffmpeg)' : '';
        throw new FormatError(`Not a WAV file: it starts with "${printable(b, 0, 12)}", expected "RIFF....WAVE"${hint}.`, 'TLA_ERR_NOT_WAV');
      }
      this.#rf64 = riff === 'RF64';
      this.#expect('chunk', 8);
      return undefined;
    }
    if (this.#state === 'chunk') {
      const id = fourcc(b, 0);
      const size = u32(b, 4);
      if (id === 'data') {
        if (!this.#fmt) throw new FormatError("WAV 'data' chunk comes before any 'fmt ' chunk; the header is damaged.", 'TLA_ERR_WAV_HEADER');
        let dataByteLength: number | undefined = size === 0 || size === 0xffffffff ? undefined : size;
        if (this.#rf64 && size === 0xffffffff && this.#ds64DataSize !== undefined && this.#ds64DataSize > 0) dataByteLength = this.#ds64DataSize;
        const f = this.#fmt;
        return {
          codec: f.codec,
          formatTag: f.formatTag,
          extensible: f.extensible,
          rf64: this.#rf64,
          sampleRate: f.sampleRate,
          channels: f.channels,
          bitsPerSample: f.bitsPerSample,
          validBitsPerSample: f.validBitsPerSample,
          blockAlign: f.blockAlign,
          channelMask: f.channelMask,
          dataOffset: this.#offset,
          dataByteLength,
        };
      }
      const padded = size + (size & 1);
      if (id === 'fmt ' || id === 'ds64') {
        if (size > MAX_SMALL_CHUNK) throw new FormatError(`WAV '${id}' chunk claims ${size} bytes; that is not a real header.`, 'TLA_ERR_WAV_HEADER');
        this.#chunkId = id;
        this.#skipLeft = padded - size;
        this.#expect('small', size);
        if (size === 0) return this.#complete();
        return undefined;
      }
      this.#skipLeft = padded;
      if (padded === 0) this.#expect('chunk', 8);
      else this.#state = 'skip';
      return undefined;
    }
    // A buffered fmt/ds64 chunk is complete.
    if (this.#chunkId === 'fmt ') this.#fmt = parseFmt(b, 0, this.#need);
    else if (this.#need >= 16) this.#ds64DataSize = u64(b, 8);
    if (this.#skipLeft > 0) this.#state = 'skip';
    else this.#expect('chunk', 8);
    return undefined;
  }
}

/**
 * Parses a WAV header from the start of a buffer, for sniffing and for deciding how to decode.
 * @returns the header, or `undefined` when the buffer ends before the `data` chunk starts.
 * @throws FormatError when the bytes are not a WAV we can read (message says why).
 */
export function parseWavHeader(bytes: Uint8Array): WavHeader | undefined {
  const step = new WavHeaderParser().push(bytes);
  return step.done ? step.header : undefined;
}
