import { Readable } from 'node:stream';
import { InputError, abortError } from '../../core/errors.js';
import { bytesPerFrame, pcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { FfmpegError } from '../../codecs/ffmpeg/ffmpeg-errors.js';
import { FfmpegProcess } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { AudioDeviceError, deviceFailureReason } from './audio-device-error.js';
import { deviceArgs, describeDevice, type AudioBackend, type DeviceCommand } from './device-args.js';

/** Options of {@link mic}. */
export interface MicOptions {
  /** The PCM to deliver (ffmpeg converts from the device's own rate and layout). */
  format: PcmFormat;
  /** Device name in the backend's terms (see {@link DeviceArgsOptions.device}); default: the system default. */
  device?: string;
  /** Default: the platform's (see {@link defaultAudioBackend}). `lavfi` gives a virtual source. */
  backend?: AudioBackend;
  /** How long ffmpeg may hold audio before handing it over, in ms (default 20). */
  latencyMs?: number;
  ffmpegPath?: string;
  /** Aborting stops capture and destroys the stream with an `AbortError`. */
  signal?: AbortSignal;
}

/**
 * Live capture as a PCM Readable (see {@link mic}). Chunks are whole sample frames in {@link format}.
 * `stop()` ends it cleanly; `destroy()` and abort end it at once. The ffmpeg child never outlives it.
 */
export class MicStream extends Readable {
  readonly format: PcmFormat;
  /** What runs: backend, device, platform and ffmpeg arguments. */
  readonly command: DeviceCommand;
  readonly #proc: FfmpegProcess;
  readonly #frameBytes: number;
  readonly #carry: Buffer;
  #carryBytes = 0;
  #bytes = 0;
  #stopping = false;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  constructor(options: MicOptions) {
    const format = pcmFormat(options?.format);
    super({ highWaterMark: 64 * 1024 });
    this.format = format;
    this.command = deviceArgs({
      direction: 'capture',
      format,
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    });
    if (this.command.program !== 'ffmpeg') throw new InputError(`Capture needs ffmpeg, not ${this.command.program}.`);
    this.#frameBytes = bytesPerFrame(format);
    this.#carry = Buffer.alloc(this.#frameBytes);
    // An already-aborted signal reaches the process too, so that no child is started at all.
    const aborted = options.signal?.aborted ? { signal: options.signal } : {};
    const proc = new FfmpegProcess({ args: this.command.args, ffmpegPath: options.ffmpegPath, stdin: 'none', killGraceMs: 1000, ...aborted });
    this.#proc = proc;
    proc.on('data', (chunk: Buffer) => this.#onData(chunk));
    proc.on('end', () => {
      if (!this.destroyed) this.push(null);
    });
    proc.on('error', (err: Error) => this.#onProcError(err));

    const signal = options.signal;
    if (signal) {
      if (signal.aborted) {
        this.destroy(abortError(signal, 'Capture'));
      } else {
        this.#signal = signal;
        this.#onAbort = () => this.destroy(abortError(signal, 'Capture'));
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
  }

  /** The ffmpeg child's pid (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** PCM bytes delivered so far. */
  get byteCount(): number {
    return this.#bytes;
  }

  /** Stops capture: the stream ends normally after the ffmpeg child has exited. */
  stop(): void {
    if (this.#stopping || this.destroyed) return;
    this.#stopping = true;
    this.#proc.once('close', () => {
      if (!this.destroyed) this.push(null);
    });
    this.#proc.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#stopping) return;
    const fb = this.#frameBytes;
    let offset = 0;
    if (this.#carryBytes > 0) {
      const n = Math.min(fb - this.#carryBytes, chunk.length);
      chunk.copy(this.#carry, this.#carryBytes, 0, n);
      this.#carryBytes += n;
      offset = n;
      if (this.#carryBytes < fb) return;
      this.#carryBytes = 0;
      this.#bytes += fb;
      this.push(Buffer.from(this.#carry));
    }
    const whole = chunk.length - offset - ((chunk.length - offset) % fb);
    if (offset + whole < chunk.length) {
      chunk.copy(this.#carry, 0, offset + whole);
      this.#carryBytes = chunk.length - offset - whole;
    }
    if (whole > 0) {
      this.#bytes += whole;
      if (!this.push(chunk.subarray(offset, offset + whole))) this.#proc.pause();
    }
  }

  #onProcError(err: Error): void {
    if (this.#stopping || this.destroyed) return;
    if (err instanceof FfmpegError) {
      const atStart = this.#bytes === 0;
      const reason = deviceFailureReason(err.stderrTail) || err.message.split('\n')[0] || 'ffmpeg failed';
      err = new AudioDeviceError(
        `${atStart ? 'Could not start capture from' : 'Capture stopped on'} ${describeDevice(this.command)}: ${reason}. ` +
          'Check that the device exists and is not busy (pass { device } or { backend } to choose another).',
        { direction: 'capture', backend: this.command.backend, device: this.command.device, platform: this.command.platform, atStart },
        { cause: err },
      );
    }
    this.destroy(err);
  }

  override _read(): void {
    this.#proc.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    const proc = this.#proc;
    if (proc.closed) {
      callback(error);
      return;
    }
    // 'close' of the process comes after the child has exited: no child outlives this stream.
    proc.once('close', () => callback(error));
    proc.destroy();
  }
}

/**
 * Captures from a sound device through ffmpeg: ALSA or PulseAudio on Linux, AVFoundation on macOS,
 * DirectShow on Windows (or `backend: 'lavfi'` with `device: 'sine=frequency=440'` for a virtual source).
 *
 * @throws InputError for unusable options; FfmpegNotFoundError when there is no ffmpeg.
 * The stream errors with {@link AudioDeviceError} (naming device, backend and platform) when the device
 * cannot be opened or fails.
 */
export function mic(options: MicOptions): MicStream {
  return new MicStream(options);
}
