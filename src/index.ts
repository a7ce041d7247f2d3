// Public face of tokenlab-audio. One line per module; keep it sorted by layer (core, codecs, transports, api, streams, emulator).
export * from './core/errors.js';
export * from './core/pcm-format.js';
export * from './core/pcm-convert.js';
export type * from './core/vad/vad-engine.js';
export * from './core/vad/silero-vad.js';
export * from './core/vad/silero-weights.js';
export * from './core/ring-buffer.js';
export * from './codecs/ffmpeg-errors.js';
export * from './codecs/ffmpeg-resolve.js';
export * from './codecs/ffmpeg-args.js';
export * from './codecs/ffmpeg-process.js';
export * from './codecs/g711.js';
export * from './codecs/wav-header.js';
export * from './codecs/wav-reader.js';
export * from './codecs/wav-writer.js';
export * from './core/resampler.js';
export * from './streams/resample-stream.js';
