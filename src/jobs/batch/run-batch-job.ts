/**
 * Runs one {@link BatchJob}: one API call (speech may be served from the client's speech cache) and an atomic
 * write of its result. The same code runs in a local batch and in a queue worker.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TokenLab } from '../../client.js';
import type { UploadProgressEvent } from '../../api/transcriptions.js';
import { writeFileAtomic } from '../../api/write-file-atomic.js';
import { BatchOutputError } from './batch-errors.js';
import type { BatchJob, SpeakBatchJob, TranscribeBatchJob } from './batch-job.js';

const FILE_WRITE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EMFILE', 'ENFILE', 'EIO', 'EFBIG']);

/** What one job produced. */
export interface BatchJobResult {
  /** `x-request-id` of every API response (empty when speech came from the cache). */
  readonly requestIds: readonly string[];
  /** The file written. */
  readonly output: string;
  readonly byteLength: number;
  /** Speech served from the speech cache: no request was made, nothing was billed. */
  readonly fromCache: boolean;
  /** Said when the result is valid but worth a look, e.g. a transcript with no speech in it. */
  readonly warning: string | undefined;
  /** Usage the API reported (transcription `usage`, speech `usage` from SSE), as given; undefined when none. */
  readonly usage: unknown;
}

/** Hooks around the billable call, for callers that must know what was in flight (the queue worker). */
export interface BatchJobHooks {
  /** Called just before the billable request is sent. A rejection cancels the job before anything is billed. */
  readonly beforeBillable?: (() => Promise<void>) | undefined;
  /** Called once the answer (or the error) has arrived, with the request ids known. */
  readonly afterBillable?: ((requestIds: readonly string[]) => Promise<void>) | undefined;
}

/** Options of {@link runBatchJob}. */
export interface RunBatchJobOptions extends BatchJobHooks {
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs one job with `client` and writes its result to `job.output` (through a temp file and a rename, so a
 * crash never leaves half a file).
 * @throws ApiError subclasses and InputError from the call; {@link BatchOutputError} when the result cannot be written.
 */
export async function runBatchJob(client: TokenLab, job: BatchJob, options: RunBatchJobOptions = {}): Promise<BatchJobResult> {
  await mkdir(path.dirname(job.output), { recursive: true }).catch((e: unknown) => {
    throw new BatchOutputError(path.dirname(job.output), e);
  });
  return job.kind === 'speak' ? speak(client, job, options) : transcribe(client, job, options);
}

async function transcribe(client: TokenLab, job: TranscribeBatchJob, options: RunBatchJobOptions): Promise<BatchJobResult> {
  let doneRequestId: string | undefined;
  const onProgress = (event: UploadProgressEvent): void => {
    if (event.type === 'done') doneRequestId = event.requestId;
  };
  const params = {
    file: job.file,
    responseFormat: job.responseFormat ?? 'text',
    onProgress,
    signal: options.signal,
    ...(job.prompt !== undefined ? { prompt: job.prompt } : {}),
    ...(job.temperature !== undefined ? { temperature: job.temperature } : {}),
  };
  await options.beforeBillable?.();
  let result: unknown;
  let failed: unknown;
  try {
    result =
      job.kind === 'transcribe'
        ? await client.audio.transcriptions.create({ ...params, model: job.model ?? 'whisper-1', ...(job.language !== undefined ? { language: job.language } : {}) })
        : await client.audio.translations.create({ ...params, ...(job.model !== undefined ? { model: job.model } : {}) });
  } catch (e) {
    failed = e;
  }
  const requestId = (typeof result === 'object' && result !== null ? (result as { requestId?: string }).requestId : undefined) ?? doneRequestId ?? (failed as { requestId?: string } | undefined)?.requestId;
  await options.afterBillable?.(requestId ? [requestId] : []);
  if (failed !== undefined) throw failed;
  const text = typeof result === 'string' ? result : `${JSON.stringify(result, null, 2)}\n`;
  const spoken = typeof result === 'string' ? result : String((result as { text?: unknown }).text ?? '');
  const requestIds = requestId ? [requestId] : [];
  try {
    await writeFileAtomic(job.output, text, options.signal);
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new BatchOutputError(job.output, e, requestIds);
  }
  return {
    requestIds,
    output: job.output,
    byteLength: Buffer.byteLength(text),
    fromCache: false,
    warning: spoken.trim() === '' ? 'no speech found: the transcript is empty (silence, or no audible speech)' : undefined,
    usage: typeof result === 'object' && result !== null ? (result as { usage?: unknown }).usage : undefined,
  };
}

async function speak(client: TokenLab, job: SpeakBatchJob, options: RunBatchJobOptions): Promise<BatchJobResult> {
  await options.beforeBillable?.();
  let audio;
  try {
    audio = await client.audio.speech.create(
      {
        input: job.text,
        ...(job.responseFormat !== undefined ? { response_format: job.responseFormat } : {}),
        ...(job.model !== undefined ? { model: job.model } : {}),
        ...(job.voice !== undefined ? { voice: job.voice } : {}),
        ...(job.speed !== undefined ? { speed: job.speed } : {}),
        ...(job.instructions !== undefined ? { instructions: job.instructions } : {}),
      },
      { signal: options.signal },
    );
  } catch (e) {
    const id = (e as { requestId?: string } | null)?.requestId;
    await options.afterBillable?.(id ? [id] : []);
    throw e;
  }
  let saved;
  try {
    saved = await audio.save(job.output, { signal: options.signal });
  } catch (e) {
    await options.afterBillable?.(audio.requestIds);
    const errno = (e as NodeJS.ErrnoException | null)?.code;
    // A file system code is the write's fault; anything else (ApiError, ConnectionError) is the response's.
    if (errno !== undefined && FILE_WRITE_ERRNOS.has(errno) && !options.signal?.aborted) throw new BatchOutputError(job.output, e, audio.requestIds);
    throw e;
  }
  await options.afterBillable?.(audio.requestIds);
  return { requestIds: audio.requestIds, output: saved.path, byteLength: saved.byteLength, fromCache: audio.fromCache, warning: undefined, usage: audio.usage };
}
