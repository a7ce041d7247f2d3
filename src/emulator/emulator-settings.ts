import type { EmulatorOptions, EmulatorVoiceEngine } from './emulator-options.js';
import { isEspeakAvailable } from './espeak-voice.js';
import type { RealtimeFault } from './realtime/realtime-fault.js';
import type { RealtimeResponder } from './realtime/realtime-responder.js';

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
  realtime: {
    responder: RealtimeResponder | undefined;
    firstAudioDelayMs: number;
    audioDeltaMs: number;
    paceFactor: number;
    maxSessionMs: number;
    tokensPerMinute: number;
    faults: readonly RealtimeFault[];
  };
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
    realtime: {
      responder: options.realtime?.responder,
      firstAudioDelayMs: positive('realtime.firstAudioDelayMs', options.realtime?.firstAudioDelayMs, 250, 0),
      audioDeltaMs: positive('realtime.audioDeltaMs', options.realtime?.audioDeltaMs, 100, 10),
      paceFactor: options.realtime?.paceFactor === Infinity ? Infinity : positive('realtime.paceFactor', options.realtime?.paceFactor, 1.5, 0.1),
      maxSessionMs: positive('realtime.maxSessionMs', options.realtime?.maxSessionMs, 30 * 60_000, 1),
      tokensPerMinute: positive('realtime.tokensPerMinute', options.realtime?.tokensPerMinute, 40_000_000, 1),
      faults: options.realtime?.faults ?? [],
    },
    espeakAvailable: () => (voiceEngine === 'builtin' ? Promise.resolve(false) : isEspeakAvailable(espeakPath)),
  };
}
