import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { InputError, abortError } from '../core/errors.js';
import { RingBuffer } from '../core/ring-buffer/ring-buffer.js';
import { bytesPerFrame, framesToMs, msToFrames, pcmFormat, type PcmFormat } from '../core/pcm/pcm-format.js';
import { FrameCarry } from '../core/pcm/frame-carry.js';
import { pacedClock, type PacedClockMember } from './paced-clock.js';

/** What a {@link PacedOutput} does when a frame is due and less than a full frame of audio is queued. */
export type UnderrunPolicy = 'silence' | 'pause';

/** Options of {@link PacedOutput}. */
export interface PacedOutputOptions {
  /** Layout of the PCM written in and of the frames emitted. */
  format: PcmFormat;
  /** Duration of each emitted frame in ms (default 20; 2.5..120). Rounded to whole sample frames. */
  frameMs?: number;
  /**
   * Audio to accumulate before the first frame is played, and again after every underrun, in ms
   * (default 100; 0..2000). Absorbs upstream jitter. Waived once the writable side has ended.
   */
  cushionMs?: number;
  /**
   * `'silence'` (default): the clock never stops while someone reads; frames of zeros fill every gap
   * (Discord's player must never go idle mid-sentence). `'pause'`: no frame is emitted until the
   * cushion is queued again.
   */
  underrun?: UnderrunPolicy;
  /**
   * Most audio held in the queue, in ms (default 3000, at least cushion + 2 frames). The capacity is
   * rounded up to a power of two bytes. A writer that gets ahead waits (backpressure: `write()`
   * returns false and its callback is held until the clock makes room).
   */
  maxQueuedMs?: number;
  /**
   * Most frames emitted in one timer turn when the clock has fallen behind (event loop stalled), default 10
   * (200 ms at 20 ms frames: a GC pause or a busy handler is made up for, so the output stays on schedule and a
   * device buffer that ran low is refilled).
   * Lateness beyond that is forgiven: the grid is re-anchored to now and the stall is counted in
   * {@link PacedOutput.clockResets}. Output is delayed, never dropped.
   */
  maxCatchUpFrames?: number;
  /** Aborting destroys the stream with an `AbortError`; queued audio is discarded. */
  signal?: AbortSignal;
}

interface PendingWrite {
  chunk: Buffer;
  offset: number;
  callback: (error?: Error | null) => void;
}

type PacedState = 'buffering' | 'playing';

