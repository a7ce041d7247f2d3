import { addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError, InputError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { OggPacketParser, type OggPacketInfo, type OggParseStats } from './ogg-packet-parser.js';
import { OpusDecoder, parseOpusHead, type OpusCorruptPacket, type OpusCorruptPolicy, OpusPcmDecoderTransform, type OpusHead, type OpusSampleRate } from '../opus/opus.js';
import { OutputTrimmer } from '../output-trimmer.js';

/** Options of {@link OggOpusDecoder}. */
export interface OggOpusDecoderOptions {
  /** Output rate. Default 48000 (Opus's native rate; what ffmpeg gives). */
  sampleRate?: OpusSampleRate | undefined;
  /** Output channels. Default: the stream's (1 or 2). */
  channels?: 1 | 2 | undefined;
  /** See {@link OpusDecoder}. Default `'skip'`. */
  onCorrupt?: OpusCorruptPolicy | undefined;
  /** Check each page's CRC and drop damaged pages. Default true. */
  verifyCrc?: boolean | undefined;
  /** Input ending inside a page: `'warn'` (default: emit `'truncated'`) or `'error'` (FormatError after the audio). */
  onTruncated?: 'warn' | 'error' | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Ogg/Opus bytes in (a .opus/.ogg file or stream, any chunking), interleaved s16le PCM out, in-process.
 * Honours the OpusHead pre-skip and output gain and trims the end to the last granule position, so
 * the output has exactly the samples ffmpeg gives. Packets that span pages are joined; damaged pages
 * are dropped and counted (`stats.badPages`) and decoding continues.
 *
 * Events: `'head'` (OpusHead), `'format'` (PcmFormat, before the first PCM), `'corrupt'`, `'truncated'`.
 * Errors (FormatError): empty input, not Ogg (`TLA_ERR_NOT_OGG`), not Opus (`TLA_ERR_OGG_NOT_OPUS`,
 * e.g. Vorbis: decode with ffmpeg), multichannel Opus (`TLA_ERR_OPUS_UNSUPPORTED`).
 */
export class OggOpusDecoder extends OpusPcmDecoderTransform {
  readonly #options: OggOpusDecoderOptions;
  readonly #parser: OggPacketParser;
  #serial = -1;
  #head: OpusHead | undefined;
  #decoder: OpusDecoder | undefined;
  #format: PcmFormat | undefined;
  #trimmer: OutputTrimmer | undefined;
  #sawTags = false;
  #failure: Error | undefined;
  #truncated = false;
  #rateScale = 1;
  #gain = 1;

  constructor(options: OggOpusDecoderOptions = {}) {
    super();
    if (options.channels !== undefined && options.channels !== 1 && options.channels !== 2) {
      throw new InputError('OggOpusDecoder: channels must be 1 or 2.');
    }
    this.#options = options;
    this.#parser = new OggPacketParser((packet, info) => this.#packet(packet, info), { verifyCrc: options.verifyCrc ?? true });
    if (options.signal) addAbortSignal(options.signal, this);
  }

  /** The output format, once the OpusHead has been read. */
  get format(): PcmFormat | undefined {
    return this.#format;
  }

  get head(): OpusHead | undefined {
    return this.#head;
  }

  /** Pages read, damaged pages dropped, bytes skipped to resynchronize. */
  get stats(): OggParseStats {
    return this.#parser.stats;
  }

  /** Packets the codec rejected. */
  get corruptPackets(): number {
    return this.#decoder?.corruptPackets ?? 0;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#parser.push(chunk);
    } catch (err) {
      this.#failure ??= err as Error;
    }
    const failure = this.#failure;
    callback(failure ?? null);
  }

  override _flush(callback: TransformCallback): void {
    try {
      const left = this.#parser.end();
      if (!this.#head) {
        throw new FormatError('The Ogg stream has no Opus identification header (OpusHead): it is not Ogg/Opus (Vorbis or FLAC in Ogg decode with ffmpeg).', 'TLA_ERR_OGG_NOT_OPUS');
      }
      if (left > 0) {
        this.#truncated = true;
        if (this.#options.onTruncated === 'error') {
          throw new FormatError(`The Ogg/Opus stream ended inside a page (${left} bytes left over): truncated. Everything before was decoded.`, 'TLA_ERR_OGG_TRUNCATED');
        }
        this.emit('truncated', { leftoverBytes: left });
      }
      this.#release();
      callback();
    } catch (err) {
      this.#release();
      callback(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#release();
    callback(err);
  }

  #release(): void {
    this.#decoder?.destroy();
  }

  #packet(packet: Uint8Array, info: OggPacketInfo): void {
    if (this.#failure) return;
    if (this.#decoder === undefined) {
      if (info.bos) {
        // Every logical stream's first page comes before any data page; other codecs are skipped.
        if (isMagic(packet, 'OpusHead')) this.#start(parseOpusHead(packet), info.serial);
        return;
      }
      throw new FormatError('The Ogg stream has no Opus identification header (OpusHead): it is not Ogg/Opus (Vorbis or FLAC in Ogg decode with ffmpeg).', 'TLA_ERR_OGG_NOT_OPUS');
    }
    if (info.serial !== this.#serial) {
      // A new chain (after EOS) with its own OpusHead starts over; other multiplexed streams are ignored.
      if (info.bos && this.#ended && isMagic(packet, 'OpusHead')) this.#chain(parseOpusHead(packet), info.serial);
      return;
    }
    if (!this.#sawTags) {
      this.#sawTags = true;
      if (isMagic(packet, 'OpusTags')) {
        this.emit('tags', Buffer.from(packet));
        return;
      }
    }
    let pcm: Buffer | null;
    try {
      pcm = this.#decoder!.decodePacket(packet);
    } catch (err) {
      this.#failure = err as Error;
      return;
    }
    const trimmer = this.#trimmer!;
    // The last page's granule position is where the audio ends; the codec's padding beyond it goes.
    if (info.eos && info.granulePosition >= 0) {
      trimmer.setEnd(Math.round((info.granulePosition - this.#head!.preSkip) * this.#rateScale));
    }
    if (info.eos && info.lastOnPage) this.#ended = true;
    if (!pcm) return;
    const out = trimmer.take(pcm);
    if (out && out.length > 0) {
      if (this.#gain !== 1) applyGain(out, this.#gain);
      this.push(out);
    }
  }

  #ended = false;

  #start(head: OpusHead, serial: number): void {
    if (head.channels > 2 || head.mappingFamily !== 0) {
      throw new FormatError(
        `This Ogg/Opus stream has ${head.channels} channels (mapping family ${head.mappingFamily}); in-process decoding supports mono and stereo. Decode it with ffmpeg.`,
        'TLA_ERR_OPUS_UNSUPPORTED',
      );
    }
    this.#head = head;
    this.#serial = serial;
    const sampleRate = this.#options.sampleRate ?? 48000;
    const channels = this.#options.channels ?? (head.channels as 1 | 2);
    this.#decoder = new OpusDecoder({ sampleRate, channels, onCorrupt: this.#options.onCorrupt });
    this.#decoder.on('corrupt', (c) => this.emit('corrupt', c));
    this.#format = this.#decoder.format;
    this.#rateScale = sampleRate / 48000;
    this.#gain = head.outputGainDb === 0 ? 1 : 10 ** (head.outputGainDb / 20);
    this.#trimmer = new OutputTrimmer(2 * channels, Math.round(head.preSkip * this.#rateScale));
    this.emit('head', head);
    this.emit('format', this.#format);
  }

  #chain(head: OpusHead, serial: number): void {
    const channels = this.#options.channels ?? head.channels;
    if (channels !== this.#format?.channels) {
      throw new FormatError('A chained Ogg/Opus stream changes the channel count mid-stream; decode it with ffmpeg.', 'TLA_ERR_OPUS_UNSUPPORTED');
    }
    this.#head = head;
    this.#serial = serial;
    this.#sawTags = false;
    this.#ended = false;
    this.#gain = head.outputGainDb === 0 ? 1 : 10 ** (head.outputGainDb / 20);
    this.#trimmer = new OutputTrimmer(2 * channels, Math.round(head.preSkip * this.#rateScale));
    this.emit('head', head);
  }
}


function isMagic(packet: Uint8Array, magic: string): boolean {
  if (packet.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (packet[i] !== magic.charCodeAt(i)) return false;
  return true;
}

function applyGain(pcm: Buffer, gain: number): void {
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const v = Math.round(pcm.readInt16LE(i) * gain);
    pcm.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, i);
  }
}
