/**
 * What capture and playback share around their ffmpeg child: turning its failure into an {@link AudioDeviceError}
 * that names the device, stopping on an AbortSignal, and releasing the child before the stream says it is closed.
 */
import type { Stream } from 'node:stream';
import { abortError } from '../../core/errors.js';
import { FfmpegError } from '../../codecs/ffmpeg/ffmpeg-errors.js';
import type { FfmpegProcess } from '../../codecs/ffmpeg/ffmpeg-process.js';
import { AudioDeviceError, deviceFailureReason } from './audio-device-error.js';
import { describeDevice, type DeviceCommand } from './device-args.js';

/** The error a device stream fails with: an ffmpeg failure becomes an AudioDeviceError; anything else passes. */
export function deviceError(err: Error, command: DeviceCommand, atStart: boolean): Error {
  if (!(err instanceof FfmpegError)) return err;
  const capture = command.direction === 'capture';
  const what = atStart ? (capture ? 'Could not start capture from' : 'Could not start playback on') : capture ? 'Capture stopped on' : 'Playback stopped on';
  const reason = deviceFailureReason(err.stderrTail) || err.message.split('\n')[0] || 'ffmpeg failed';
  return new AudioDeviceError(
    `${what} ${describeDevice(command)}: ${reason}. Check that the device exists and is not busy (pass { device } or { backend } to choose another).`,
    { direction: command.direction, backend: command.backend, device: command.device, platform: command.platform, atStart },
    { cause: err },
  );
}

/**
 * Destroys `stream` with an AbortError when `signal` aborts (at once when it already has).
 * @returns what stops watching (call it on destroy).
 */
export function destroyOnAbort(stream: Stream & { destroy(error?: Error): unknown }, signal: AbortSignal | undefined, what: string): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    stream.destroy(abortError(signal, what));
    return () => {};
  }
  const onAbort = () => stream.destroy(abortError(signal, what));
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** Ends the child and calls back once it has exited ('close'), so no child outlives its stream. */
export function releaseDeviceProcess(proc: FfmpegProcess, error: Error | null, callback: (error?: Error | null) => void): void {
  if (proc.closed) {
    callback(error);
    return;
  }
  proc.once('close', () => callback(error));
  proc.destroy();
}