/** Events of {@link PacedOutput} beyond those of a Duplex. */
export interface PacedOutput {
  on(event: 'underrun', listener: () => void): this;
  on(event: 'drained', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'underrun', listener: () => void): this;
  once(event: 'drained', listener: () => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * Real-time pacer: PCM in, in any amount; fixed frames out at real time, from one drift-corrected clock.
 *
 * **Clock.** Frame `n` is due at `t0 + n * frameDurationMs` on `performance.now()`; one timer shared
 * by every PacedOutput in the thread wakes at the earliest due time, and runs every stream due within
 * a millisecond of it (the deadline advances by a frame, it is not re-measured, so timer lateness never
 * accumulates into drift). If the loop stalled, at most `maxCatchUpFrames`
 * overdue frames go out at once; beyond that the grid is re-anchored to now (counted in `clockResets`).
 *
 * **Readable side.** Every frame is exactly {@link PacedOutput.frameBytes} bytes in {@link PacedOutput.format}.
 * When the reader stops reading (`push()` returns false) the clock stops too, and restarts from "now"
 * when it reads again: a slow consumer delays output, it is not a late clock. At most one frame waits
 * in the readable buffer (its high-water mark is one frame).
 *
 * **Writable side.** Any chunking; sample frames split across writes are reassembled. Backpressure
 * when the queue is full. `end()` plays out what is queued (the cushion is waived and the last partial
 * frame is padded with zeros), then the readable side ends; `'finish'` fires once all was emitted.
 *
 * **Counters (exact).** `playedMs` is the duration of written audio emitted so far: sample frames
 * pushed to the readable side that came from the writer (including zeros the writer wrote), never
 * the silence this stream inserted (`silenceMs`) nor audio dropped by {@link PacedOutput.clear}.
 * "Emitted" means handed to the reader; anything buffered further downstream is the reader's business.
 *
 * **Events.** `'underrun'`: a frame was due while playing, less than a full frame was queued and the
 * writable side had not ended (counted in `underruns`; then the stream buffers up to the cushion again).
 * `'drained'`: playback emptied the queue: everything written so far has been emitted.
 *
 * Timers and the abort listener are released on end, error, `destroy()` and abort.
 */
export class PacedOutput extends Duplex {
  /** Layout of the PCM in and out. */
  readonly format: PcmFormat;
  /** Sample frames (samples per channel) in one emitted frame. */
  readonly frameSamples: number;
  /** Bytes in one emitted frame. */
  readonly frameBytes: number;
  /** Exact duration of one emitted frame in ms (`frameSamples / sampleRate * 1000`). */
  readonly frameDurationMs: number;
  /** Cushion in bytes (whole sample frames); see {@link PacedOutput.setCushionMs}. */
  get cushionBytes(): number {
    return this.#cushionBytes;
  }
  readonly underrunPolicy: UnderrunPolicy;
  readonly maxCatchUpFrames: number;

  #cushionBytes: number;
  readonly #ring: RingBuffer;
  readonly #sampleFrameBytes: number;
  /** Bytes of a sample frame split across writes. */
  readonly #carry: FrameCarry;
  #pending: PendingWrite | null = null;
  /** Bytes written before a clear() that are still to arrive in _write and must be dropped. */
  #discardBytes = 0;

  #state: PacedState = 'buffering';
  /** This stream on the thread's shared clock (one timer for all paced outputs): its next due time and tick. */
  readonly #member: PacedClockMember = { dueMs: 0, tick: (nowMs) => this.#tick(nowMs) };
  #nextTimeMs = 0;
  /** Frames are copied out of the ring into slices of a slab (see #takeFrameBuffer). */
  #slab: Buffer | null = null;
  #slabOffset = 0;
  #clockRunning = false;
  #readerWaiting = false;
  #finalCallback: ((error?: Error | null) => void) | null = null;
  #writableDone = false;
  #finished = false;
  #playedSinceDrain = false;

  #playedFrames = 0;
  #silenceFrames = 0;
  #underruns = 0;
  #clockResets = 0;
  #clearedFrames = 0;

  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;

  /** @throws InputError for an unusable option; FormatError for a bad `format`. */
  constructor(options: PacedOutputOptions) {
    const format = pcmFormat(options?.format);
    const frameMs = options.frameMs ?? 20;
    checkRange('frameMs', frameMs, 2.5, 120);
    const frameSamples = Math.max(1, msToFrames(format, frameMs));
    const sampleFrameBytes = bytesPerFrame(format);
    const frameBytes = frameSamples * sampleFrameBytes;
    super({ readableHighWaterMark: frameBytes, writableHighWaterMark: Math.max(16 * 1024, frameBytes), decodeStrings: true });

    const cushionMs = options.cushionMs ?? 100;
    checkRange('cushionMs', cushionMs, 0, 2000);
    const underrun = options.underrun ?? 'silence';
    if (underrun !== 'silence' && underrun !== 'pause') {
      throw new InputError(`PacedOutput: underrun must be 'silence' or 'pause', got ${JSON.stringify(underrun)}.`);
    }
    const maxCatchUpFrames = options.maxCatchUpFrames ?? 10;
    if (!Number.isInteger(maxCatchUpFrames) || maxCatchUpFrames < 1 || maxCatchUpFrames > 1000) {
      throw new InputError(`PacedOutput: maxCatchUpFrames must be a whole number from 1 to 1000, got ${String(maxCatchUpFrames)}.`);
    }
    const maxQueuedMs = options.maxQueuedMs ?? 3000;
    checkRange('maxQueuedMs', maxQueuedMs, 1, 600_000);

    this.format = format;
    this.frameSamples = frameSamples;
    this.frameBytes = frameBytes;
    this.frameDurationMs = framesToMs(format, frameSamples);
    this.#cushionBytes = msToFrames(format, cushionMs) * sampleFrameBytes;
    this.underrunPolicy = underrun;
    this.maxCatchUpFrames = maxCatchUpFrames;
    this.#sampleFrameBytes = sampleFrameBytes;
    this.#carry = new FrameCarry(sampleFrameBytes);

    const wantBytes = Math.max(msToFrames(format, maxQueuedMs) * sampleFrameBytes, this.#cushionBytes + 2 * frameBytes);
    let capacity = 1;
    while (capacity < wantBytes) capacity *= 2;
    this.#ring = new RingBuffer({ capacity, frameBytes: sampleFrameBytes, overflow: 'reject' });

    const signal = options.signal;
    if (signal) {
      if (signal.aborted) {
        this.#signal = undefined;
        this.#onAbort = undefined;
        this.destroy(abortError(signal, 'PacedOutput'));
        return;
      }
      this.#signal = signal;
      this.#onAbort = () => this.destroy(abortError(signal, 'PacedOutput'));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Duration of written audio emitted so far, in ms (exact: sample frames / sampleRate). */
  get playedMs(): number {
    return framesToMs(this.format, this.#playedFrames);
  }
  /** Sample frames of written audio emitted so far (the integer behind {@link playedMs}). */
  get playedFrames(): number {
    return this.#playedFrames;
  }
  /** Silence this stream inserted (cushion, underruns, padding of a last partial frame), in ms. */
  get silenceMs(): number {
    return framesToMs(this.format, this.#silenceFrames);
  }
  /** Underruns so far (see the class documentation). */
  get underruns(): number {
    return this.#underruns;
  }
  /** Times the clock fell more than `maxCatchUpFrames` behind and was re-anchored. */
  get clockResets(): number {
    return this.#clockResets;
  }
  /** Audio dropped by {@link clear} so far, in ms. */
  get clearedMs(): number {
    return framesToMs(this.format, this.#clearedFrames);
  }
  /** Audio written and not yet emitted (queue, plus a write waiting for room), in ms. */
  get queuedMs(): number {
    return framesToMs(this.format, Math.floor(this.#queuedBytes() / this.#sampleFrameBytes));
  }
  /** `'buffering'` (waiting for the cushion) or `'playing'`. */
  get state(): PacedState {
    return this.#state;
  }

  /**
   * Changes the cushion while running (0..2000 ms; more than the queue can hold means "a full queue"), for
   * callers that size it from how the source actually arrives. Takes effect at the next check: a
   * stream that is buffering starts as soon as the new cushion is queued.
   * @throws InputError for a value out of range.
   */
  setCushionMs(cushionMs: number): void {
    checkRange('cushionMs', cushionMs, 0, 2000);
    this.#cushionBytes = msToFrames(this.format, cushionMs) * this.#sampleFrameBytes;
    if (!this.destroyed) this.#afterQueueGrew();
  }

  /**
   * Drops everything queued at once (the queue, a write waiting for room, and writes issued before this
   * call that have not reached the queue yet) and returns how many ms that was. Frames already emitted
   * are not recalled. Playback resumes after the cushion once new audio is written.
   */
  clear(): number {
    if (this.destroyed) return 0;
    const pending = this.#pending;
    // writableLength still counts the chunk being processed; the rest was written before this call.
    this.#discardBytes += this.writableLength - (pending ? pending.chunk.length : 0);
    const droppedFrames = Math.floor(this.#queuedBytes() / this.#sampleFrameBytes);
    this.#ring.clear();
    this.#carry.clear();
    this.#clearedFrames += droppedFrames;
    this.#pending = null;
    if (!this.#writableDone) this.#state = 'buffering';
    if (this.underrunPolicy === 'pause') this.#stopClock();
    pending?.callback();
    if (this.#writableDone) this.#maybeFinish();
    return framesToMs(this.format, droppedFrames);
  }

  #queuedBytes(): number {
    const pending = this.#pending;
    return this.#ring.availableRead + this.#carry.byteLength + (pending ? pending.chunk.length - pending.offset : 0) + this.#discardBytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let offset = 0;
    if (this.#discardBytes > 0) {
      const n = Math.min(this.#discardBytes, chunk.length);
      this.#discardBytes -= n;
      offset = n;
    }
    if (offset >= chunk.length) {
      callback();
      return;
    }
    this.#pending = { chunk, offset, callback };
    this.#pump();
    this.#afterQueueGrew();
  }

  /** Moves the waiting write into the ring as far as room allows; calls its callback once all is in. */
  #pump(): void {
    const pending = this.#pending;
    if (!pending) return;
    const { chunk } = pending;
    const carry = this.#carry;
    // Complete a sample frame split across writes.
    if (!carry.isEmpty) {
      if (this.#ring.availableWrite < carry.frameBytes) return;
      pending.offset += carry.fill(chunk, pending.offset, chunk.length);
      if (carry.isFull) {
        this.#ring.write(carry.frame, 0, carry.frameBytes);
        carry.clear();
      }
    }
    const whole = carry.wholeBytes(chunk.length - pending.offset);
    const n = Math.min(whole, carry.wholeBytes(this.#ring.availableWrite));
    if (n > 0) {
      this.#ring.write(chunk, pending.offset, n);
      pending.offset += n;
    }
    // The tail of a write that is less than a frame waits in the carry; one that waits for room stays pending.
    if (n === whole && carry.isEmpty) {
      carry.hold(chunk, pending.offset, chunk.length);
      pending.offset = chunk.length;
    }
    if (pending.offset >= chunk.length) {
      this.#pending = null;
      pending.callback();
    }
  }

  #afterQueueGrew(): void {
    if (this.#state === 'buffering' && this.#cushionReached()) {
      this.#state = 'playing';
      if (this.underrunPolicy === 'pause' && this.#readerWaiting) this.#startClock();
    }
  }

  #cushionReached(): boolean {
    const queued = this.#ring.availableRead;
    if (this.#writableDone) return queued > 0;
    return queued >= Math.max(this.#cushionBytes, this.#sampleFrameBytes) || queued >= this.#ring.usableCapacity - this.frameBytes;
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#writableDone = true;
    this.#finalCallback = callback;
    this.#afterQueueGrew();
    if (this.#readerWaiting && !this.#clockRunning) this.#startClock();
    this.#maybeFinish();
  }

  override _read(): void {
    this.#readerWaiting = true;
    if (this.#finished || this.#clockRunning) return;
    if (this.underrunPolicy === 'silence' || this.#state === 'playing' || this.#writableDone) this.#startClock();
  }

  #startClock(): void {
    if (this.#clockRunning || this.destroyed || this.#finished) return;
    this.#clockRunning = true;
    this.#nextTimeMs = this.#member.dueMs = performance.now();
    // First frame on a later timer turn: _read and _write never push synchronously.
    pacedClock.add(this.#member);
  }

  #stopClock(): void {
    this.#clockRunning = false;
    pacedClock.delete(this.#member);
  }

  /** Emits the frames due by `now` (the shared clock's time), at most maxCatchUpFrames. */
  #tick(now: number): void {
    if (!this.#clockRunning || this.destroyed) return this.#stopClock();
    let emitted = 0;
    while (this.#clockRunning && this.#nextTimeMs <= now && emitted < this.maxCatchUpFrames) {
      this.#nextTimeMs += this.frameDurationMs;
      emitted++;
      if (!this.#emitFrame()) break;
    }
    if (!this.#clockRunning || this.destroyed) return;
    if (this.#nextTimeMs <= now) {
      // Still behind after a bounded burst: forgive the rest rather than flood the reader.
      this.#clockResets++;
      this.#nextTimeMs = now + this.frameDurationMs;
    }
    this.#member.dueMs = this.#nextTimeMs;
  }

  /** Emits one frame (or stops the clock). Returns false when the clock must not emit more this turn. */
  #emitFrame(): boolean {
    if (this.#state === 'buffering' && this.#cushionReached()) this.#state = 'playing';
    if (this.#state === 'buffering') {
      if (this.#writableDone) return this.#maybeFinish(), false;
      if (this.underrunPolicy === 'pause') {
        this.#stopClock();
        return false;
      }
      return this.#pushFrame(this.#silenceFrame(), 0);
    }

    const queued = this.#ring.availableRead;
    if (queued >= this.frameBytes) {
      const frame = this.#takeFrameBuffer();
      this.#ring.read(frame, 0, this.frameBytes);
      this.#pump();
      return this.#pushFrame(frame, this.frameSamples);
    }

    // Less than a frame queued while playing.
    if (this.#writableDone) {
      this.#pump();
      if (queued === 0) return this.#maybeFinish(), false;
      // The last partial frame, padded with zeros (a dangling incomplete sample frame is dropped).
      const frame = Buffer.alloc(this.frameBytes);
      const n = this.#ring.read(frame, 0, queued);
      this.#carry.clear();
      const ok = this.#pushFrame(frame, n / this.#sampleFrameBytes);
      this.#maybeFinish();
      return ok && !this.#finished;
    }

    this.#underruns++;
    this.#state = 'buffering';
    let ok = true;
    if (queued > 0) {
      // Play what is there now rather than hold a tail that may be the end of an utterance.
      const frame = Buffer.alloc(this.frameBytes);
      const n = this.#ring.read(frame, 0, queued);
      this.#pump();
      ok = this.#pushFrame(frame, n / this.#sampleFrameBytes);
    } else if (this.underrunPolicy === 'silence') {
      ok = this.#pushFrame(this.#silenceFrame(), 0);
    } else {
      this.#stopClock();
      ok = false;
    }
    this.emit('underrun');
    return ok;
  }

  /**
   * A frame-sized Buffer for the next full frame: the next slice of a slab of about 64 KiB, so that an
   * ArrayBuffer is made once per slab rather than once or twice per frame (Buffer.allocUnsafe's 8 KiB
   * pool holds two 20 ms frames of 48 kHz stereo). Slices are never reused: a reader may keep every
   * frame it was given. (A slab stays alive while any of its frames is referenced, as with Node's pool.)
   * Slabs are made zeroed (calloc: one memset per 64 KiB, or pages the OS zeroes), so an untouched slice is
   * already a silent frame: silence costs no fill of its own (a Buffer#fill per frame was 4.5 % of a
   * 200-session process whose pacers waited on a late server).
   */
  #takeFrameBuffer(): Buffer {
    const frameBytes = this.frameBytes;
    let slab = this.#slab;
    if (slab === null || this.#slabOffset + frameBytes > slab.length) {
      slab = this.#slab = Buffer.alloc(Math.max(1, Math.floor(SLAB_BYTES / frameBytes)) * frameBytes);
      this.#slabOffset = 0;
    }
    const frame = slab.subarray(this.#slabOffset, this.#slabOffset + frameBytes);
    this.#slabOffset += frameBytes;
    return frame;
  }

  #silenceFrame(): Buffer {
    return this.#takeFrameBuffer(); // zero: a slice of a zeroed slab that nothing has written
  }

  /** Pushes one frame carrying `audioFrames` written sample frames (the rest is inserted silence). */
  #pushFrame(frame: Buffer, audioFrames: number): boolean {
    this.#playedFrames += audioFrames;
    this.#silenceFrames += this.frameSamples - audioFrames;
    if (audioFrames > 0) this.#playedSinceDrain = true;
    const more = this.push(frame);
    if (audioFrames > 0 && this.#ring.availableRead === 0 && this.#pending === null && this.writableLength === 0 && this.#playedSinceDrain) {
      this.#playedSinceDrain = false;
      this.emit('drained');
    }
    if (!more) {
      this.#readerWaiting = false;
      this.#stopClock();
    }
    return more;
  }

  /** Ends the readable side once the writable side has ended and every byte was emitted. */
  #maybeFinish(): boolean {
    if (this.#finished || !this.#writableDone || this.destroyed) return this.#finished;
    if (this.#ring.availableRead > 0 || this.#pending !== null) return false;
    this.#finished = true;
    this.#carry.clear();
    this.#stopClock();
    this.#releaseSignal();
    this.push(null);
    const callback = this.#finalCallback;
    this.#finalCallback = null;
    callback?.();
    return true;
  }

  #releaseSignal(): void {
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stopClock();
    this.#releaseSignal();
    this.#ring.clear();
    this.#pending = null;
    this.#finalCallback = null;
    callback(error);
  }
}

/** Bytes of a slab of emitted frames (see PacedOutput#takeFrameBuffer). */
const SLAB_BYTES = 65_536;

function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InputError(`PacedOutput: ${name} must be a number from ${min} to ${max}, got ${String(value)}.`);
  }
}

