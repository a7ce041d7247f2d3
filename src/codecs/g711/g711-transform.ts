import { Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import { FrameCarry } from '../../core/pcm/frame-carry.js';
import { g711DecodeToS16le, g711EncodeFromS16le, type G711Law } from './g711.js';

/** Options of {@link G711Encoder} and {@link G711Decoder}. */
export interface G711TransformOptions {
  law: G711Law;
  signal?: AbortSignal | undefined;
}

function checkLaw(what: string, law: unknown): G711Law {
  if (law !== 'mulaw' && law !== 'alaw') throw new InputError(`${what}: law must be 'mulaw' or 'alaw'.`);
  return law;
}

/**
 * s16le PCM in (any chunking, odd byte counts included), G.711 bytes out (one byte per sample,
 * bit-exact with ffmpeg). Sample rate and channels pass through unchanged (G.711 is usually 8 kHz mono).
 * An input ending in the middle of a sample is a FormatError.
 */
export class G711Encoder extends Transform {
  readonly law: G711Law;
  readonly #carry = new FrameCarry(2);

  constructor(options: G711TransformOptions) {
    super();
    this.law = checkLaw('G711Encoder', options?.law);
    if (options.signal) addAbortSignal(options.signal, this);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const carry = this.#carry;
    const samples = (carry.byteLength + chunk.length) >> 1;
    if (samples === 0) {
      carry.hold(chunk, 0, chunk.length);
      callback();
      return;
    }
    const out = Buffer.allocUnsafe(samples);
    let at = 0;
    let outAt = 0;
    if (!carry.isEmpty) {
      // The low byte came in the previous chunk.
      at = carry.fill(chunk, 0, chunk.length);
      g711EncodeFromS16le(this.law, carry.frame, out, 1);
      carry.clear();
      outAt = 1;
    }
    const whole = carry.wholeBytes(chunk.length - at);
    g711EncodeFromS16le(this.law, chunk.subarray(at, at + whole), out.subarray(outAt), whole >> 1);
    carry.hold(chunk, at + whole, chunk.length);
    this.push(out);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(this.#carry.isEmpty ? null : new FormatError('G711Encoder input ended with half a 16-bit sample.', 'TLA_ERR_PCM_FORMAT'));
  }
}

/** G.711 bytes in, s16le PCM out (two bytes per input byte), bit-exact with ffmpeg. */
export class G711Decoder extends Transform {
  readonly law: G711Law;

  constructor(options: G711TransformOptions) {
    super();
    this.law = checkLaw('G711Decoder', options?.law);
    if (options.signal) addAbortSignal(options.signal, this);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out = Buffer.allocUnsafe(chunk.length * 2);
    g711DecodeToS16le(this.law, chunk, out);
    this.push(out);
    callback();
  }
}
