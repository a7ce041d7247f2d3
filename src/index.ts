// Public face of tokenlab-audio. One line per module; keep it sorted by layer (core, codecs, transports, api, streams, emulator).
export * from './core/errors.js';
export * from './core/pcm-format.js';
export * from './core/pcm-convert.js';
export type * from './core/vad/vad-engine.js';
