/**
 * Turns found files or speech-list entries into batch jobs with their output paths under one directory.
 */
import path from 'node:path';
import type { SpeakBatchJob, TranscribeBatchJob } from './batch-job.js';
import type { FoundAudioFile } from './find-audio-files.js';
import type { SpeechListEntry } from './read-speech-list.js';

const TRANSCRIPT_EXTENSIONS: Record<string, string> = { text: '.txt', srt: '.srt', vtt: '.vtt', json: '.json', verbose_json: '.json' };

/** Options shared by the transcription jobs of a batch. */
export type TranscribePlanOptions = Omit<TranscribeBatchJob, 'name' | 'file' | 'output'> & {
  /** Directory the transcripts go to, mirroring the inputs' relative paths. */
  readonly outputDir: string;
};

/**
 * One job per file; the output is `outputDir/<relative path with the format's extension>` (`talk.mp3` →
 * `talk.txt`). When two inputs would share an output (`a.mp3` and `a.wav`), both keep their extension (`a.mp3.txt`).
 */
export function planTranscribeJobs(files: readonly FoundAudioFile[], options: TranscribePlanOptions): TranscribeBatchJob[] {
  const { outputDir, ...shared } = options;
  const ext = TRANSCRIPT_EXTENSIONS[shared.responseFormat ?? 'text'] ?? '.txt';
  const stem = (name: string): string => name.slice(0, name.length - path.posix.extname(name).length);
  const uses = new Map<string, number>();
  for (const f of files) uses.set(stem(f.name), (uses.get(stem(f.name)) ?? 0) + 1);
  return files.map((f) => {
    const base = uses.get(stem(f.name))! > 1 ? f.name : stem(f.name);
    return { ...shared, name: f.name, file: f.file, output: path.resolve(outputDir, ...`${base}${ext}`.split('/')) };
  });
}

/** Options shared by the speech jobs of a batch (an entry's own voice/model/instructions/speed win). */
export type SpeakPlanOptions = Omit<SpeakBatchJob, 'kind' | 'name' | 'text' | 'output'> & {
  readonly outputDir: string;
};

const SPEECH_EXTENSIONS: Record<string, string> = { mp3: '.mp3', opus: '.opus', aac: '.aac', flac: '.flac', wav: '.wav', pcm: '.pcm' };

/** One job per entry; the output is `outputDir/<name>.<format>`. */
export function planSpeakJobs(entries: readonly SpeechListEntry[], options: SpeakPlanOptions): SpeakBatchJob[] {
  const { outputDir, ...shared } = options;
  const ext = SPEECH_EXTENSIONS[shared.responseFormat ?? 'mp3'] ?? `.${String(shared.responseFormat)}`;
  return entries.map((e) => ({
    ...shared,
    kind: 'speak',
    name: e.name,
    text: e.text,
    output: path.resolve(outputDir, `${e.name}${ext}`),
    ...(e.voice !== undefined ? { voice: e.voice } : {}),
    ...(e.model !== undefined ? { model: e.model } : {}),
    ...(e.instructions !== undefined ? { instructions: e.instructions } : {}),
    ...(e.speed !== undefined ? { speed: e.speed } : {}),
  }));
}
