import { g711Decode, g711Encode } from '../../codecs/g711/g711.js';
import { s16ToF32, f32ToS16 } from '../../core/pcm/pcm-convert.js';
import { resample } from '../../core/resampler/resampler.js';

/** A realtime session's audio format, GA spelling (`audio/pcm` is 24 kHz PCM16 mono little-endian). */
export type RealtimeAudioFormat = { type: 'audio/pcm'; rate: 24000 } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };

/** The formats' sample rates: PCM is 24 kHz, G.711 is 8 kHz. */
export function formatSampleRate(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? 24_000 : 8_000;
}

/** Bytes per ms of audio in `format` (48 for PCM16 at 24 kHz, 8 for G.711). */
export function formatBytesPerMs(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? 48 : 8;
}

/**
 * Decodes appended input bytes to signed 16-bit samples at the format's own rate (24 kHz or 8 kHz),
 * which is what the VAD and the transcript see. PCM16 bytes are viewed when aligned, else copied.
 */
export function inputToS16(format: RealtimeAudioFormat, bytes: Buffer): Int16Array {
  if (format.type === 'audio/pcm') {
    const samples = bytes.length >> 1;
    if ((bytes.byteOffset & 1) === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, samples);
    const copy = new Int16Array(samples);
    new Uint8Array(copy.buffer).set(bytes.subarray(0, samples * 2));
    return copy;
  }
  const out = new Int16Array(bytes.length);
  g711Decode(format.type === 'audio/pcmu' ? 'mulaw' : 'alaw', bytes, out);
  return out;
}

/**
 * Encodes a whole reply (24 kHz PCM16 from the synthesizer) into the session's output format: as is for
 * `audio/pcm`, resampled to 8 kHz and G.711-encoded for `audio/pcmu` / `audio/pcma`.
 */
export function encodeReplyAudio(format: RealtimeAudioFormat, pcm24k: Int16Array): Buffer {
  if (format.type === 'audio/pcm') return Buffer.from(pcm24k.buffer, pcm24k.byteOffset, pcm24k.byteLength);
  const f32 = new Float32Array(pcm24k.length);
  s16ToF32(pcm24k, f32);
  const narrow = resample(f32, { inputRate: 24_000, outputRate: 8_000, channels: 1 });
  const s16 = new Int16Array(narrow.length);
  f32ToS16(narrow, s16);
  const out = Buffer.alloc(s16.length);
  g711Encode(format.type === 'audio/pcmu' ? 'mulaw' : 'alaw', s16, out);
  return out;
}
