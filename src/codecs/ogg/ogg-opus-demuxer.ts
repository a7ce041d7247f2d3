import { Transform, addAbortSignal, type TransformCallback } from 'node:stream';
import { FormatError } from '../../core/errors.js';
import { OggPacketParser, type OggParseStats } from './ogg-packet-parser.js';
import { parseOpusHead, type OpusHead } from '../opus/opus.js';

/**
 * Ogg/Opus bytes in, Opus packets out (object mode, one Buffer per packet, OpusHead and OpusTags
 * left out): what @discordjs/voice plays as `StreamType.Opus`, or what {@link OpusDecoder} takes.
 * Unlike prism-media's OggDemuxer it joins packets that span pages and checks page CRCs. Only the
 * first Opus logical stream is followed. Packets keep the encoder's pre-skip and end padding (use
 * {@link OggOpusDecoder} for sample-exact PCM).
 *
 * Events: `'head'` (OpusHead), `'tags'` (Buffer). Errors: as {@link OggOpusDecoder} (FormatError).
 */
export class OggOpusDemuxer extends Transform {
  readonly #parser: OggPacketParser;
  #serial = -1;
  #head: OpusHead | undefined;
  #sawTags = false;
  #failure: Error | undefined;

  constructor(options: { verifyCrc?: boolean | undefined; signal?: AbortSignal | undefined } = {}) {
    super({ readableObjectMode: true });
    this.#parser = new OggPacketParser(
      (packet, info) => {
        if (this.#failure) return;
        if (this.#serial === -1) {
          if (!info.bos) {
            this.#failure = new FormatError('The Ogg stream has no OpusHead: it is not Ogg/Opus.', 'TLA_ERR_OGG_NOT_OPUS');
            return;
          }
          if (isMagic(packet, 'OpusHead')) {
            try {
              this.#head = parseOpusHead(packet);
            } catch (err) {
              this.#failure = err as Error;
              return;
            }
            this.#serial = info.serial;
            this.emit('head', this.#head);
          }
          return;
        }
        if (info.serial !== this.#serial) return;
        if (!this.#sawTags && isMagic(packet, 'OpusTags')) {
          this.#sawTags = true;
          this.emit('tags', Buffer.from(packet));
          return;
        }
        this.#sawTags = true;
        // The parser's view is reused; each packet pushed must own its bytes.
        this.push(Buffer.from(packet));
      },
      { verifyCrc: options.verifyCrc ?? true },
    );
    if (options.signal) addAbortSignal(options.signal, this);
  }

  get head(): OpusHead | undefined {
    return this.#head;
  }

  get stats(): OggParseStats {
    return this.#parser.stats;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#parser.push(chunk);
    } catch (err) {
      this.#failure ??= err as Error;
    }
    callback(this.#failure ?? null);
  }

  override _flush(callback: TransformCallback): void {
    try {
      const left = this.#parser.end();
      if (!this.#head) throw new FormatError('The Ogg stream has no OpusHead: it is not Ogg/Opus.', 'TLA_ERR_OGG_NOT_OPUS');
      if (left > 0) this.emit('truncated', { leftoverBytes: left });
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}

function isMagic(packet: Uint8Array, magic: string): boolean {
  if (packet.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (packet[i] !== magic.charCodeAt(i)) return false;
  return true;
}
