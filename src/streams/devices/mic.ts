import { Readable } from 'node:stream';
import { InputError } from '../../core/errors.js';
import { FrameCarry } from '../../core/pcm/frame-carry.js';
import { bytesPerFrame, pcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { FfmpegProcess } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { deviceArgs, type AudioBackend, type DeviceCommand } from './device-args.js';
import { destroyOnAbort, deviceError, releaseDeviceProcess } from './device-process.js';

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
  readonly #carry: FrameCarry;
  #bytes = 0;
  #stopping = false;
  // Assigned after the constructor watches the signal; destroy() may run before that (a signal already aborted).
  #unwatchAbort = (): void => {};

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
    this.#carry = new FrameCarry(bytesPerFrame(format));
    // An already-aborted signal reaches the process too, so that no child is started at all.
    const aborted = options.signal?.aborted ? { signal: options.signal } : {};
    const proc = new FfmpegProcess({ args: this.command.args, ffmpegPath: options.ffmpegPath, stdin: 'none', killGraceMs: 1000, ...aborted });
    this.#proc = proc;
    proc.on('data', (chunk: Buffer) => this.#onData(chunk));
    proc.on('end', () => {
      if (!this.destroyed) this.push(null);
    });
    proc.on('error', (err: Error) => this.#onProcError(err));

    this.#unwatchAbort = destroyOnAbort(this, options.signal, 'Capture');
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
    const carry = this.#carry;
    let offset = 0;
    if (!carry.isEmpty) {
      offset = carry.fill(chunk, 0, chunk.length);
      if (!carry.isFull) return;
      this.#bytes += carry.frameBytes;
      // The carry buffer is reused, so the pushed frame must be its own copy.
      this.push(Buffer.from(carry.frame));
      carry.clear();
    }
    const whole = carry.wholeBytes(chunk.length - offset);
    carry.hold(chunk, offset + whole, chunk.length);
    if (whole > 0) {
      this.#bytes += whole;
      if (!this.push(chunk.subarray(offset, offset + whole))) this.#proc.pause();
    }
  }

  #onProcError(err: Error): void {
    if (this.#stopping || this.destroyed) return;
    this.destroy(deviceError(err, this.command, this.#bytes === 0));
  }

  override _read(): void {
    this.#proc.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#unwatchAbort();
    releaseDeviceProcess(this.#proc, error, callback);
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
