import { open } from 'node:fs/promises';
import { WavHeaderParser } from '../../codecs/wav/wav-header.js';
import { OggPacketParser } from '../../codecs/ogg/ogg-packet-parser.js';
import { parseOpusHead } from '../../codecs/opus/opus.js';
import { readFlacStreamInfo } from './flac-stream-info.js';
import { findOggLastGranule } from './ogg-last-granule.js';

/** Bytes read from the start of a file: any WAV header without a huge chunk before `data`, STREAMINFO, OpusHead. */
const HEAD_BYTES = 64 * 1024;
/** Bytes read from the end of an Ogg file: more than one whole page (at most 65,307 bytes). */
const TAIL_BYTES = 66 * 1024;

/**
 * A length the way ffmpeg states a container's length (to the nearest 10 ms), so an estimate does not change
 * with the way the length was read: the batch's estimates were made with ffmpeg's `Duration:` line before.
 */
function statedMs(seconds: number): number {
  return Math.round(seconds * 100) * 10;
}

function wavDurationMs(head: Uint8Array, fileBytes: number): number | undefined {
  let step;
  try {
    step = new WavHeaderParser().push(head);
  } catch {
    return undefined; // compressed WAV (ADPCM, MP3 in WAV) or a damaged header: ffmpeg says what it is
  }
  if (!step.done) return undefined;
  const h = step.header;
  const present = fileBytes - h.dataOffset;
  // A size of 0 / 0xFFFFFFFF (written to a pipe) or one the file does not hold (cut short): ffmpeg decides.
  if (h.dataByteLength === undefined || h.dataByteLength > present || h.dataByteLength < h.blockAlign) return undefined;
  return statedMs(Math.floor(h.dataByteLength / h.blockAlign) / h.sampleRate);
}

function flacDurationMs(head: Uint8Array): number | undefined {
  const info = readFlacStreamInfo(head);
  return info?.totalSamples === undefined ? undefined : statedMs(info.totalSamples / info.sampleRate);
}

/** The serial of the Opus stream when the file is a single Ogg/Opus stream, read from its first page. */
function oggOpusSerial(head: Uint8Array): number | undefined {
  let found: number | undefined;
  let streams = 0;
  try {
    new OggPacketParser((packet, info) => {
      if (!info.bos) return;
      streams++;
      if (streams === 1 && packet.length >= 19 && String.fromCharCode(...packet.subarray(0, 8)) === 'OpusHead') {
        parseOpusHead(packet); // throws on a damaged head: ffmpeg says what is wrong
        found = info.serial;
      }
    }).push(head);
  } catch {
    return undefined;
  }
  // Several logical streams (Opus next to video or a second track): ffmpeg knows which one is the audio.
  return streams === 1 ? found : undefined;
}

/**
 * The length of an audio file as its header states it, read in-process from a few bytes at its start (and end):
 * WAV and RF64 (data size over frame size), FLAC (STREAMINFO's sample count), Ogg/Opus (the last page's granule
 * position). Undefined for anything else, or when the header leaves the length open or does
 * not agree with the file (a WAV cut short, a FLAC written to a pipe, chained or multi-stream Ogg): ffmpeg
 * decides those.
 * @throws the file's read error (ENOENT, EACCES, …).
 */
export async function readStatedDurationMs(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const fileBytes = (await handle.stat()).size;
    const head = new Uint8Array(Math.min(fileBytes, HEAD_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    const magic = String.fromCharCode(...b.subarray(0, 4));
    if (magic === 'RIFF' || magic === 'RF64') return wavDurationMs(b, fileBytes);
    if (magic === 'OggS') {
      const serial = oggOpusSerial(b);
      if (serial === undefined) return undefined;
      const tail = new Uint8Array(Math.min(fileBytes, TAIL_BYTES));
      const read = await handle.read(tail, 0, tail.length, fileBytes - tail.length);
      const last = findOggLastGranule(tail.subarray(0, read.bytesRead));
      if (!last || last.serial !== serial || last.granulePosition >= 2 ** 53) return undefined;
      // The pre-skip stays in, as ffmpeg counts it (at most a few ms; the estimate stays what it was).
      return statedMs(last.granulePosition / 48_000);
    }
    return flacDurationMs(b);
  } finally {
    await handle.close();
  }
}
