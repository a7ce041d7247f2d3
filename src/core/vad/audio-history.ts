/**
 * A sliding window over a PCM byte stream, addressed by absolute sample-frame index: the VAD streams keep
 * the pre-roll (and, for the chunker, the utterance in progress) here. Appends copy into one growing
 * buffer; frames before the keep mark are dropped lazily by moving the live part to the front, so steady
 * state allocates nothing. Capacity grows (doubling) only when the live part itself needs more room.
 */
export class AudioHistory {
  private buf: Buffer;
  private readonly bytesPerFrame: number;
  /** Absolute frame index of `buf[0]`. */
  private baseFrame = 0;
  private lengthFrames = 0;
  private keepFrom = 0;

  constructor(bytesPerFrame: number, initialFrames: number) {
    this.bytesPerFrame = bytesPerFrame;
    this.buf = Buffer.alloc(Math.max(1, initialFrames) * bytesPerFrame);
  }

  /** Absolute index one past the last frame appended. */
  get endFrame(): number {
    return this.baseFrame + this.lengthFrames;
  }

  /** First absolute frame still available. */
  get startFrame(): number {
    return Math.max(this.baseFrame, this.keepFrom);
  }

  /** Appends whole frames (`bytes.length` must be a multiple of the frame size). */
  append(bytes: Uint8Array): void {
    const frames = bytes.length / this.bytesPerFrame;
    const bpf = this.bytesPerFrame;
    if ((this.lengthFrames + frames) * bpf > this.buf.length) {
      // Drop what is no longer needed first; grow only if that is not enough.
      const drop = Math.min(this.lengthFrames, Math.max(0, this.keepFrom - this.baseFrame));
      if (drop > 0) {
        this.buf.copyWithin(0, drop * bpf, this.lengthFrames * bpf);
        this.baseFrame += drop;
        this.lengthFrames -= drop;
      }
      const need = (this.lengthFrames + frames) * bpf;
      if (need > this.buf.length) {
        let cap = this.buf.length * 2;
        while (cap < need) cap *= 2;
        const next = Buffer.alloc(cap);
        this.buf.copy(next, 0, 0, this.lengthFrames * bpf);
        this.buf = next;
      }
    }
    this.buf.set(bytes, this.lengthFrames * bpf);
    this.lengthFrames += frames;
  }

  /** Frames before `frame` may be dropped from now on. */
  keepAfter(frame: number): void {
    if (frame > this.keepFrom) this.keepFrom = Math.min(frame, this.endFrame);
  }

  /** A copy of frames `[from, to)` clamped to what is available (an empty Buffer when nothing is). */
  copy(from: number, to: number): Buffer {
    const a = Math.max(from, this.startFrame);
    const b = Math.min(to, this.endFrame);
    if (b <= a) return Buffer.alloc(0);
    const bpf = this.bytesPerFrame;
    const out = Buffer.allocUnsafe((b - a) * bpf);
    this.buf.copy(out, 0, (a - this.baseFrame) * bpf, (b - this.baseFrame) * bpf);
    return out;
  }

  /** Forgets everything; the next append is frame 0. */
  clear(): void {
    this.baseFrame = 0;
    this.lengthFrames = 0;
    this.keepFrom = 0;
  }
}
