/**
 * The PCM decoder behind `SpeechAudio.pcm()`. Raw `pcm` and 16-bit / float WAV are unwrapped in-process and converted
 * with the in-process resampler when the wanted layout differs; compressed audio goes through `decode()`.
 * It lives in the streams layer because decoding is this layer's job: the client (src/client.ts, the composition
 * root) hands it to `Speech`, so nothing under `api/` imports `streams/`.
 */
import { PassThrough, type Readable } from 'node:stream';
import { type PcmFormat, assertPcmFormat, bytesPerFrame, samePcmFormat } from '../core/pcm/pcm-format.js';
import { FrameAligner } from '../codecs/frame-aligner.js';
import type { PcmReadable, SpeechAudio } from '../api/speech/speech-audio.js';
import { SPEECH_PCM_FORMAT } from '../api/speech/speech-format.js';
import { ResampleStream } from './resample-stream.js';
import { decode } from './decode.js';

/** @internal The audio as PCM in `format` (default: its own layout for raw and WAV audio, 24 kHz mono s16le otherwise). */
export function speechPcm(audio: SpeechAudio, format: PcmFormat | undefined): PcmReadable {
  if (format !== undefined) assertPcmFormat(format);
  const native = audio.nativePcmFormat;
  if (native) {
    const skip = audio.format === 'wav' ? audio.wavHeader!.dataOffset : 0;
    const aligner = new FrameAligner(bytesPerFrame(native), skip);
    Object.defineProperty(aligner, 'format', { value: native, enumerable: true });
    audio.once('error', (e) => aligner.destroy(e));
    aligner.once('close', () => {
      if (!audio.readableEnded) audio.destroy();
    });
    audio.pipe(aligner);
    if (format === undefined || samePcmFormat(format, native)) return aligner as unknown as PcmReadable;
    const converter = new ResampleStream({ from: native, to: format });
    aligner.once('error', (e) => converter.destroy(e));
    converter.once('close', () => {
      if (!aligner.readableEnded) aligner.destroy();
    });
    return aligner.pipe(converter) as unknown as PcmReadable;
  }
  const target = format ?? SPEECH_PCM_FORMAT;
  const out = new PassThrough();
  Object.defineProperty(out, 'format', { value: target, enumerable: true });
  out.once('close', () => {
    if (!audio.readableEnded) audio.destroy();
  });
  // Compressed audio (mp3, opus, aac, flac, or WAV in an unusual coding): decode() picks the cheapest path
  // (in-process Ogg/Opus and WebM/Opus, ffmpeg for the rest).
  let decoded: Readable;
  try {
    decoded = decode(audio, { to: target, contentType: audio.contentType });
  } catch (e) {
    queueMicrotask(() => out.destroy(e as Error));
    return out as unknown as PcmReadable;
  }
  audio.once('error', (e) => out.destroy(e));
  decoded.once('error', (e: Error) => out.destroy(e));
  out.once('close', () => {
    if (!decoded.destroyed) decoded.destroy();
  });
  decoded.pipe(new FrameAligner(bytesPerFrame(target))).pipe(out);
  return out as unknown as PcmReadable;
}
