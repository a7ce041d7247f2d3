import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { FfmpegProcess } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { resolveFfmpeg } from '../../codecs/ffmpeg/ffmpeg-resolve.js';
import { deviceArgs, type AudioBackend, type DeviceCommand } from './device-args.js';
import { destroyOnAbort, deviceError, releaseDeviceProcess } from './device-process.js';
import { PacedOutput, type UnderrunPolicy } from '../paced-output.js';

const START_WINDOW_MS = 3000;

/** Options of {@link speaker}. */
export interface SpeakerOptions {
  /** The PCM written in. */
  format: PcmFormat;
  /** Device name in the backend's terms; default: the system default output. */
  device?: string;
  /** Default: the platform's (see {@link defaultAudioBackend}); `null` paces and discards. */
  backend?: AudioBackend;
  /** Frame size of the pacer, ms (default 20). */
  frameMs?: number;
  /** Audio queued before playback starts and after an underrun, ms (default 60). */
  cushionMs?: number;
  /** Default `'silence'`: the device keeps getting zeros during gaps, so it never underruns itself. */
  underrun?: UnderrunPolicy;
  /** Most audio queued ahead of the device, ms (default 3000). */
  maxQueuedMs?: number;
  ffmpegPath?: string;
  /** Aborting stops playback at once and destroys the stream with an `AbortError`. */
  signal?: AbortSignal;
}

/**
 * Playback as a PCM Writable, paced by a {@link PacedOutput} so that what was played is known exactly
 * (`playedMs`) and queued audio can be dropped at once (`clear()`, for barge-in) instead of sitting in
 * the device's buffer. `'finish'` comes after the last frame was handed to ffmpeg and ffmpeg exited.
 *
 * `playedMs` counts audio handed to ffmpeg; the device's own buffer adds its latency on top.
 */
export class SpeakerStream extends Writable {
  readonly format: PcmFormat;
  readonly command: DeviceCommand;
  readonly #pacer: PacedOutput;
  readonly #proc: FfmpegProcess;
  // Assigned after the constructor watches the signal; destroy() may run before that (a signal already aborted).
  #unwatchAbort = (): void => {};
  #failed = false;
  readonly #startedAt = performance.now();

  constructor(options: SpeakerOptions) {
    const format = pcmFormat(options?.format);
    super({ highWaterMark: 16 * 1024 });
    this.format = format;
    this.command = deviceArgs({
      direction: 'playback',
      format,
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
    });
    let binary = options.ffmpegPath;
    if (this.command.program === 'ffplay') {
      // ffplay ships next to ffmpeg in Windows builds.
      const ffmpeg = resolveFfmpeg({ ffmpegPath: options.ffmpegPath });
      binary = path.join(path.dirname(ffmpeg.path), process.platform === 'win32' ? 'ffplay.exe' : 'ffplay');
    }
    this.#pacer = new PacedOutput({
      format,
      cushionMs: options.cushionMs ?? 60,
      ...(options.frameMs !== undefined ? { frameMs: options.frameMs } : {}),
      ...(options.underrun !== undefined ? { underrun: options.underrun } : {}),
      ...(options.maxQueuedMs !== undefined ? { maxQueuedMs: options.maxQueuedMs } : {}),
    });
    // An already-aborted signal reaches the process too, so that no child is started at all.
    const aborted = options.signal?.aborted ? { signal: options.signal } : {};
    const proc = new FfmpegProcess({ args: this.command.args, ffmpegPath: binary, stdout: 'none', killGraceMs: 1000, ...aborted });
    this.#proc = proc;
    this.#pacer.on('underrun', () => this.emit('underrun'));
    this.#pacer.on('drained', () => this.emit('drained'));
    this.#pacer.on('error', (err: Error) => this.destroy(err));
    proc.on('error', (err: Error) => this.#onProcError(err));
    this.#pacer.pipe(proc);

    this.#unwatchAbort = destroyOnAbort(this, options.signal, 'Playback');
  }

  /** The ffmpeg (or ffplay) child's pid. */
  get pid(): number | undefined {
    return this.#proc.pid;
  }
  /** Audio handed to the device so far, in ms (exact; see {@link PacedOutput.playedMs}). */
  get playedMs(): number {
    return this.#pacer.playedMs;
  }
  /** Audio written and not yet played, in ms. */
  get queuedMs(): number {
    return this.#pacer.queuedMs;
  }
  /** Silence inserted while waiting for audio, in ms. */
  get silenceMs(): number {
    return this.#pacer.silenceMs;
  }
  get underruns(): number {
    return this.#pacer.underruns;
  }
  /** Drops queued audio at once (barge-in) and returns how many ms were dropped. */
  clear(): number {
    return this.#pacer.clear();
  }

  #onProcError(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    // ffmpeg opens an output device once the first audio reaches it; a failure in the first seconds is a start failure.
    this.destroy(deviceError(err, this.command, performance.now() - this.#startedAt < START_WINDOW_MS));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#pacer.write(chunk)) callback();
    else this.#pacer.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    // The pacer plays out its queue, ends, and pipe() ends ffmpeg's stdin; ffmpeg's 'finish' follows its clean exit.
    const proc = this.#proc;
    const onFinish = (): void => {
      proc.off('error', onError);
      callback();
    };
    const onError = (): void => {
      proc.off('finish', onFinish);
      // #onProcError destroys this stream with the device error.
    };
    proc.once('finish', onFinish);
    proc.once('error', onError);
    this.#pacer.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#unwatchAbort();
    this.#pacer.unpipe(this.#proc);
    this.#pacer.destroy();
    releaseDeviceProcess(this.#proc, error, callback);
  }
}

/**
 * Plays PCM on a sound device through ffmpeg (ALSA or PulseAudio on Linux, AudioToolbox on macOS,
 * ffplay on Windows, or `backend: 'null'` to pace and discard), paced in real time.
 *
 * @throws InputError for unusable options; FfmpegNotFoundError when there is no ffmpeg.
 * The stream errors with {@link AudioDeviceError} (naming device, backend and platform) when the device
 * cannot be opened or fails.
 */
export function speaker(options: SpeakerOptions): SpeakerStream {
  return new SpeakerStream(options);
}
