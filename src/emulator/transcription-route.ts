import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { EmulatorHttpError, validationFailure, type ValidationIssue } from './emulator-http-error.js';
import type { ResolvedEmulatorSettings } from './emulator-settings.js';
import type { TimedSpan } from './energy-segmenter.js';
import { findModel, unknownModelError, wrongOperationError } from './model-catalog.js';
import { MultipartParser, multipartBoundary, type MultipartPartInfo } from './multipart-parser.js';
import { ResponseAbandoned, type RequestContext } from './request-context.js';
import { runRecognizer } from './run-recognizer.js';
import { SpeechSegmentFinder, type HeardSegment } from './speech-segment-finder.js';
import { describeSpeech, formatTranscript, seconds, transcriptText, transcriptUsage, type TranscriptFormat, type TranscriptResult, type TranscriptSegment } from './transcript-format.js';
import { decodeUploadToPcm, STT_SAMPLE_RATE } from './upload-decoder.js';

const FORMATS: readonly TranscriptFormat[] = ['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'];

/** Payload too large: TokenLab answers 413 with the BadRequest body shape. */
function tooLarge(limit: number): EmulatorHttpError {
  return new EmulatorHttpError(413, {
    message: `Maximum content size limit (${limit}) exceeded. Compress the audio (e.g. to Opus or MP3) or split it into shorter pieces.`,
    type: 'invalid_request_error',
    code: 'request_too_large',
    retryable: false,
  });
}

interface UploadState {
  fields: Record<string, string | string[]>;
  file: { info: MultipartPartInfo; readonly byteLength: number } | undefined;
  segments: HeardSegment[];
  durationMs: number;
  decodeError: Error | undefined;
  pcmPath: string | undefined;
}

/**
 * `POST /v1/audio/transcriptions` and `/v1/audio/translations`: the multipart body is parsed as it
 * arrives (never held whole), the file decoded to 16 kHz mono while uploading and segmented; over
 * `uploadLimitBytes` the emulator stops reading, answers 413 and closes the connection. The
 * transcript is the recognizer's text when one is configured, otherwise a description of each speech
 * segment with its real times.
 */
export async function handleTranscription(ctx: RequestContext, task: 'transcribe' | 'translate', settings: ResolvedEmulatorSettings): Promise<void> {
  const { req } = ctx;
  const boundary = multipartBoundary(req.headers['content-type']);
  if (!boundary) {
    throw validationFailure([{ field: 'body', message: 'Content-Type must be multipart/form-data with a boundary', code: 'invalid_content_type' }]);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > settings.uploadLimitBytes) {
    rejectUpload(ctx, tooLarge(settings.uploadLimitBytes));
    return;
  }
  const state: UploadState = { fields: {}, file: undefined, segments: [], durationMs: 0, decodeError: undefined, pcmPath: undefined };
  const tempDir = settings.recognizerCommand ? await mkdtemp(path.join(tmpdir(), 'tokenlab-emulator-')) : undefined;
  try {
    ctx.record.fields = state.fields;
    try {
      await receiveUpload(ctx, boundary, state, settings, tempDir);
    } finally {
      if (state.file) {
        const { info, byteLength } = state.file;
        ctx.record.file = { fieldName: info.name, filename: info.filename, contentType: info.contentType, byteLength };
      }
    }
    await ctx.gate();
    await answer(ctx, task, state, settings);
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

/** Answers an error mid-upload: stop reading, send the error, close the connection once it is sent. */
function rejectUpload(ctx: RequestContext, error: EmulatorHttpError): void {
  ctx.req.unpipe();
  ctx.req.pause();
  ctx.sendError(error, { connection: 'close' });
  ctx.res.once('finish', () => ctx.req.socket.destroySoon?.());
  throw new ResponseAbandoned('upload rejected');
}

function receiveUpload(ctx: RequestContext, boundary: string, state: UploadState, settings: ResolvedEmulatorSettings, tempDir: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let received = 0;
    let pending = 1; // the parser; +1 per file decode
    let failed = false;
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      parser.destroy();
      reject(error);
    };
    const settle = (): void => {
      if (--pending === 0 && !failed) resolve();
    };
    const parser = new MultipartParser(boundary, {
      onField(name, value) {
        const key = name.endsWith('[]') ? name.slice(0, -2) : name;
        const existing = state.fields[key];
        if (existing === undefined) state.fields[key] = name.endsWith('[]') ? [value] : value;
        else state.fields[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
      },
      onFile(info, data) {
        // A broken body is reported by the parser itself; the part stream's copy of that error must
        // not go unhandled when nobody reads the part any more.
        data.on('error', () => undefined);
        if (info.name !== 'file' || state.file) {
          // Only one audio file is read; other file parts are skipped.
          data.resume();
          return;
        }
        // The parser counts the part's bytes, read or skipped.
        state.file = {
          info,
          get byteLength() {
            return info.byteLength;
          },
        };
        pending++;
        const consume = settings.speechDetector === 'none' ? drainUpload(data) : decodeAndSegment(data, state, settings, tempDir, ctx.signal);
        consume.then(settle, (error: Error) => {
          state.decodeError = error;
          // Keep reading the rest of the file to nowhere: the client is still sending it. (A destroyed
          // part stream is skipped by the parser by itself.)
          data.unpipe();
          data.resume();
          settle();
        });
      },
    });
    const limiter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        received += chunk.length;
        if (received > settings.uploadLimitBytes) {
          failed = true;
          parser.destroy();
          try {
            rejectUpload(ctx, tooLarge(settings.uploadLimitBytes));
          } catch (error) {
            reject(error as Error);
          }
          callback();
          return;
        }
        callback(null, chunk);
      },
    });
    parser.once('error', (error) => fail(validationFailure([{ field: 'body', message: error.message, code: 'invalid_multipart' }])));
    parser.once('finish', settle);
    ctx.req.once('aborted', () => fail(new ResponseAbandoned('client aborted the upload')));
    ctx.req.pipe(limiter).pipe(parser);
  });
}

