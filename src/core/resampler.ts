// Moved to src/core/resampler/; this re-export keeps src/index.ts building until its import is updated.
export { Resampler, resample, type ResamplerOptions, type ResampleQuality } from './resampler/resampler.js';
