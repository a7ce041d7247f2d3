// Moved to src/core/ring-buffer/; this re-export keeps src/index.ts building until its import is updated.
export { RingBuffer, type RingBufferOptions, type OverflowPolicy } from './ring-buffer/ring-buffer.js';
