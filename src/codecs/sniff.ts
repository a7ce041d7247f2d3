import { parseWavHeader } from './wav/wav-header.js';

/** Container families {@link sniffAudio} tells apart. */
export type AudioContainer = 'wav' | 'ogg' | 'webm' | 'matroska' | 'mp3' | 'flac' | 'aac' | 'mp4' | 'pcm' | 'unknown';

/** Codecs {@link sniffAudio} can name (from the first packet, the WAV header, or Content-Type). */
export type AudioCodec = 'pcm' | 'float' | 'mulaw' | 'alaw' | 'opus' | 'vorbis' | 'flac' | 'speex' | 'mp3' | 'mp2' | 'aac';

/** What the bytes (and label) look like. */
export interface SniffResult {
  readonly container: AudioContainer;
  readonly codec?: AudioCodec;
  /**
   * True when magic bytes identified the container. False when only the Content-Type (or nothing)
   * spoke, e.g. raw PCM, which has no signature.
   */
  readonly confident: boolean;
  /** Where the answer came from. */
  readonly source: 'magic' | 'content-type' | 'none';
  /** A sentence for logs and errors: what was seen and why this answer. */
  readonly reason: string;
  /** True when the Content-Type named a different container than the bytes show (the bytes win). */
  readonly contentTypeMismatch: boolean;
  /** Layout hints from the Content-Type parameters (`audio/L16;rate=24000;channels=1`), when present. */
  readonly pcm?: { readonly sampleRate?: number; readonly channels?: number };
}

/** How many leading bytes {@link sniffAudio} wants to be sure (Ogg first page, EBML header, ID3 skip). */
export const SNIFF_BYTES = 4096;

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function indexOfAscii(b: Uint8Array, text: string, from = 0, to = b.length): number {
  const first = text.charCodeAt(0);
  for (let i = from; i + text.length <= to; i++) if (b[i] === first && ascii(b, i, text)) return i;
  return -1;
}

interface ContentTypeInfo {
  container: AudioContainer;
  codec?: AudioCodec;
  sampleRate?: number;
  channels?: number;
}

/** Maps a Content-Type (with parameters) to a container; `undefined` for unknown or generic types. */
export function containerFromContentType(contentType: string): ContentTypeInfo | undefined {
  const [rawType = '', ...params] = contentType.toLowerCase().split(';');
  const type = rawType.trim();
  const param = (name: string): string | undefined => {
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim() === name && v !== undefined) return v.trim().replace(/^"|"$/g, '');
    }
    return undefined;
  };
  const codecs = param('codecs') ?? '';
  const rate = Number(param('rate') ?? param('samplerate') ?? param('sample_rate'));
  const channels = Number(param('channels'));
  const hints = {
    ...(Number.isInteger(rate) && rate > 0 ? { sampleRate: rate } : {}),
    ...(Number.isInteger(channels) && channels > 0 ? { channels } : {}),
  };
  const codecFromParam = (): { codec?: AudioCodec } =>
    codecs.includes('opus') ? { codec: 'opus' } : codecs.includes('vorbis') ? { codec: 'vorbis' } : codecs.includes('flac') ? { codec: 'flac' } : {};
  switch (type) {
    case 'audio/wav':
    case 'audio/x-wav':
    case 'audio/wave':
    case 'audio/vnd.wave':
      return { container: 'wav', ...hints };
    case 'audio/ogg':
    case 'application/ogg':
    case 'audio/x-ogg':
      return { container: 'ogg', ...codecFromParam() };
    case 'audio/opus':
      return { container: 'ogg', codec: 'opus' };
    case 'audio/webm':
    case 'video/webm':
      return { container: 'webm', ...codecFromParam() };
    case 'audio/x-matroska':
    case 'video/x-matroska':
      return { container: 'matroska', ...codecFromParam() };
    case 'audio/mpeg':
    case 'audio/mp3':
    case 'audio/mpeg3':
    case 'audio/x-mpeg-3':
      return { container: 'mp3', codec: 'mp3' };
    case 'audio/flac':
    case 'audio/x-flac':
      return { container: 'flac', codec: 'flac' };
    case 'audio/aac':
    case 'audio/aacp':
    case 'audio/x-aac':
      return { container: 'aac', codec: 'aac' };
    case 'audio/mp4':
    case 'audio/m4a':
    case 'audio/x-m4a':
    case 'video/mp4':
      return { container: 'mp4' };
    case 'audio/pcm':
    case 'audio/l16':
    case 'audio/x-raw':
    case 'audio/raw':
      return { container: 'pcm', codec: 'pcm', ...hints };
    case 'audio/basic':
    case 'audio/pcmu':
    case 'audio/x-mulaw':
    case 'audio/mulaw':
    case 'audio/g711-ulaw':
      return { container: 'pcm', codec: 'mulaw', ...hints };
    case 'audio/pcma':
    case 'audio/x-alaw':
    case 'audio/alaw':
    case 'audio/g711-alaw':
      return { container: 'pcm', codec: 'alaw', ...hints };
    default:
      return undefined;
  }
}

