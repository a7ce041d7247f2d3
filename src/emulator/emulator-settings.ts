import type { EmulatorOptions, EmulatorVoiceEngine } from './emulator-options.js';
import { isEspeakAvailable } from './espeak-voice.js';

/** {@link EmulatorOptions} with defaults applied, as the route handlers use them. */
export interface ResolvedEmulatorSettings {
  uploadLimitBytes: number;
  jsonLimitBytes: number;
  speechChunkMs: number;
  speechPaceMs: number;
  voiceEngine: EmulatorVoiceEngine;
  espeakPath: string | undefined;
  ffmpegPath: string | undefined;
  recognizerCommand: readonly string[] | undefined;
  rateLimitPerMinute: number;
  speechDetector: 'vad' | 'energy' | 'none';
  maxLoggedRequests: number;
  /** Resolves whether espeak-ng can be used (false when `voiceEngine` is `builtin`). */
  espeakAvailable(): Promise<boolean>;
}

/** Applies defaults and checks ranges. @throws RangeError on a nonsensical option. */
export function resolveEmulatorSettings(options: EmulatorOptions): ResolvedEmulatorSettings {
  const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v < min) throw new RangeError(`startEmulator: ${name} must be a number >= ${min} (got ${String(value)})`);
    return v;
  };
  const voiceEngine = options.voiceEngine ?? 'auto';
  const espeakPath = options.espeakPath;
  return {
    uploadLimitBytes: positive('uploadLimitBytes', options.uploadLimitBytes, 26_214_400),
    jsonLimitBytes: positive('jsonLimitBytes', options.jsonLimitBytes, 1024 * 1024),
    speechChunkMs: positive('speechChunkMs', options.speechChunkMs, 100, 5),
    speechPaceMs: positive('speechPaceMs', options.speechPaceMs, 0, 0),
    voiceEngine,
    espeakPath,
    ffmpegPath: options.ffmpegPath,
    recognizerCommand: options.recognizerCommand && options.recognizerCommand.length > 0 ? options.recognizerCommand : undefined,
    rateLimitPerMinute: positive('rateLimitPerMinute', options.rateLimitPerMinute, 1_000_000),
    speechDetector: options.speechDetector ?? 'vad',
    maxLoggedRequests: positive('maxLoggedRequests', options.maxLoggedRequests, 10_000, 0),
    espeakAvailable: () => (voiceEngine === 'builtin' ? Promise.resolve(false) : isEspeakAvailable(espeakPath)),
  };
}
