import { sniffMagicBytes, type AudioContainer } from '../../codecs/sniff.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';

/**
 * Works out what a speech response really is, from its first bytes and its `Content-Type`, so that a WAV
 * answered to a `pcm` request is unwrapped and an MP3 is never played as raw samples.
 */

/** Audio formats of the speech endpoint (`response_format`), plus containers a gateway may answer with. */
export type SpeechAudioFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm' | 'mp4' | 'webm' | 'unknown';

const CONTENT_TYPES: Readonly<Record<string, SpeechAudioFormat>> = {
  'audio/wav': 'wav',
  'audio/wave': 'wav',
  'audio/x-wav': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/opus': 'opus',
  'audio/ogg': 'opus',
  'audio/aac': 'aac',
  'audio/x-aac': 'aac',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/pcm': 'pcm',
  'audio/l16': 'pcm',
  'audio/raw': 'pcm',
  'audio/mp4': 'mp4',
  'audio/webm': 'webm',
};

/** The `Content-Type` we report for a format. */
export function contentTypeOfFormat(format: string): string {
  switch (format) {
    case 'wav':
      return 'audio/wav';
    case 'mp3':
      return 'audio/mpeg';
    case 'opus':
      return 'audio/ogg';
    case 'aac':
      return 'audio/aac';
    case 'flac':
      return 'audio/flac';
    case 'pcm':
      return 'audio/pcm';
    case 'mp4':
      return 'audio/mp4';
    case 'webm':
      return 'audio/webm';
    default:
      return 'application/octet-stream';
  }
}

/** Bytes needed to recognise any format below. */
export const SPEECH_SNIFF_BYTES = 12;

// What each container found by the magic bytes is as a speech format (any Ogg is the API's `opus`).
const MAGIC_FORMAT: Readonly<Partial<Record<AudioContainer, SpeechAudioFormat>>> = {
  wav: 'wav', ogg: 'opus', flac: 'flac', mp3: 'mp3', aac: 'aac', mp4: 'mp4', webm: 'webm', matroska: 'webm',
};

/**
 * The format of a speech response.
 * Magic bytes with a distinctive signature win; then the `Content-Type`; then MPEG/ADTS frame sync (unless raw
 * PCM was asked for, whose samples can look like a frame sync); then what was requested. The bytes are read by
 * the codecs' one sniffer (`sniffMagicBytes`).
 */
export function detectSpeechFormat(head: Uint8Array, contentType: string | undefined, requested: string): SpeechAudioFormat {
  const hit = sniffMagicBytes(head);
  if (hit && !hit.frameSync) return MAGIC_FORMAT[hit.container] ?? 'unknown';
  const mime = contentType?.split(';')[0]?.trim().toLowerCase();
  const fromType = mime ? CONTENT_TYPES[mime] : undefined;
  if (fromType && !(fromType === 'wav' && requested === 'pcm')) return fromType;
  if (requested !== 'pcm' && hit?.frameSync) return MAGIC_FORMAT[hit.container]!;
  if (['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'].includes(requested)) return requested as SpeechAudioFormat;
  return fromType ?? 'unknown';
}

/** `rate=` / `channels=` parameters of an `audio/pcm` or `audio/L16` content type, when present. */
export function pcmParamsOf(contentType: string | undefined): { sampleRate?: number; channels?: number } {
  const out: { sampleRate?: number; channels?: number } = {};
  if (!contentType) return out;
  for (const part of contentType.split(';').slice(1)) {
    const [k, v] = part.split('=').map((s) => s.trim().toLowerCase());
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) continue;
    if (k === 'rate' || k === 'sample_rate' || k === 'samplerate') out.sampleRate = n;
    if (k === 'channels') out.channels = n;
  }
  return out;
}

/** The raw PCM layout of `pcm` responses unless told otherwise: 24 kHz mono s16le (OpenAI's and TokenLab's). */
export const SPEECH_PCM_FORMAT: PcmFormat = Object.freeze({ sampleRate: 24_000, channels: 1, encoding: 's16le' });