/** Reads and discards the file (the `none` detector: for upload benchmarks). */
async function drainUpload(file: Readable): Promise<void> {
  for await (const chunk of file) void chunk;
}

async function decodeAndSegment(
  file: Readable,
  state: UploadState,
  settings: ResolvedEmulatorSettings,
  tempDir: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const finder = new SpeechSegmentFinder({ sampleRate: STT_SAMPLE_RATE, detector: settings.speechDetector === 'energy' ? 'energy' : 'vad' });
  let pcmFile: WriteStream | undefined;
  if (tempDir) {
    state.pcmPath = path.join(tempDir, 'audio.pcm');
    pcmFile = createWriteStream(state.pcmPath);
  }
  const pcm = decodeUploadToPcm(file, { signal, ffmpegPath: settings.ffmpegPath, contentType: state.file?.info.contentType });
  for await (const chunk of pcm as AsyncIterable<Buffer>) {
    finder.write(chunk);
    if (pcmFile && !pcmFile.write(chunk)) await once(pcmFile, 'drain');
  }
  if (pcmFile) await new Promise<void>((resolve, reject) => pcmFile!.end((error?: Error | null) => (error ? reject(error) : resolve())));
  state.durationMs = finder.durationMs;
  state.segments = finder.end();
}

function fieldString(state: UploadState, name: string): string | undefined {
  const v = state.fields[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

async function answer(ctx: RequestContext, task: 'transcribe' | 'translate', state: UploadState, settings: ResolvedEmulatorSettings): Promise<void> {
  const issues: ValidationIssue[] = [];
  const modelId = fieldString(state, 'model') ?? (task === 'translate' ? 'whisper-1' : undefined);
  if (!state.file) issues.push({ field: 'file', message: 'File is required', code: 'required' });
  if (modelId === undefined) issues.push({ field: 'model', message: 'Model is required', code: 'required' });
  const formatRaw = fieldString(state, 'response_format') ?? 'json';
  const format = FORMATS.find((f) => f === formatRaw);
  if (!format || (task === 'translate' && format === 'diarized_json')) {
    issues.push({ field: 'response_format', message: `must be one of ${FORMATS.filter((f) => task === 'transcribe' || f !== 'diarized_json').join(', ')}`, code: 'invalid_enum_value' });
  }
  const temperature = fieldString(state, 'temperature');
  if (temperature !== undefined && !(Number(temperature) >= 0 && Number(temperature) <= 1)) {
    issues.push({ field: 'temperature', message: `must be a number between 0 and 1 (got ${temperature})`, code: 'out_of_range' });
  }
  const granularitiesRaw = state.fields['timestamp_granularities'];
  const granularities = (granularitiesRaw === undefined ? [] : Array.isArray(granularitiesRaw) ? granularitiesRaw : [granularitiesRaw]).flatMap((g) => g.split(','));
  for (const g of granularities) {
    if (g !== 'word' && g !== 'segment') issues.push({ field: 'timestamp_granularities', message: `'${g}' is not word or segment`, code: 'invalid_enum_value' });
  }
  const language = fieldString(state, 'language');
  if (language !== undefined && !/^[a-z]{2,3}(-[A-Za-z]{2})?$/.test(language)) {
    issues.push({ field: 'language', message: `'${language}' is not an ISO-639-1 code such as en`, code: 'invalid_value' });
  }
  if (issues.length > 0) throw validationFailure(issues);
  const model = findModel(modelId!);
  const operation = task === 'transcribe' ? 'transcription' : 'translation';
  if (!model) throw unknownModelError(modelId!, 400, operation);
  if (!model.operations.includes(operation)) throw wrongOperationError(model, operation);
  if (!model.outputFormats.includes(format!)) {
    throw validationFailure([{ field: 'response_format', message: `'${format}' is not supported by ${model.id}; use one of ${model.outputFormats.join(', ')}`, code: 'unsupported_value' }]);
  }
  if (state.file!.byteLength === 0) {
    throw validationFailure([{ field: 'file', message: 'The audio file is empty (0 bytes).', code: 'empty_file' }]);
  }
  if (state.decodeError) {
    throw new EmulatorHttpError(400, {
      message: `Invalid file format: the emulator could not decode '${state.file!.info.filename ?? 'file'}' as audio. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']`,
      type: 'invalid_request_error',
      code: 'invalid_file_format',
      param: 'file',
      retryable: false,
    });
  }

  const segments: TranscriptSegment[] = [];
  if (settings.speechDetector === 'none') {
    segments.push({ startMs: 0, endMs: 0, text: `[not analysed: ${state.file!.byteLength} bytes received]`, words: [] });
  }
  for (const { span, words } of state.segments) {
    const text = settings.recognizerCommand && state.pcmPath ? await recognizeSegment(settings.recognizerCommand, state.pcmPath, span, ctx.signal) : describeSpeech(span);
    const tokens = text.split(/\s+/).filter(Boolean);
    // Word timings are the sound bursts inside the segment; with a recognizer the words are spread over them.
    const wordSpans = settings.recognizerCommand ? spreadWords(tokens, words, span) : words.map((w) => ({ ...w, word: describeSpeech(w) }));
    segments.push({ ...span, text, words: wordSpans });
  }
  const result: TranscriptResult = { task, language: task === 'translate' ? 'english' : languageName(language), durationMs: state.durationMs, segments };
  const stream = fieldString(state, 'stream') === 'true' && model.streaming && task === 'transcribe';
  if (stream) {
    await streamTranscript(ctx, result, format!, settings, model.pricingUnit);
    return;
  }
  const { contentType, body } = formatTranscript(result, format!, { granularities: granularities as ('word' | 'segment')[], usage: transcriptUsage(result, model.pricingUnit) });
  await ctx.sendText(200, contentType, body);
}

function spreadWords(tokens: string[], bursts: TimedSpan[], span: TimedSpan): (TimedSpan & { word: string })[] {
  if (tokens.length === 0) return [];
  const step = (span.endMs - span.startMs) / tokens.length;
  return tokens.map((word, i) => {
    const burst = bursts.length === tokens.length ? bursts[i] : undefined;
    return { word, startMs: burst?.startMs ?? span.startMs + i * step, endMs: burst?.endMs ?? span.startMs + (i + 1) * step };
  });
}

const LANGUAGES: Record<string, string> = { en: 'english', de: 'german', fr: 'french', es: 'spanish', it: 'italian', ja: 'japanese', zh: 'chinese', pt: 'portuguese', nl: 'dutch' };
function languageName(code: string | undefined): string {
  return code ? (LANGUAGES[code.slice(0, 2)] ?? code) : 'english';
}

async function streamTranscript(ctx: RequestContext, result: TranscriptResult, format: TranscriptFormat, settings: ResolvedEmulatorSettings, pricingUnit: string): Promise<void> {
  ctx.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  let first = true;
  for (const [i, s] of result.segments.entries()) {
    const event =
      format === 'diarized_json'
        ? { type: 'transcript.text.segment', id: `seg_${i}`, start: seconds(s.startMs), end: seconds(s.endMs), text: s.text, speaker: 'A' }
        : { type: 'transcript.text.delta', delta: (i > 0 ? ' ' : '') + s.text };
    await ctx.write(`data: ${JSON.stringify(event)}\n\n`);
    if (first && ctx.plan.malformedSse) await ctx.write('data: {"type":"transcript.text.delta","delta":\n\n');
    first = false;
    if (settings.speechPaceMs > 0) await delay(settings.speechPaceMs, undefined, { signal: ctx.signal });
  }
  const text = transcriptText(result);
  const usage = transcriptUsage(result, pricingUnit);
  await ctx.end(`data: ${JSON.stringify({ type: 'transcript.text.done', text, usage })}\n\n`);
}

/** Runs the recognizer command on one segment of the upload's 16 kHz PCM; a failure is the emulator's 500. */
async function recognizeSegment(command: readonly string[], pcmPath: string, span: TimedSpan, signal: AbortSignal): Promise<string> {
  const bytesPerMs = (STT_SAMPLE_RATE * 2) / 1000;
  const startByte = Math.floor(span.startMs * bytesPerMs) & ~1;
  const endByte = Math.ceil(span.endMs * bytesPerMs) & ~1;
  try {
    return await runRecognizer(command, { pcmPath, startByte, byteLength: endByte - startByte }, signal);
  } catch (error) {
    throw new EmulatorHttpError(500, { message: (error as Error).message, type: 'server_error' });
  }
}
