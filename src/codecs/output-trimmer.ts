/**
 * Drops a number of sample frames from the start of a decoded stream (codec delay, Opus pre-skip)
 * and stops at a total once the end is known (last granule position, discard padding), so a
 * decoder outputs exactly the samples the container says it holds.
 */
export class OutputTrimmer {
  readonly #frameBytes: number;
  #skipFrames: number;
  #endFrames = Infinity;
  #emittedFrames = 0;

  /**
   * @param frameBytes bytes per sample frame of the PCM given to {@link take}.
   * @param skipFrames frames to drop from the start.
   */
  constructor(frameBytes: number, skipFrames: number) {
    this.#frameBytes = frameBytes;
    this.#skipFrames = Math.max(0, skipFrames);
  }

  /** Frames passed through so far. */
  get emittedFrames(): number {
    return this.#emittedFrames;
  }

  /** Sets the total number of frames to output (after the start skip); later output is dropped. */
  setEnd(totalFrames: number): void {
    this.#endFrames = Math.max(0, totalFrames);
  }

  /** Limits the end relative to what has been output: at most `frames` more frames. */
  limitRemaining(frames: number): void {
    this.#endFrames = Math.min(this.#endFrames, this.#emittedFrames + Math.max(0, frames));
  }

  /** Returns the part of `pcm` to output (a view of it), or `null` when nothing is left of it. */
  take(pcm: Buffer): Buffer | null {
    let frames = Math.floor(pcm.length / this.#frameBytes);
    let start = 0;
    if (this.#skipFrames > 0) {
      const skip = Math.min(this.#skipFrames, frames);
      this.#skipFrames -= skip;
      start = skip;
      frames -= skip;
    }
    const room = this.#endFrames - this.#emittedFrames;
    if (frames > room) frames = Math.max(0, room);
    if (frames === 0) return null;
    this.#emittedFrames += frames;
    return pcm.subarray(start * this.#frameBytes, (start + frames) * this.#frameBytes);
  }
}
