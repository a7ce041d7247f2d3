/**
 * Turns the first bytes of a speech body into a {@link SpeechAudio}: reads enough to tell the real format (from the
 * bytes and the `Content-Type`), parses a WAV header, and works out the raw PCM layout.
 */
import { FormatError, abortError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { type WavHeader, WavHeaderParser } from '../../codecs/wav/wav-header.js';
import { ApiError } from '../../transports/http-errors.js';
import { SpeechAudio, type SpeechPcmDecoder, type SpeechSource } from './speech-audio.js';
import { SPEECH_PCM_FORMAT, SPEECH_SNIFF_BYTES, contentTypeOfFormat, detectSpeechFormat, pcmParamsOf } from './speech-format.js';

const MAX_PEEK_BYTES = 256 * 1024;

/** Reads the first bytes, decides the format, parses a WAV header, and builds the SpeechAudio. */
export async function openSpeechAudio(init: {
  source: SpeechSource;
  requested: string;
  contentType: string | undefined;
  requestIds: string[];
  fromCache: boolean;
  cacheKey: string | undefined;
  pieces: number;
  pcmFormat: PcmFormat | undefined;
  decodePcm: SpeechPcmDecoder;
  signal: AbortSignal | undefined;
}): Promise<SpeechAudio> {
  const head: Buffer[] = [];
  let headBytes = 0;
  const it = init.source.iterator;
  const pull = async (): Promise<boolean> => {
    const step = await it.next();
    if (step.done) return false;
    head.push(step.value);
    headBytes += step.value.length;
    return true;
  };
  try {
    while (headBytes < SPEECH_SNIFF_BYTES && (await pull()));
    const first = head.length === 1 ? head[0]! : Buffer.concat(head);
    if (headBytes === 0) {
      throw new ApiError({ status: 200, requestId: init.requestIds[0], message: 'The speech response had no audio (0 bytes).' }, 'TLA_ERR_API_BAD_RESPONSE');
    }
    const format = detectSpeechFormat(first, init.contentType, init.requested);
    let wavHeader: WavHeader | undefined;
    if (format === 'wav') {
      const parser = new WavHeaderParser();
      let step = parser.push(first);
      let seen = first.length;
      while (!step.done) {
        if (seen > MAX_PEEK_BYTES || !(await pull())) parser.end();
        const last = head[head.length - 1]!;
        seen += last.length;
        step = parser.push(last);
      }
      wavHeader = step.header;
      if (init.pieces > 1) markWavLengthUnknown(head, wavHeader);
    }
    const params = pcmParamsOf(init.contentType);
    const base = init.pcmFormat ?? SPEECH_PCM_FORMAT;
    const pcmFormat: PcmFormat = { sampleRate: params.sampleRate ?? base.sampleRate, channels: params.channels ?? base.channels, encoding: base.encoding };
    return new SpeechAudio({
      source: init.source,
      head,
      format,
      requestedFormat: init.requested,
      contentType: init.fromCache || !init.contentType ? contentTypeOfFormat(format) : init.contentType,
      requestIds: init.requestIds,
      fromCache: init.fromCache,
      cacheKey: init.cacheKey,
      wavHeader,
      pcmFormat,
      decodePcm: init.decodePcm,
      wavLengthKnown: init.pieces === 1,
    });
  } catch (e) {
    init.source.abort();
    await it.return?.().catch(() => {});
    if (init.signal?.aborted) throw abortError(init.signal);
    if (e instanceof FormatError) {
      throw new FormatError(`The speech response claims to be WAV but its header is unusable: ${e.message}`, e.code, { cause: e });
    }
    throw e;
  }
}

/** Sets the RIFF and data sizes of a WAV header to "unknown" (0xFFFFFFFF): the joined stream is longer than piece one. */
function markWavLengthUnknown(head: Buffer[], header: WavHeader): void {
  const patch = (offset: number) => {
    let at = 0;
    for (const b of head) {
      if (offset >= at && offset + 4 <= at + b.length) {
        b.writeUInt32LE(0xffffffff, offset - at);
        return;
      }
      at += b.length;
    }
  };
  if (!header.rf64) {
    patch(4);
    patch(header.dataOffset - 4);
  }
}
