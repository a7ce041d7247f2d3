import { TokenLabAudioError } from '../../core/errors.js';
import type { AudioBackend, AudioDirection } from './device-args.js';

/**
 * A sound device could not be opened, or stopped working: missing, busy, no permission, or a backend the
 * ffmpeg build lacks. The message names the device, the backend and the platform, and quotes ffmpeg's
 * reason; `cause` is the underlying {@link FfmpegError}. Code `TLA_ERR_AUDIO_DEVICE`.
 */
export class AudioDeviceError extends TokenLabAudioError {
  static override brandName = 'AudioDeviceError';
  readonly direction: AudioDirection;
  readonly backend: AudioBackend;
  readonly device: string;
  readonly platform: NodeJS.Platform;
  /** True when the device failed before any audio went through (it could not start). */
  readonly atStart: boolean;

  constructor(
    message: string,
    details: { direction: AudioDirection; backend: AudioBackend; device: string; platform: NodeJS.Platform; atStart: boolean },
    options?: { cause?: unknown },
  ) {
    super(message, 'TLA_ERR_AUDIO_DEVICE', options);
    this.direction = details.direction;
    this.backend = details.backend;
    this.device = details.device;
    this.platform = details.platform;
    this.atStart = details.atStart;
  }
}

/** The line of ffmpeg's stderr that says why a device failed, without ffmpeg's `[alsa @ 0x…]` prefix. */
export function deviceFailureReason(stderrTail: string): string {
  const lines = stderrTail.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const fromDevice = lines.find((l) => /^\[(alsa|pulse|oss|avfoundation|audiotoolbox|dshow|lavfi|Parsed_)/i.test(l));
  const line = fromDevice ?? lines.filter((l) => !/^ALSA lib /.test(l)).pop() ?? lines.pop() ?? '';
  return line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/i, '');
}
