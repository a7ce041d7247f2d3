/**
 * A frame classifier: one instance per audio stream (it keeps state between frames), weights shared
 * and immutable across instances.
 */
export interface VadEngine {
  /** Short stable name, e.g. `silero-v5`, `spectral`. */
  readonly name: string;
  /** Input sample rate in Hz the engine expects (mono float samples in [-1, 1]). */
  readonly sampleRate: number;
  /** Samples per frame passed to `process` (e.g. 512 at 16 kHz = 32 ms). */
  readonly frameSamples: number;
  /**
   * True for an engine that may only decide whether a heavier engine needs to run (a pre-gate, see
   * `createPreGatedVad`), not end turns itself: the VAD streams refuse it alone.
   */
  readonly preGateOnly?: boolean;
  /** Speech probability in [0, 1] for the next `frameSamples` samples. Must not allocate. */
  process(frame: Float32Array): number;
  /** Forgets all state, as for a new stream. */
  reset(): void;
}
