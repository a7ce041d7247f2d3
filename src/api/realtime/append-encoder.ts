/**
 * Builds `input_audio_buffer.append` messages as bytes in one reused buffer (the JSON prefix, the audio's
 * base64 written in place, the suffix), so the send path makes no string per message: the socket sends the
 * bytes as a text frame. The message is the same in the GA and beta dialects.
 */
import { base64EncodeInto, base64Length } from '../../core/base64-bytes.js';
import { MAX_APPEND_BASE64_CHARS } from './event-checks.js';
import { RealtimeEventError } from './realtime-errors.js';

const PREFIX = Buffer.from('{"type":"input_audio_buffer.append","audio":"', 'latin1');
const SUFFIX = Buffer.from('"}', 'latin1');

/** @internal One per session: {@link AppendEncoder.encode} returns a view valid until the next call. */
export class AppendEncoder {
  #bytes: Buffer = Buffer.alloc(0);
  #view: Buffer | null = null;

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
    if (this.#bytes.length < total) {
      this.#bytes = Buffer.alloc(Math.max(total, this.#bytes.length * 2));
      PREFIX.copy(this.#bytes, 0);
      this.#view = null;
    }
    const end = PREFIX.length + base64EncodeInto(audio, offset, offset + byteLength, this.#bytes, PREFIX.length);
    SUFFIX.copy(this.#bytes, end);
    if (this.#view === null || this.#view.length !== total) this.#view = this.#bytes.subarray(0, total);
    return this.#view;
  }

  /**
   * The socket still holds the last message (it could not write it at once): the next message is built in
   * new memory instead of over it. Rare (a socket that keeps up writes each message before send returns).
   */
  detach(): void {
    const next = Buffer.alloc(this.#bytes.length);
    PREFIX.copy(next, 0);
    this.#bytes = next;
    this.#view = null;
  }
}
