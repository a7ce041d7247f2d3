/**
 * Builds `input_audio_buffer.append` messages as bytes in one reused buffer (the JSON prefix, the audio's
 * base64 written in place, the suffix), so the send path makes no string per message: the socket sends the
 * bytes as a text frame. Room is left in front for the frame's header, so the whole frame can go to the socket
 * in one write (websocket-raw-frames.ts). The message is the same in the GA and beta dialects.
 */
import { base64EncodeInto, base64Length } from '../../core/base64-bytes.js';
import { MAX_TEXT_FRAME_HEADER_BYTES, writeTextFrameHeader } from '../../transports/websocket-raw-frames.js';
import { MAX_APPEND_BASE64_CHARS } from './event-checks.js';
import { RealtimeEventError } from './realtime-errors.js';

const PREFIX = Buffer.from('{"type":"input_audio_buffer.append","audio":"', 'latin1');
const SUFFIX = Buffer.from('"}', 'latin1');
const HEAD = MAX_TEXT_FRAME_HEADER_BYTES;

/** @internal One per session: {@link AppendEncoder.encode} returns a view valid until the next call. */
export class AppendEncoder {
  /** Header room, then the message. */
  #bytes: Buffer = Buffer.alloc(0);
  #view: Buffer | null = null;
  #frameView: Buffer | null = null;

  /**
   * The message carrying `audio[offset..offset + byteLength)`, as bytes (a view of this encoder's buffer,
   * valid until the next call; the same view object when the length repeats, so fixed batches allocate nothing).
   * @throws RealtimeEventError for empty audio or audio over the 15 MiB per-event cap (nothing is encoded).
   */
  encode(audio: Uint8Array, offset = 0, byteLength = audio.length - offset): Buffer {
    const chars = base64Length(byteLength);
    if (byteLength <= 0 || chars > MAX_APPEND_BASE64_CHARS) {
      throw new RealtimeEventError('input_audio_buffer.append', [byteLength <= 0 ? 'audio is empty' : `audio is ${byteLength} bytes, over the 15 MiB per-event cap; send smaller appends`]);
    }
    const total = PREFIX.length + chars + SUFFIX.length;
    if (this.#bytes.length < HEAD + total) this.#renew(Math.max(HEAD + total, this.#bytes.length * 2));
    const end = HEAD + PREFIX.length + base64EncodeInto(audio, offset, offset + byteLength, this.#bytes, HEAD + PREFIX.length);
    SUFFIX.copy(this.#bytes, end);
    if (this.#view === null || this.#view.length !== total) this.#view = this.#bytes.subarray(HEAD, HEAD + total);
    return this.#view;
  }

  /** The last message from {@link AppendEncoder.encode} as a whole masked (zero key) text frame: header and message, one view. */
  frame(): Buffer {
    const total = this.#view!.length;
    const start = writeTextFrameHeader(this.#bytes, HEAD, total);
    // The frame's length grows with the message's (a longer message never has a shorter header): a view of the
    // same length is the same range, and #renew drops it with the buffer.
    if (this.#frameView === null || this.#frameView.length !== HEAD - start + total) this.#frameView = this.#bytes.subarray(start, HEAD + total);
    return this.#frameView;
  }

  #renew(byteLength: number): void {
    this.#bytes = Buffer.alloc(byteLength);
    PREFIX.copy(this.#bytes, HEAD);
    this.#view = null;
    this.#frameView = null;
  }

  /**
   * The socket still holds the last message (it could not write it at once): the next message is built in
   * new memory instead of over it. Rare (a socket that keeps up writes each message before send returns).
   */
  detach(): void {
    this.#renew(this.#bytes.length);
  }
}
