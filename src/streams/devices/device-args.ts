import { InputError } from '../../core/errors.js';
import { pcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';

/**
 * How ffmpeg reaches a sound device. Capture: `alsa`, `pulse`, `oss` (Linux), `avfoundation` (macOS),
 * `dshow` (Windows), `lavfi` (a virtual source such as `sine=frequency=440`, read at real time, for
 * tests and demos). Playback: `alsa`, `pulse`, `oss`, `audiotoolbox` (macOS), `ffplay` (Windows:
 * ffmpeg has no Windows audio output, so ffplay, shipped next to ffmpeg in Windows builds, plays),
 * `null` (paced, then discarded).
 */
export type AudioBackend = 'alsa' | 'pulse' | 'oss' | 'avfoundation' | 'audiotoolbox' | 'dshow' | 'lavfi' | 'ffplay' | 'null';

/** Which way the audio goes. */
export type AudioDirection = 'capture' | 'playback';

const CAPTURE_BACKENDS: ReadonlySet<AudioBackend> = new Set(['alsa', 'pulse', 'oss', 'avfoundation', 'dshow', 'lavfi']);
const PLAYBACK_BACKENDS: ReadonlySet<AudioBackend> = new Set(['alsa', 'pulse', 'oss', 'audiotoolbox', 'ffplay', 'null']);

/** Input of {@link deviceArgs}. */
export interface DeviceArgsOptions {
  direction: AudioDirection;
  /** The PCM the caller reads (capture) or writes (playback). */
  format: PcmFormat;
  /** Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** Default: {@link defaultAudioBackend} for the platform. */
  backend?: AudioBackend;
  /**
   * Device name in the backend's terms: ALSA `default`/`hw:1,0`/`plughw:1`, PulseAudio source/sink
   * name, AVFoundation audio index or name (`0`, `MacBook Pro Microphone`), DirectShow name
   * (`Microphone (Realtek Audio)`), AudioToolbox device index, lavfi graph (`sine=frequency=440`).
   * Default: the system default where the backend has one.
   */
  device?: string;
  /** Devices the ffmpeg build supports (from `probeFfmpeg()`), used to prefer PulseAudio over ALSA. */
  availableDevices?: ReadonlySet<string>;
  /**
   * Capture: how long ffmpeg may hold audio before handing it over, in ms (default 20). Sets DirectShow's
   * buffer and keeps output flushed per packet so a mic is not delayed by ffmpeg's 32 KB pipe buffer.
   */
  latencyMs?: number;
}

/** Result of {@link deviceArgs}: what to run and with which arguments. */
export interface DeviceCommand {
  readonly backend: AudioBackend;
  /** The device name actually used (after defaults). */
  readonly device: string;
  readonly platform: NodeJS.Platform;
  readonly direction: AudioDirection;
  /** `ffmpeg` normally; `ffplay` for the Windows playback backend. */
  readonly program: 'ffmpeg' | 'ffplay';
  /** Arguments without the program. Capture writes raw PCM to stdout; playback reads raw PCM on stdin. */
  readonly args: readonly string[];
}

/**
 * The backend used when none is given: PulseAudio on Linux when the ffmpeg build has it (desktop
 * systems route ALSA's `default` through it anyway), ALSA otherwise; AVFoundation (capture) and
 * AudioToolbox (playback) on macOS; DirectShow (capture) and ffplay (playback) on Windows.
 * @throws InputError for a platform ffmpeg has no sound device for.
 */
export function defaultAudioBackend(platform: NodeJS.Platform, direction: AudioDirection, availableDevices?: ReadonlySet<string>): AudioBackend {
  switch (platform) {
    case 'linux':
      return availableDevices?.has('pulse') ? 'pulse' : 'alsa';
    case 'darwin':
      return direction === 'capture' ? 'avfoundation' : 'audiotoolbox';
    case 'win32':
      return direction === 'capture' ? 'dshow' : 'ffplay';
    case 'freebsd':
    case 'openbsd':
    case 'netbsd' as NodeJS.Platform:
      return 'oss';
    default:
      throw new InputError(
        `No default audio ${direction} backend for platform ${platform}; pass { backend } (${[...(direction === 'capture' ? CAPTURE_BACKENDS : PLAYBACK_BACKENDS)].join(', ')}).`,
      );
  }
}

function pcmCodec(format: PcmFormat): { sampleFormat: string; codec: string } {
  return format.encoding === 's16le' ? { sampleFormat: 's16le', codec: 'pcm_s16le' } : { sampleFormat: 'f32le', codec: 'pcm_f32le' };
}

function defaultDevice(backend: AudioBackend, platform: NodeJS.Platform, direction: AudioDirection): string {
  switch (backend) {
    case 'alsa':
    case 'pulse':
      return 'default';
    case 'oss':
      return '/dev/dsp';
    case 'avfoundation':
      return '0';
    case 'audiotoolbox':
      return '0';
    case 'lavfi':
      return 'anullsrc';
    case 'ffplay':
    case 'null':
      return 'default';
    case 'dshow':
      throw new InputError(
        `DirectShow (${platform}) has no default ${direction} device: pass { device: 'Microphone (…)' }. ` +
          'List the names with: ffmpeg -list_devices true -f dshow -i dummy',
      );
  }
}

/**
 * Chooses ffmpeg's arguments for a sound device: a pure function of platform, backend, device and
 * format, so every platform's choice is testable anywhere.
 *
 * Capture reads the device and writes raw `format` PCM to stdout; playback reads raw `format` PCM
 * from stdin and plays it. ffmpeg converts rate, channels and sample type on the way.
 *
 * @throws InputError for a backend that cannot go this way, a missing device where the backend has no
 *   default (DirectShow), or a device name that would be read as an option (leading `-`).
 */
export function deviceArgs(options: DeviceArgsOptions): DeviceCommand {
  const format = pcmFormat(options.format);
  const { direction } = options;
  if (direction !== 'capture' && direction !== 'playback') {
    throw new InputError(`deviceArgs: direction must be 'capture' or 'playback', got ${JSON.stringify(direction)}.`);
  }
  const platform = options.platform ?? process.platform;
  const backend = options.backend ?? defaultAudioBackend(platform, direction, options.availableDevices);
  const allowed = direction === 'capture' ? CAPTURE_BACKENDS : PLAYBACK_BACKENDS;
  if (!allowed.has(backend)) {
    throw new InputError(`Audio backend ${JSON.stringify(backend)} cannot do ${direction}; use one of: ${[...allowed].join(', ')}.`);
  }
  const device = options.device ?? defaultDevice(backend, platform, direction);
  if (typeof device !== 'string' || device === '' || device.startsWith('-')) {
    throw new InputError(`Audio device name ${JSON.stringify(device)} is not usable: give a non-empty name that does not start with '-'.`);
  }
  const latencyMs = options.latencyMs ?? 20;
  if (!Number.isFinite(latencyMs) || latencyMs < 1 || latencyMs > 1000) {
    throw new InputError(`deviceArgs: latencyMs must be from 1 to 1000 ms, got ${String(latencyMs)}.`);
  }
  const { sampleFormat, codec } = pcmCodec(format);
  const rate = String(format.sampleRate);
  const channels = String(format.channels);
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

  if (direction === 'capture') {
    const input: string[] = ['-fflags', 'nobuffer'];
    switch (backend) {
      case 'alsa':
      case 'pulse':
      case 'oss':
        // Ask the device for the wanted layout so ffmpeg rarely has to convert.
        input.push('-f', backend, '-sample_rate', rate, '-channels', channels, '-i', device);
        break;
      case 'avfoundation':
        // AVFoundation names "video:audio"; audio only is ":<index or name>".
        input.push('-f', 'avfoundation', '-i', device.includes(':') ? device : `:${device}`);
        break;
      case 'dshow':
        input.push('-f', 'dshow', '-audio_buffer_size', String(Math.round(latencyMs)), '-i', device.startsWith('audio=') ? device : `audio=${device}`);
        break;
      case 'lavfi':
        // A generator runs as fast as the CPU allows; -re makes it behave like a device (real time).
        input.push('-re', '-f', 'lavfi', '-i', device);
        break;
      default:
        break;
    }
    const output = ['-vn', '-ac', channels, '-ar', rate, '-c:a', codec, '-f', sampleFormat, '-flush_packets', '1', 'pipe:1'];
    return freeze({ backend, device, platform, direction, program: 'ffmpeg', args: [...head, ...input, ...output] });
  }

  // Raw input needs no probing; without these ffmpeg waits for seconds of paced audio before it opens the device.
  const rawInput = ['-probesize', '32', '-analyzeduration', '0', '-f', sampleFormat, '-ar', rate, '-ac', channels, '-i', 'pipe:0'];
  switch (backend) {
    case 'alsa':
    case 'oss':
      return freeze({ backend, device, platform, direction, program: 'ffmpeg', args: [...head, ...rawInput, '-f', backend, device] });
    case 'pulse': {
      const target = device === 'default' ? [] : ['-device', device];
      return freeze({ backend, device, platform, direction, program: 'ffmpeg', args: [...head, ...rawInput, '-f', 'pulse', ...target, 'tokenlab-audio'] });
    }
    case 'audiotoolbox': {
      if (!/^\d+$/.test(device)) {
        throw new InputError(`AudioToolbox (${platform}) selects a playback device by index, got ${JSON.stringify(device)}; list them with: ffmpeg -f lavfi -i anullsrc -t 0.1 -f audiotoolbox -list_devices true -`);
      }
      return freeze({ backend, device, platform, direction, program: 'ffmpeg', args: [...head, ...rawInput, '-f', 'audiotoolbox', '-audio_device_index', device, '-'] });
    }
    case 'ffplay': {
      if (options.device !== undefined && options.device !== 'default') {
        throw new InputError(`ffplay (${platform}) plays on the system's default output only; choose the device in the system settings, or omit { device }.`);
      }
      // ffplay takes the raw demuxer's own options rather than -ar/-ac.
      const layout = format.channels === 1 ? 'mono' : format.channels === 2 ? 'stereo' : `${format.channels}c`;
      return freeze({
        backend, device, platform, direction, program: 'ffplay',
        args: ['-hide_banner', '-loglevel', 'error', '-nodisp', '-autoexit', '-probesize', '32', '-analyzeduration', '0', '-f', sampleFormat, '-sample_rate', rate, '-ch_layout', layout, '-i', 'pipe:0'],
      });
    }
    case 'null':
      return freeze({ backend, device, platform, direction, program: 'ffmpeg', args: [...head, ...rawInput, '-f', 'null', '-'] });
    default:
      throw new InputError(`Audio backend ${JSON.stringify(backend)} cannot do playback.`);
  }
}

/** A human label for errors: `ALSA device "default" on linux`. */
export function describeDevice(command: Pick<DeviceCommand, 'backend' | 'device' | 'platform'>): string {
  const names: Record<AudioBackend, string> = {
    alsa: 'ALSA', pulse: 'PulseAudio', oss: 'OSS', avfoundation: 'AVFoundation', audiotoolbox: 'AudioToolbox',
    dshow: 'DirectShow', lavfi: 'lavfi', ffplay: 'ffplay', null: 'null',
  };
  return `${names[command.backend]} device ${JSON.stringify(command.device)} on ${command.platform}`;
}

function freeze(command: DeviceCommand): DeviceCommand {
  return Object.freeze({ ...command, args: Object.freeze([...command.args]) });
}