// MPEG-1/2/2.5 audio frame header: 11 sync bits, version, layer, bitrate and rate indices.
const MPEG_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG_BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG_RATES = [
  [11025, 12000, 8000], // 2.5
  [0, 0, 0],
  [22050, 24000, 16000], // 2
  [44100, 48000, 32000], // 1
];

/** Frame length in bytes of an MPEG Layer III header at `at`, or 0 when it is not one. */
function mpegFrameLength(b: Uint8Array, at: number): number {
  if (at + 4 > b.length) return 0;
  if (b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return 0;
  const version = (b[at + 1]! >> 3) & 3;
  const layer = (b[at + 1]! >> 1) & 3;
  const bitrateIndex = b[at + 2]! >> 4;
  const rateIndex = (b[at + 2]! >> 2) & 3;
  const padding = (b[at + 2]! >> 1) & 1;
  if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return 0;
  const rate = MPEG_RATES[version]![rateIndex]!;
  if (layer === 1) {
    // Layer III.
    const kbps = (version === 3 ? MPEG_BITRATES_V1_L3 : MPEG_BITRATES_V2_L3)[bitrateIndex]!;
    return Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / rate) + padding;
  }
  // Layer I/II: accept, length not needed for a second-frame check.
  return -1;
}

/** ADTS frame length at `at`, or 0 when there is no ADTS header there. */
function adtsFrameLength(b: Uint8Array, at: number): number {
  if (at + 7 > b.length) return 0;
  if (b[at] !== 0xff || (b[at + 1]! & 0xf6) !== 0xf0) return 0;
  const rateIndex = (b[at + 2]! >> 2) & 0x0f;
  if (rateIndex > 12) return 0;
  const length = ((b[at + 3]! & 0x03) << 11) | (b[at + 4]! << 3) | (b[at + 5]! >> 5);
  return length >= 7 ? length : 0;
}

/**
 * What the magic bytes alone say. `frameSync`: found by an MPEG/ADTS frame sync rather than a
 * signature (raw PCM can hold such bytes, so callers may weigh a label first); `weak`: a frame sync
 * not confirmed by a second frame.
 */
export interface MagicHit {
  readonly container: AudioContainer;
  readonly codec?: AudioCodec;
  readonly reason: string;
  readonly frameSync?: boolean;
  readonly weak?: boolean;
}

/** True when `text` (ASCII) is at `at` in `b`. */
export function asciiAt(b: Uint8Array, at: number, text: string): boolean {
  return ascii(b, at, text);
}

/**
 * The one reading of audio magic bytes (WAV/RF64, Ogg and its codec, EBML WebM/Matroska, FLAC, MP4
 * `ftyp`, ID3, ADTS and MPEG frame syncs), shared by {@link sniffAudio}, the speech response check and
 * the upload check. Undefined when no known signature is there.
 */
