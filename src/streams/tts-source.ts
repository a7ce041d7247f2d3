/**
 * `ttsSource(client, params)`: speech as a PCM Readable for pipelines, with its `format` known at once.
 * It asks for `pcm` unless told otherwise; raw PCM and WAV are unwrapped in-process (no ffmpeg on that path),
 * other formats are decoded, and any difference from the wanted `format` is converted.
 */
import { PassThrough, pipeline } from 'node:stream';
import type { TokenLab } from '../client.js';
import type { PcmReadable } from '../api/speech/speech-audio.js';
import { SPEECH_PCM_FORMAT } from '../api/speech/speech-format.js';
import type { SpeechCreateOptions, SpeechCreateParams } from '../api/speech/speech-params.js';
import { type PcmFormat, assertPcmFormat } from '../core/pcm/pcm-format.js';

/** `speech.create` params plus the PCM layout wanted out. */
export type TtsSourceParams = SpeechCreateParams & {
  /** PCM layout of the output (default 24 kHz mono s16le, the API's own `pcm`). */
  readonly format?: PcmFormat | undefined;
};

/** A PCM Readable of speech that also reports, once known, the request id and where the audio came from. */
export interface TtsSource extends PcmReadable {
  /** Set when the response arrived (`undefined` when served from the cache). */
  readonly requestId: string | undefined;
  readonly fromCache: boolean;
}

/**
 * Starts a speech request and returns its audio as PCM in `params.format`.
 * Request errors (ApiError, InputError …) are emitted as `error` on the stream; `destroy()` or the `signal`
 * cancels the request and frees the connection.
 * @throws FormatError at once when `params.format` is invalid.
 */
export function ttsSource(client: TokenLab, params: TtsSourceParams, options: SpeechCreateOptions = {}): TtsSource {
  const { format: wanted, ...speechParams } = params;
  if (wanted !== undefined) assertPcmFormat(wanted);
  const format = wanted ?? SPEECH_PCM_FORMAT;
  const out = new PassThrough({ highWaterMark: 64 * 1024 }) as PassThrough & { format: PcmFormat; requestId: string | undefined; fromCache: boolean };
  out.format = format;
  out.requestId = undefined;
  out.fromCache = false;
  const request: SpeechCreateParams = { ...speechParams, response_format: speechParams.response_format ?? 'pcm' };
  const controller = new AbortController();
  const signal = options.signal;
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  out.once('close', () => {
    signal?.removeEventListener('abort', onAbort);
    controller.abort();
  });
  client.audio.speech
    .create(request, { ...options, signal: controller.signal })
    .then((audio) => {
      out.requestId = audio.requestId;
      out.fromCache = audio.fromCache;
      if (out.destroyed) {
        audio.destroy();
        return;
      }
      // pipeline, not pipe: an error or a premature close on either side destroys the other, so a source
      // that closes without 'end' fails the stream instead of leaving it open forever.
      pipeline(audio.pcm(format), out, () => {});
    })
    .catch((e: unknown) => {
      out.destroy(signal?.aborted ? (e as Error) : (e as Error));
    });
  return out;
}
