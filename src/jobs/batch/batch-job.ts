/**
 * One unit of batch work as plain data (so it can go into a manifest line or a queue job as it is), and its
 * key: a hash of the input's content and every option that changes the result. Two runs that would produce
 * the same output have the same key, which is how a rerun (or a second worker) knows the work is already done.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { SpeechResponseFormat } from '../../api/speech/speech-params.js';
import type { TranscriptionResponseFormat } from '../../api/transcriptions.js';

/** Transcribe (or translate to English) one audio file into a text, SRT, VTT or JSON file. */
export interface TranscribeBatchJob {
  readonly kind: 'transcribe' | 'translate';
  /** What the manifest and the report call this item (e.g. the path relative to the batch's root). */
  readonly name: string;
  /** The audio file (absolute path; shared storage when the job goes through the queue). */
  readonly file: string;
  /** Where the result is written (absolute path). */
  readonly output: string;
  /** Default `whisper-1`. */
  readonly model?: string | undefined;
  readonly responseFormat?: Exclude<TranscriptionResponseFormat, 'diarized_json'> | undefined;
  /** ISO-639-1 code (transcribe only). */
  readonly language?: string | undefined;
  readonly prompt?: string | undefined;
  readonly temperature?: number | undefined;
}

/** Speak one text into an audio file. */
export interface SpeakBatchJob {
  readonly kind: 'speak';
  readonly name: string;
  /** The text to say. */
  readonly text: string;
  /** Where the audio is written (absolute path). */
  readonly output: string;
  readonly model?: string | undefined;
  readonly voice?: string | undefined;
  readonly responseFormat?: SpeechResponseFormat | undefined;
  readonly speed?: number | undefined;
  readonly instructions?: string | undefined;
}

/** One item of a batch. */
export type BatchJob = TranscribeBatchJob | SpeakBatchJob;

/** Hex SHA-256 of a file's bytes, streamed (a file of any size in constant memory). */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 256 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The job's key: a hash of the input's content (the file's bytes, or the text) and of every option that
 * changes the result. The output path and the display name are not part of it (moving the output directory
 * does not make finished work unfinished; the manifest ties a key to its output).
 * @throws the file's read error (ENOENT, EACCES, …) for a transcription job whose file cannot be read.
 */
export async function batchJobKey(job: BatchJob, signal?: AbortSignal): Promise<string> {
  const fields: unknown[] =
    job.kind === 'speak'
      ? ['speak/v1', job.text, job.model ?? null, job.voice ?? null, job.responseFormat ?? null, job.speed ?? null, job.instructions ?? null]
      : [`${job.kind}/v1`, await fileSha256(job.file, signal), job.model ?? null, job.responseFormat ?? null, job.language ?? null, job.prompt ?? null, job.temperature ?? null];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
