import { runFfmpeg } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { FfmpegError } from '../../codecs/ffmpeg/ffmpeg-errors.js';
import { InputError } from '../../core/errors.js';
import { readStatedDurationMs } from './read-stated-duration.js';

/** Options of {@link probeAudioDurationMs}. */
export interface ProbeAudioDurationOptions {
  readonly signal?: AbortSignal | undefined;
  readonly ffmpegPath?: string | undefined;
}

/**
 * The length of a file's first audio track, ms, without decoding it: read in-process from the header where it
 * states the length (WAV, RF64, FLAC, Ogg/Opus: a few bytes read, no process started); else the length the
 * container states to ffmpeg, or the last packet's time as ffmpeg copies the packets to nowhere (fast even for
 * hours of audio). Both give the same number, to the nearest 10 ms.
 * @throws InputError (`TLA_ERR_INPUT_FILE`) when the file is not audio, is corrupt, has no audio track or
 *   cannot be read; FfmpegNotFoundError without ffmpeg; AbortError.
 */
export async function probeAudioDurationMs(file: string, options: ProbeAudioDurationOptions = {}): Promise<number> {
  options.signal?.throwIfAborted();
  return (await headerDurationMs(file)) ?? (await ffmpegDurationMs(file, options));
}

/**
 * The length the file's header states (see {@link readStatedDurationMs}), or undefined when only ffmpeg can tell.
 * @throws InputError (`TLA_ERR_INPUT_FILE`) when the file cannot be read.
 * @internal
 */
export async function headerDurationMs(file: string): Promise<number | undefined> {
  try {
    return await readStatedDurationMs(file);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'there is no such file' : e.code === 'EISDIR' ? 'it is a directory' : `it cannot be read (${e.message})`;
    throw new InputError(`Cannot tell how long ${file} is: ${why}.`, 'TLA_ERR_INPUT_FILE', { cause: error });
  }
}

/**
 * The length as ffmpeg finds it (one process per file: callers bound how many run at once).
 * @internal
 */
export async function ffmpegDurationMs(file: string, options: ProbeAudioDurationOptions = {}): Promise<number> {
  let tail: string;
  try {
    const run = await runFfmpeg(['-hide_banner', '-nostdin', '-loglevel', 'info', '-i', file, '-map', '0:a:0', '-c', 'copy', '-f', 'null', '-'], {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
      stderrTailBytes: 16_384,
    });
    tail = run.stderrTail;
  } catch (error) {
    if (!(error instanceof FfmpegError)) throw error;
    const said = error.stderrTail.split('\n').filter((l) => l.trim() !== '').pop() ?? 'no reason given';
    const why = /matches no streams|does not contain any stream/i.test(error.stderrTail) ? 'it has no audio track' : `ffmpeg cannot read it (${said.trim()})`;
    throw new InputError(`Cannot tell how long ${file} is: ${why}.`, 'TLA_ERR_INPUT_FILE', { cause: error });
  }
  // The container's own length when it states one (exact for WAV, Ogg, MP4, FLAC); else the last packet's time
  // from the progress line (`size=N/A time=00:01:23.45 …`), for streams with no length in their header (live WebM).
  const stated = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(tail);
  if (stated) return Math.round((Number(stated[1]) * 3600 + Number(stated[2]) * 60 + Number(stated[3])) * 1000);
  const times = [...tail.matchAll(/time=(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/g)];
  const last = times[times.length - 1];
  if (!last || last[1] === '-') throw new InputError(`Cannot tell how long ${file} is: ffmpeg found no audio in it.`, 'TLA_ERR_INPUT_FILE');
  return Math.round((Number(last[2]) * 3600 + Number(last[3]) * 60 + Number(last[4])) * 1000);
}
