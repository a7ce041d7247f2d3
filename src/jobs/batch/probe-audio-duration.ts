import { runFfmpeg } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { FfmpegError } from '../../codecs/ffmpeg/ffmpeg-errors.js';
import { InputError } from '../../core/errors.js';

/** Options of {@link probeAudioDurationMs}. */
export interface ProbeAudioDurationOptions {
  readonly signal?: AbortSignal | undefined;
  readonly ffmpegPath?: string | undefined;
}

/**
 * The length of a file's first audio track, ms, without decoding it: the length its container states, or else
 * the last packet's time as ffmpeg copies the packets to nowhere (fast even for hours of audio).
 * @throws InputError (`TLA_ERR_INPUT_FILE`) when the file is not audio, is corrupt or has no audio track;
 *   FfmpegNotFoundError without ffmpeg; AbortError.
 */
export async function probeAudioDurationMs(file: string, options: ProbeAudioDurationOptions = {}): Promise<number> {
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