export function sniffMagicBytes(b: Uint8Array): MagicHit | undefined {
  if ((ascii(b, 0, 'RIFF') || ascii(b, 0, 'RF64')) && ascii(b, 8, 'WAVE')) {
    let codec: AudioCodec | undefined;
    let detail = '';
    try {
      const h = parseWavHeader(b);
      if (h) {
        codec = h.codec;
        detail = ` (${h.codec}, ${h.bitsPerSample}-bit, ${h.sampleRate} Hz, ${h.channels} ch)`;
      }
    } catch (err) {
      detail = ` (header problem: ${(err as Error).message})`;
    }
    return { container: 'wav', ...(codec ? { codec } : {}), reason: `RIFF/WAVE header${detail}` };
  }
  if (ascii(b, 0, 'OggS')) {
    const segments = b[26];
    const start = segments === undefined ? -1 : 27 + segments;
    if (start > 0 && ascii(b, start, 'OpusHead')) return { container: 'ogg', codec: 'opus', reason: 'Ogg page with an OpusHead packet' };
    if (start > 0 && b[start] === 0x01 && ascii(b, start + 1, 'vorbis')) return { container: 'ogg', codec: 'vorbis', reason: 'Ogg page with a Vorbis identification header' };
    if (start > 0 && b[start] === 0x7f && ascii(b, start + 1, 'FLAC')) return { container: 'ogg', codec: 'flac', reason: 'Ogg page with an Ogg FLAC header' };
    if (start > 0 && ascii(b, start, 'Speex   ')) return { container: 'ogg', codec: 'speex', reason: 'Ogg page with a Speex header' };
    return { container: 'ogg', reason: 'Ogg capture pattern "OggS" (codec not seen in the bytes given)' };
  }
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    const scan = Math.min(b.length, SNIFF_BYTES);
    // DocType element (0x4282): a one-byte size then the ASCII doc type.
    let container: AudioContainer = 'matroska';
    for (let i = 4; i + 3 < scan; i++) {
      if (b[i] === 0x42 && b[i + 1] === 0x82) {
        if (ascii(b, i + 3, 'webm')) container = 'webm';
        break;
      }
    }
    const codec: AudioCodec | undefined =
      indexOfAscii(b, 'A_OPUS', 0, scan) >= 0 ? 'opus'
      : indexOfAscii(b, 'A_VORBIS', 0, scan) >= 0 ? 'vorbis'
      : indexOfAscii(b, 'A_AAC', 0, scan) >= 0 ? 'aac'
      : indexOfAscii(b, 'A_FLAC', 0, scan) >= 0 ? 'flac'
      : indexOfAscii(b, 'A_MPEG/L3', 0, scan) >= 0 ? 'mp3'
      : indexOfAscii(b, 'A_PCM', 0, scan) >= 0 ? 'pcm'
      : undefined;
    return { container, ...(codec ? { codec } : {}), reason: `EBML header, DocType ${container}${codec ? `, codec ${codec}` : ''}` };
  }
  if (ascii(b, 0, 'fLaC')) return { container: 'flac', codec: 'flac', reason: 'FLAC stream marker "fLaC"' };
  if (ascii(b, 4, 'ftyp')) {
    const brand = b.length >= 12 ? String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!) : '?';
    return { container: 'mp4', reason: `ISO BMFF "ftyp" box (brand ${JSON.stringify(brand)})` };
  }
  if (ascii(b, 0, 'ID3')) {
    // ID3v2 tag: 10-byte header with a syncsafe size; what follows tells MP3 from AAC or FLAC.
    const size = b.length >= 10 ? ((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f) : 0;
    const after = 10 + size + (b.length > 5 && b[5]! & 0x10 ? 10 : 0);
    if (after < b.length) {
      if (ascii(b, after, 'fLaC')) return { container: 'flac', codec: 'flac', reason: 'ID3 tag followed by "fLaC"' };
      if (adtsFrameLength(b, after)) return { container: 'aac', codec: 'aac', reason: 'ID3 tag followed by an ADTS frame' };
    }
    return { container: 'mp3', codec: 'mp3', reason: 'ID3v2 tag (MP3)' };
  }
  const adts = adtsFrameLength(b, 0);
  if (adts) {
    if (adtsFrameLength(b, adts)) return { container: 'aac', codec: 'aac', reason: 'ADTS frame sync (AAC), two frames', frameSync: true };
    if (adts + 7 > b.length) return { container: 'aac', codec: 'aac', reason: 'ADTS frame sync (AAC)', frameSync: true, weak: true };
  }
  const mpeg = mpegFrameLength(b, 0);
  if (mpeg !== 0) {
    const layer3 = mpeg > 0;
    // One sync word can occur in noise; a second frame where the first says it ends makes it sure.
    const confirmed = layer3 && mpeg + 4 <= b.length && mpegFrameLength(b, mpeg) !== 0;
    if (confirmed) return { container: 'mp3', codec: 'mp3', reason: 'MPEG audio frame sync (Layer III), two frames', frameSync: true };
    if (!layer3 || mpeg + 4 > b.length) {
      return { container: 'mp3', codec: layer3 ? 'mp3' : 'mp2', reason: `MPEG audio frame sync (${layer3 ? 'Layer III' : 'Layer I/II'})`, frameSync: true, weak: true };
    }
  }
  return undefined;
}

