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

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * The format of a speech response.
 * Magic bytes with a distinctive signature win; then the `Content-Type`; then MPEG/ADTS frame sync (unless raw
 * PCM was asked for, whose samples can look like a frame sync); then what was requested.
 */
export function detectSpeechFormat(head: Uint8Array, contentType: string | undefined, requested: string): SpeechAudioFormat {
  if ((ascii(head, 0, 'RIFF') || ascii(head, 0, 'RF64')) && ascii(head, 8, 'WAVE')) return 'wav';
  if (ascii(head, 0, 'OggS')) return 'opus';
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, 'ID3')) return 'mp3';
  if (ascii(head, 4, 'ftyp')) return 'mp4';
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  const mime = contentType?.split(';')[0]?.trim().toLowerCase();
  const fromType = mime ? CONTENT_TYPES[mime] : undefined;
  if (fromType && !(fromType === 'wav' && requested === 'pcm')) return fromType;
  if (requested !== 'pcm' && head.length >= 2 && head[0] === 0xff) {
    const b1 = head[1]!;
    if ((b1 & 0xf6) === 0xf0) return 'aac';
    if ((b1 & 0xe0) === 0xe0 && ((b1 >> 1) & 3) !== 0) return 'mp3';
  }
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
