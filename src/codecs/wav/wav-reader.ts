import { Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import { floatToS16 } from '../../core/pcm/pcm-convert.js';
import { assertPcmFormat, type PcmEncoding, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { FrameCarry } from '../../core/pcm/frame-carry.js';
import { g711DecodeToF32, g711DecodeToS16le } from '../g711/g711.js';
import { WavHeaderParser, type WavHeader } from './wav-header.js';

/** Options of {@link WavReader}. */
export interface WavReaderOptions {
  /**
   * Output sample encoding. Default: `s16le` for 8/16-bit and G.711 sources (lossless), `f32le` for
   * 24/32-bit integer and float sources (so no precision is thrown away).
   */
  encoding?: PcmEncoding | undefined;
  /**
   * What to do when the header states a data size and fewer bytes arrive. `'warn'` (default): emit
   * `'truncated'` and end normally, since a live stream may have been cut on purpose; `'error'`: end
   * with a FormatError (`TLA_ERR_WAV_TRUNCATED`) after every complete frame has been pushed.
   */
  onTruncated?: 'warn' | 'error' | undefined;
  /** Destroys the stream with an AbortError when aborted. */
  signal?: AbortSignal | undefined;
  highWaterMark?: number | undefined;
}

/** Details of a stream that ended before the size its header claimed. */
export interface WavTruncation {
  /** Data bytes the header claimed. */
  readonly expectedByteLength: number;
  /** Data bytes that arrived. */
  readonly receivedByteLength: number;
}

type Converter = (src: Uint8Array, frames: number, out: Buffer) => void;

/**
 * A streaming WAV parser: WAV bytes in, interleaved PCM out (`s16le` or `f32le`), in any chunking,
 * never splitting a sample frame. Reads PCM 8/16/24/32-bit, float 32/64, µ-law, A-law, in plain or
 * WAVE_FORMAT_EXTENSIBLE headers and RF64; skips unknown and odd-sized chunks (LIST, pad bytes);
 * a data size of 0 or 0xFFFFFFFF (streamed WAV) means "read to the end"; bytes after the data
 * chunk are ignored.
 *
 * Events: `'header'` (WavHeader), `'format'` (PcmFormat of the output, before the first chunk),
 * `'truncated'` (WavTruncation).
 *
 * Errors (FormatError): empty input (`TLA_ERR_EMPTY_INPUT`), not WAV (`TLA_ERR_NOT_WAV`), damaged
 * header such as 0 channels (`TLA_ERR_WAV_HEADER`), compressed WAV (`TLA_ERR_WAV_UNSUPPORTED`, use
 * ffmpeg), truncated header or data (`TLA_ERR_WAV_TRUNCATED`). Audio before the fault is delivered first.
 */
export class WavReader extends Transform {
  readonly #parser = new WavHeaderParser();
  readonly #requested: PcmEncoding | undefined;
  readonly #onTruncated: 'warn' | 'error';
  #header: WavHeader | undefined;
  #format: PcmFormat | undefined;
  #convert: Converter | undefined;
  #blockAlign = 0;
  #outFrameBytes = 0;
  /** Data bytes left to read, or Infinity when streaming to the end. */
  #dataLeft = Infinity;
  #dataReceived = 0;
  // An incomplete frame carried to the next chunk; made with the header (blockAlign).
  #carry: FrameCarry | undefined;
  #droppedBytes = 0;
  #truncated = false;

  constructor(options: WavReaderOptions = {}) {
    super(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {});
    if (options.encoding !== undefined && options.encoding !== 's16le' && options.encoding !== 'f32le') {
      throw new InputError(`WavReader: encoding ${JSON.stringify(options.encoding)} is unknown; use 's16le' or 'f32le'.`);
    }
    this.#requested = options.encoding;
    this.#onTruncated = options.onTruncated ?? 'warn';
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** The output PCM format, known once the header has been read. */
  get format(): PcmFormat | undefined {
    return this.#format;
  }

  /** The parsed WAV header, once read. */
  get header(): WavHeader | undefined {
    return this.#header;
  }

  /** True when the input ended before the data size its header claimed. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** Bytes of a trailing incomplete sample frame that were dropped at the end. */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let start = 0;
      if (!this.#header) {
        const step = this.#parser.push(chunk);
        if (!step.done) {
          callback();
          return;
        }
        this.#begin(step.header);
        start = step.consumed;
      }
      if (start < chunk.length && this.#dataLeft > 0) this.#data(chunk, start);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.#header) this.#parser.end();
      this.#droppedBytes += this.#carry?.clear() ?? 0;
      if (this.#dataLeft !== Infinity && this.#dataLeft > 0) {
        this.#truncated = true;
        const info: WavTruncation = { expectedByteLength: this.#dataReceived + this.#dataLeft, receivedByteLength: this.#dataReceived };
        if (this.#onTruncated === 'error') {
          throw new FormatError(
            `The WAV data ended after ${info.receivedByteLength} of the ${info.expectedByteLength} bytes its header announced: the file or stream is truncated. Everything before the cut was decoded.`,
            'TLA_ERR_WAV_TRUNCATED',
          );
        }
        this.emit('truncated', info);
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  #begin(header: WavHeader): void {
    const intSource = header.codec === 'pcm' && header.bitsPerSample <= 16;
    const encoding: PcmEncoding = this.#requested ?? (intSource || header.codec === 'mulaw' || header.codec === 'alaw' ? 's16le' : 'f32le');
    const format: PcmFormat = Object.freeze({ sampleRate: header.sampleRate, channels: header.channels, encoding });
    assertPcmFormat(format, 'WAV format');
    this.#header = header;
    this.#format = format;
    this.#blockAlign = header.blockAlign;
    this.#outFrameBytes = header.channels * (encoding === 's16le' ? 2 : 4);
    this.#dataLeft = header.dataByteLength ?? Infinity;
    this.#carry = new FrameCarry(header.blockAlign);
    this.#convert = converterFor(header, encoding);
    this.emit('header', header);
    this.emit('format', format);
  }

  #data(chunk: Buffer, start: number): void {
    let end = chunk.length;
    if (end - start > this.#dataLeft) end = start + this.#dataLeft;
    const taken = end - start;
    this.#dataReceived += taken;
    if (this.#dataLeft !== Infinity) this.#dataLeft -= taken;
    const block = this.#blockAlign;
    const carry = this.#carry!;
    let pos = start;
    // Finish the frame carried over from the previous chunk.
    if (!carry.isEmpty) {
      pos += carry.fill(chunk, pos, end);
      if (!carry.isFull) return;
    }
    const wholeBytes = carry.wholeBytes(end - pos);
    const frames = wholeBytes / block;
    const total = frames + (carry.isFull ? 1 : 0);
    if (total > 0) {
      const out = allocAligned(total * this.#outFrameBytes);
      const convert = this.#convert!;
      let outPos = 0;
      if (carry.isFull) {
        convert(carry.frame, 1, out);
        outPos = this.#outFrameBytes;
        carry.clear();
      }
      if (frames > 0) convert(chunk.subarray(pos, pos + wholeBytes), frames, outPos === 0 ? out : out.subarray(outPos));
      this.push(out);
    }
    carry.hold(chunk, pos + wholeBytes, end);
  }
}

/** Typed events of {@link WavReader} (plus those of a Transform). */
export interface WavReader {
  on(event: 'header', listener: (header: WavHeader) => void): this;
  on(event: 'format', listener: (format: PcmFormat) => void): this;
  on(event: 'truncated', listener: (info: WavTruncation) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'header', listener: (header: WavHeader) => void): this;
  once(event: 'format', listener: (format: PcmFormat) => void): this;
  once(event: 'truncated', listener: (info: WavTruncation) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}


function allocAligned(byteLength: number): Buffer {
  const out = Buffer.allocUnsafe(byteLength);
  // Pooled Buffers are 8-byte aligned in practice; typed views below rely on it, so make sure.
  return (out.byteOffset & 7) === 0 ? out : Buffer.from(new ArrayBuffer(byteLength));
}

function s16Out(out: Buffer, samples: number): Int16Array {
  return new Int16Array(out.buffer, out.byteOffset, samples);
}

function f32Out(out: Buffer, samples: number): Float32Array {
  return new Float32Array(out.buffer, out.byteOffset, samples);
}

const INV_2_7 = 1 / 128;
const INV_2_15 = 1 / 32768;
const INV_2_23 = 1 / 8388608;
const INV_2_31 = 1 / 2147483648;

// Reusable scratch for reinterpreting float bytes that arrive at odd offsets.
let floatScratch = new ArrayBuffer(0);
function alignedCopy(src: Uint8Array, align: number): ArrayBuffer | null {
  if ((src.byteOffset & (align - 1)) === 0) return null;
  if (floatScratch.byteLength < src.byteLength) floatScratch = new ArrayBuffer(Math.max(src.byteLength, 2 * floatScratch.byteLength));
  new Uint8Array(floatScratch, 0, src.byteLength).set(src);
  return floatScratch;
}

/**
 * Picks the sample conversion. Integer narrowing truncates (arithmetic shift), as ffmpeg's
 * sample-format conversion does, so our s16 output equals ffmpeg's.
 */
function converterFor(header: WavHeader, encoding: PcmEncoding): Converter {
  const ch = header.channels;
  const toS16 = encoding === 's16le';
  switch (header.codec) {
    case 'mulaw':
    case 'alaw': {
      const law = header.codec;
      return toS16
        ? (src, frames, out) => void g711DecodeToS16le(law, src, out, frames * ch)
        : (src, frames, out) => void g711DecodeToF32(law, src, f32Out(out, frames * ch), frames * ch);
    }
    case 'float':
      if (header.bitsPerSample === 32) {
        return (src, frames, out) => {
          const n = frames * ch;
          const copy = alignedCopy(src, 4);
          writeFloats(copy ? new Float32Array(copy, 0, n) : new Float32Array(src.buffer, src.byteOffset, n), toS16, out);
        };
      }
      return (src, frames, out) => {
        const n = frames * ch;
        const copy = alignedCopy(src, 8);
        writeFloats(copy ? new Float64Array(copy, 0, n) : new Float64Array(src.buffer, src.byteOffset, n), toS16, out);
      };
    case 'pcm':
      break;
  }
  switch (header.bitsPerSample) {
    case 8:
      return toS16
        ? (src, frames, out) => {
            const n = frames * ch;
            const o = s16Out(out, n);
            for (let i = 0; i < n; i++) o[i] = (src[i]! - 128) << 8;
          }
        : (src, frames, out) => {
            const n = frames * ch;
            const o = f32Out(out, n);
            for (let i = 0; i < n; i++) o[i] = (src[i]! - 128) * INV_2_7;
          };
    case 16:
      return toS16
        ? (src, frames, out) => void out.set(src.subarray(0, frames * ch * 2))
        : (src, frames, out) => {
            const n = frames * ch;
            const o = f32Out(out, n);
            for (let i = 0, b = 0; i < n; i++, b += 2) o[i] = (((src[b]! | (src[b + 1]! << 8)) << 16) >> 16) * INV_2_15;
          };
    case 24:
      return toS16
        ? (src, frames, out) => {
            const n = frames * ch;
            const o = s16Out(out, n);
            // The top 16 of 24 bits: bytes 1 and 2 of each sample.
            for (let i = 0, b = 0; i < n; i++, b += 3) o[i] = ((src[b + 1]! | (src[b + 2]! << 8)) << 16) >> 16;
          }
        : (src, frames, out) => {
            const n = frames * ch;
            const o = f32Out(out, n);
            for (let i = 0, b = 0; i < n; i++, b += 3) o[i] = (((src[b]! | (src[b + 1]! << 8) | (src[b + 2]! << 16)) << 8) >> 8) * INV_2_23;
          };
    default:
      return toS16
        ? (src, frames, out) => {
            const n = frames * ch;
            const o = s16Out(out, n);
            for (let i = 0, b = 0; i < n; i++, b += 4) o[i] = ((src[b + 2]! | (src[b + 3]! << 8)) << 16) >> 16;
          }
        : (src, frames, out) => {
            const n = frames * ch;
            const o = f32Out(out, n);
            for (let i = 0, b = 0; i < n; i++, b += 4) o[i] = (src[b]! | (src[b + 1]! << 8) | (src[b + 2]! << 16) | (src[b + 3]! << 24)) * INV_2_31;
          };
  }
}

/** Float samples (32- or 64-bit) out as s16le or f32le; NaN becomes silence. */
function writeFloats(input: Float32Array | Float64Array, toS16: boolean, out: Buffer): void {
  const n = input.length;
  if (toS16) {
    const o = s16Out(out, n);
    for (let i = 0; i < n; i++) o[i] = floatToS16(input[i]!);
  } else {
    const o = f32Out(out, n);
    for (let i = 0; i < n; i++) {
      const x = input[i]!;
      o[i] = x === x ? x : 0;
    }
  }
}