/**
 * Tells what audio container/codec some bytes are, from their magic bytes first and the
 * `Content-Type` second, so a WAV answered to a `pcm` request is parsed as WAV and raw PCM labelled
 * `audio/wav` is not parsed as a header (nor played as noise). Pass the first {@link SNIFF_BYTES}
 * bytes or more; fewer work but may leave the codec unknown.
 *
 * Raw PCM has no signature: bytes with no known magic come back as `pcm` (not confident) when the
 * label says PCM or WAV, and `unknown` otherwise. Never throws.
 */
export function sniffAudio(bytes: Uint8Array, contentType?: string): SniffResult {
  const label = contentType ? containerFromContentType(contentType) : undefined;
  const hints = label && (label.sampleRate !== undefined || label.channels !== undefined)
    ? { pcm: { ...(label.sampleRate !== undefined ? { sampleRate: label.sampleRate } : {}), ...(label.channels !== undefined ? { channels: label.channels } : {}) } }
    : {};
  const found = sniffMagicBytes(bytes);
  // A lone frame sync does not overrule a label that says otherwise.
  const magic = found && !(found.weak && label && label.container !== found.container) ? found : undefined;
  if (magic) {
    const mismatch = label !== undefined && label.container !== magic.container;
    return {
      container: magic.container,
      ...(magic.codec ? { codec: magic.codec } : {}),
      confident: true,
      source: 'magic',
      reason: mismatch ? `${magic.reason}; the bytes win over Content-Type ${JSON.stringify(contentType)}` : magic.reason,
      contentTypeMismatch: mismatch,
      ...hints,
    };
  }
  if (label) {
    if (label.container === 'wav') {
      // Labelled WAV with no RIFF header: raw PCM from a server that labels everything audio/wav.
      return {
        container: bytes.length >= 12 ? 'pcm' : 'wav',
        codec: 'pcm',
        confident: false,
        source: 'content-type',
        reason:
          bytes.length >= 12
            ? `labelled ${JSON.stringify(contentType)} but there is no RIFF/WAVE header: treated as raw PCM, not as a header`
            : `labelled ${JSON.stringify(contentType)}; too few bytes (${bytes.length}) to check the header`,
        contentTypeMismatch: bytes.length >= 12,
        ...hints,
      };
    }
    return {
      container: label.container,
      ...(label.codec ? { codec: label.codec } : {}),
      confident: false,
      source: 'content-type',
      reason:
        label.container === 'pcm'
          ? `labelled ${JSON.stringify(contentType)} and no container signature found: raw samples`
          : `labelled ${JSON.stringify(contentType)}, but the bytes show no ${label.container} signature${bytes.length < 16 ? ' (too few bytes to check)' : ''}`,
      contentTypeMismatch: false,
      ...hints,
    };
  }
  return {
    container: 'unknown',
    confident: false,
    source: 'none',
    reason: bytes.length === 0 ? 'no bytes to look at' : `no known audio signature in the first ${Math.min(bytes.length, 16)} bytes and no usable Content-Type`,
    contentTypeMismatch: false,
  };
}
