import { asciiAt as ascii, sniffMagicBytes, type AudioContainer } from '../codecs/sniff.js';

/**
 * Recognises an upload from its first bytes, so the multipart part gets a filename extension and MIME type the
 * server accepts (a missing or wrong extension is the classic "Invalid file format" 400), and so a PDF or a text
 * file is refused before it is uploaded.
 */

/** What the first bytes say. */
export type UploadType =
  | { readonly kind: 'audio'; readonly ext: string; readonly mime: string }
  | { readonly kind: 'other'; readonly what: string }
  | { readonly kind: 'unknown' };

/** Audio extensions the transcription endpoint accepts, with their MIME types. */
export const AUDIO_EXTENSIONS: Readonly<Record<string, string>> = {
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  mp4: 'audio/mp4',
  mpeg: 'audio/mpeg',
  mpga: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  webm: 'audio/webm',
  aac: 'audio/aac',
};

/** Bytes worth reading for {@link sniffUpload}. */
export const UPLOAD_SNIFF_BYTES = 64;

const AUDIO_TYPES: Readonly<Partial<Record<AudioContainer, { ext: string; mime: string }>>> = {
  wav: { ext: 'wav', mime: 'audio/wav' },
  ogg: { ext: 'ogg', mime: 'audio/ogg' },
  flac: { ext: 'flac', mime: 'audio/flac' },
  mp3: { ext: 'mp3', mime: 'audio/mpeg' },
  aac: { ext: 'aac', mime: 'audio/aac' },
  mp4: { ext: 'mp4', mime: 'audio/mp4' },
  webm: { ext: 'webm', mime: 'audio/webm' },
  matroska: { ext: 'webm', mime: 'audio/webm' },
};

/** Classifies an upload by its first bytes (give at least 64 when the file has them). Audio is read by the codecs' one sniffer. */
export function sniffUpload(head: Uint8Array): UploadType {
  const hit = sniffMagicBytes(head);
  const audio = hit ? AUDIO_TYPES[hit.container] : undefined;
  if (audio) {
    // An M4A brand keeps its own extension (the server accepts both).
    const ext = hit!.container === 'mp4' && ascii(head, 8, 'M4A') ? 'm4a' : audio.ext;
    return { kind: 'audio', ext, mime: audio.mime };
  }
  if (ascii(head, 0, '%PDF')) return { kind: 'other', what: 'a PDF document' };
  if (ascii(head, 1, 'PNG')) return { kind: 'other', what: 'a PNG image' };
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { kind: 'other', what: 'a JPEG image' };
  if (ascii(head, 0, 'GIF8')) return { kind: 'other', what: 'a GIF image' };
  if (ascii(head, 0, 'PK\x03\x04')) return { kind: 'other', what: 'a ZIP archive (or an office document)' };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return { kind: 'other', what: 'a gzip archive' };
  if (ascii(head, 0, '\x7fELF')) return { kind: 'other', what: 'an executable' };
  if (head.length >= 8 && looksLikeText(head)) return { kind: 'other', what: 'a text file' };
  return { kind: 'unknown' };
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, UPLOAD_SNIFF_BYTES);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 9 || c === 10 || c === 13) continue;
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** The lower-case extension of a filename without the dot, or ''. */
export function extensionOf(filename: string): string {
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(filename);
  return m ? m[1]!.toLowerCase() : '';
}
