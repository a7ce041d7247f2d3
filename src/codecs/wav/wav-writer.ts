import { open } from 'node:fs/promises';
import { Readable, Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import { assertPcmFormat, bytesPerFrame, type PcmFormat } from '../../core/pcm/pcm-format.js';

/** Data size written when it is not known yet (streaming): the largest 32-bit value, as ffmpeg does on pipes. */
export const WAV_UNKNOWN_SIZE = 0xffffffff;

const KSDATAFORMAT_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
// Default speaker masks for 1..8 channels (FL FR FC LFE BL BR SL SR order, as in WAVEFORMATEXTENSIBLE).
const CHANNEL_MASKS = [0x4, 0x3, 0x7, 0x33, 0x37, 0x3f, 0x13f, 0x63f];

/**
 * Builds a canonical WAV header for `format`: PCM 16-bit for `s16le`, IEEE float 32-bit for `f32le`;
 * WAVE_FORMAT_EXTENSIBLE when there are more than 2 channels (as the format requires).
 *
 * @param dataByteLength bytes of sample data, or `undefined` for a streaming header (sizes 0xFFFFFFFF).
 * @returns the header; the data starts right after it (`header.length` is 44, or 80 when extensible).
 * @throws FormatError for an invalid format.
 */
export function createWavHeader(format: PcmFormat, dataByteLength?: number): Buffer {
  assertPcmFormat(format, 'WAV format');
  const extensible = format.channels > 2;
  const isFloat = format.encoding === 'f32le';
  const bits = isFloat ? 32 : 16;
  const blockAlign = bytesPerFrame(format);
  const fmtSize = extensible ? 40 : isFloat ? 18 : 16;
  // Float needs a 'fact' chunk (sample frames) in the strict reading of the spec; players accept it either way.
  const factSize = isFloat ? 12 : 0;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const h = Buffer.alloc(headerSize);
  const known = dataByteLength !== undefined && dataByteLength + headerSize - 8 <= 0xffffffff;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(known ? dataByteLength + headerSize - 8 : WAV_UNKNOWN_SIZE, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(fmtSize, 16);
  h.writeUInt16LE(extensible ? 0xfffe : isFloat ? 3 : 1, 20);
  h.writeUInt16LE(format.channels, 22);
  h.writeUInt32LE(format.sampleRate, 24);
  h.writeUInt32LE(format.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bits, 34);
  let at = 36;
  if (fmtSize >= 18) {
    h.writeUInt16LE(fmtSize - 18, 36);
    at = 38;
  }
  if (extensible) {
    h.writeUInt16LE(bits, 38);
    h.writeUInt32LE(CHANNEL_MASKS[format.channels - 1] ?? 0, 40);
    h.writeUInt16LE(isFloat ? 3 : 1, 44);
    Buffer.from(KSDATAFORMAT_TAIL).copy(h, 46);
    at = 60;
  }
  if (factSize) {
    h.write('fact', at, 'latin1');
    h.writeUInt32LE(4, at + 4);
    h.writeUInt32LE(known ? Math.floor(dataByteLength / blockAlign) : WAV_UNKNOWN_SIZE, at + 8);
    at += 12;
  }
  h.write('data', at, 'latin1');
  h.writeUInt32LE(known ? dataByteLength : WAV_UNKNOWN_SIZE, at + 4);
  return h;
}

/**
 * Wraps a whole PCM buffer as a WAV file in memory.
 * @throws FormatError when the format is invalid or the byte count is not whole frames.
 */
export function encodeWav(pcm: Uint8Array, format: PcmFormat): Buffer {
  const frame = bytesPerFrame(format);
  if (pcm.byteLength % frame !== 0) {
    throw new FormatError(`encodeWav: ${pcm.byteLength} bytes is not a whole number of ${frame}-byte frames for this format.`, 'TLA_ERR_PCM_FORMAT');
  }
  const header = createWavHeader(format, pcm.byteLength);
  const out = Buffer.allocUnsafe(header.length + pcm.byteLength);
  header.copy(out, 0);
  out.set(pcm, header.length);
  return out;
}

/** Options of {@link WavWriter}. */
export interface WavWriterOptions {
  /** The PCM arriving on the writable side. */
  format: PcmFormat;
  /**
   * Data size to put in the header when the caller knows it in advance (e.g. a buffer of known
   * length). Default: unknown, written as 0xFFFFFFFF (what streaming readers and ffmpeg expect).
   */
  dataByteLength?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * PCM in, WAV bytes out: a header first (sizes 0xFFFFFFFF unless given), then the samples unchanged.
 * When the target is a file, {@link writeWavFile} fixes the sizes at the end.
 * Counts the data bytes in `dataByteLength`. A trailing partial frame is an error at the end.
 */
export class WavWriter extends Transform {
  readonly format: PcmFormat;
  readonly #header: Buffer;
  #headerSent = false;
  #dataByteLength = 0;

  constructor(options: WavWriterOptions) {
    super();
    if (!options || typeof options !== 'object') throw new InputError('WavWriter needs { format }.');
    assertPcmFormat(options.format, 'WavWriter format');
    this.format = Object.freeze({ ...options.format });
    this.#header = createWavHeader(this.format, options.dataByteLength);
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** Sample bytes written so far (header excluded). */
  get dataByteLength(): number {
    return this.#dataByteLength;
  }

  /** Length of the header this writer emits, in bytes. */
  get headerByteLength(): number {
    return this.#header.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#headerSent) {
      this.#headerSent = true;
      this.push(this.#header);
    }
    this.#dataByteLength += chunk.length;
    this.push(chunk);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#headerSent) {
      this.#headerSent = true;
      this.push(this.#header);
    }
    const frame = bytesPerFrame(this.format);
    if (this.#dataByteLength % frame !== 0) {
      callback(new FormatError(`WavWriter received ${this.#dataByteLength} bytes, not a whole number of ${frame}-byte frames; the last frame is incomplete.`, 'TLA_ERR_PCM_FORMAT'));
      return;
    }
    callback();
  }
}

/** Result of {@link writeWavFile}. */
export interface WavFileResult {
  readonly path: string;
  /** Total file size in bytes. */
  readonly byteLength: number;
  /** Sample bytes. */
  readonly dataByteLength: number;
  readonly durationMs: number;
}

/**
 * Streams PCM into a WAV file, then rewrites the header with the real sizes (the file is seekable),
 * so the result is a normal WAV for every player. Data beyond 4 GB keeps the 0xFFFFFFFF sizes.
 *
 * @param source PCM in `format` (a Readable, or any async iterable of byte chunks).
 * @throws FormatError for an invalid format or a partial last frame; file system errors as they come;
 *   AbortError when `signal` aborts (at once, even while the source is idle: the source is destroyed
 *   and the partly written file is left as it is).
 */
export async function writeWavFile(
  path: string,
  source: Readable | AsyncIterable<Uint8Array>,
  format: PcmFormat,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<WavFileResult> {
  assertPcmFormat(format, 'writeWavFile format');
  options.signal?.throwIfAborted();
  // The signal destroys the source, so an abort ends the loop below even while no chunk arrives.
  const input = options.signal ? addAbortSignal(options.signal, source instanceof Readable ? source : Readable.from(source)) : source;
  const header = createWavHeader(format);
  const fh = await open(path, 'w');
  let dataByteLength = 0;
  try {
    await fh.write(header, 0, header.length, 0);
    let position = header.length;
    for await (const chunk of input as AsyncIterable<Uint8Array>) {
      options.signal?.throwIfAborted();
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      await fh.write(bytes, 0, bytes.byteLength, position);
      position += bytes.byteLength;
      dataByteLength += bytes.byteLength;
    }
    options.signal?.throwIfAborted();
    const frame = bytesPerFrame(format);
    if (dataByteLength % frame !== 0) {
      throw new FormatError(`writeWavFile received ${dataByteLength} bytes, not a whole number of ${frame}-byte frames.`, 'TLA_ERR_PCM_FORMAT');
    }
    const fixed = createWavHeader(format, dataByteLength);
    await fh.write(fixed, 0, fixed.length, 0);
    return {
      path,
      byteLength: header.length + dataByteLength,
      dataByteLength,
      durationMs: ((dataByteLength / frame) * 1000) / format.sampleRate,
    };
  } finally {
    await fh.close();
  }
}
