import { Readable, type Duplex } from 'node:stream';
import { InputError, abortError } from '../core/errors.js';

/**
 * The error for an input that closed without ending or erroring (a Readable destroyed without an
 * error): without it the chain would wait for an 'end' that never comes.
 */
export function prematureCloseError(what: string): InputError {
  return new InputError(
    `${what}: the input stream was closed before it ended (destroyed without an error), so the audio is incomplete. End it with end() / push(null) instead.`,
    'TLA_ERR_INPUT_PREMATURE_CLOSE',
  );
}

/**
 * The engine behind `decode()` and `encode()`: a Readable that drives a source through a chain of
 * Duplex stages (parsers, codecs, resamplers, ffmpeg processes) and pushes what the last stage emits.
 *
 * - Backpressure is applied at the producer (the source, or the first stage when there is no source):
 *   it is paused while this stream's buffer is full or any stage's writable side needs a drain. Stages
 *   themselves are never paused, so nothing they have produced is ever stranded in their buffers.
 * - A failure anywhere is delivered after every byte produced before it: the error is held until the
 *   reader has taken what is buffered, then this stream is destroyed with it.
 * - On error, `destroy()` and abort, every stage and the source are destroyed, and `'close'` is only
 *   emitted once each stage has closed (an ffmpeg stage closes after its child exited).
 * - A source that closes without ending (destroyed without an error) fails the chain with an
 *   InputError (`TLA_ERR_INPUT_PREMATURE_CLOSE`) rather than leaving it waiting.
 */
export abstract class ChainReadable extends Readable {
  #source: Readable | null = null;
  #stages: Duplex[] = [];
  #wired = false;
  #wantMore = true;
  #pendingError: Error | null = null;
  #errorScheduled = false;
  #ended = false;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  readonly #cleanups: (() => void)[] = [];
  /** Largest piece written to the first stage per event-loop turn (Infinity: whole chunks). */
  #sliceBytes: number;
  #feedChunk: Buffer | null = null;
  #feedOffset = 0;
  #feedImmediate: NodeJS.Immediate | null = null;
  #sourceDone = false;
  #firstStage: Duplex | null = null;
  #deliveredBytes = 0;
  readonly #what: string;

  protected constructor(options: { highWaterMark?: number; signal?: AbortSignal | undefined; what: string }) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024 });
    this.#what = options.what;
    this.#sliceBytes = Infinity;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) {
        process.nextTick(() => this.destroy(abortError(signal, options.what)));
      } else {
        this.#signal = signal;
        this.#onAbort = () => this.destroy(abortError(signal, options.what));
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
  }

  /** Process ids of the child processes (ffmpeg) in the chain, for diagnostics and tests. */
  get childPids(): readonly number[] {
    return this.#stages.map((s) => (s as { pid?: unknown }).pid).filter((pid): pid is number => typeof pid === 'number');
  }

  /**
   * Bounds the work done per event-loop turn: input chunks are handed to the first stage in pieces of
   * at most `byteLength`, one piece per turn. For CPU-heavy decoders (Opus), so a 64 KB chunk (seconds
   * of audio) neither blocks the loop nor holds back the first PCM until all of it is decoded.
   */
  protected setFeedSlice(byteLength: number): void {
    this.#sliceBytes = byteLength;
  }

  /** Bytes the last stage has produced so far (all pushed to this stream). */
  protected get deliveredBytes(): number {
    return this.#deliveredBytes;
  }

  /** The stages currently wired (for diagnostics). */
  protected get stages(): readonly Duplex[] {
    return this.#stages;
  }

  /**
   * Wires `source` (optional) → `stages` → this stream and starts the flow. `head` chunks, already read
   * from the source (sniffing), are written to the first stage before the rest of the source;
   * `sourceEnded` says the source already ended while they were read (then `head` is all there is).
   */
  protected wire(source: Readable | null, stages: Duplex[], head: readonly Buffer[] = [], sourceEnded = false): void {
    if (this.destroyed) {
      source?.destroy();
      for (const s of stages) s.destroy();
      return;
    }
    this.#source = source;
    this.#stages = stages;
    this.#wired = true;
    const first = stages[0];
    const on = (emitter: NodeJS.EventEmitter, event: string, listener: (...args: any[]) => void): void => {
      emitter.on(event, listener);
      this.#cleanups.push(() => emitter.off(event, listener));
    };

    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i]!;
      const next = stages[i + 1];
      // Error listeners stay for the stage's life: a stage torn down later must not raise an uncaught error.
      stage.on('error', (err: Error) => this.fail(err));
      if (stage.writable) on(stage, 'drain', () => this.#maybeResume());
      if (next) {
        on(stage, 'data', (chunk: Buffer) => {
          if (!next.write(chunk)) this.#pauseProducer();
        });
        on(stage, 'end', () => next.end());
      } else {
        on(stage, 'data', (chunk: Buffer) => this.#deliver(chunk));
        on(stage, 'end', () => this.#finish());
      }
    }

    this.#firstStage = first ?? null;
    if (source && sourceEnded) {
      if (first) {
        this.#sourceDone = true;
        for (const chunk of head) this.#feed(chunk);
        if (this.#feedChunk === null) first.end();
      } else {
        for (const chunk of head) this.#deliver(chunk);
        this.#finish();
      }
    } else if (source) {
      source.on('error', (err: Error) => this.fail(err));
      // 'close' follows 'end' or 'error' (handled there); on its own it means the source was destroyed.
      on(source, 'close', () => {
        if (!source.readableEnded) this.fail(prematureCloseError(this.#what));
      });
      if (first) {
        for (const chunk of head) this.#feed(chunk);
        on(source, 'data', (chunk: Buffer) => this.#feed(chunk));
        on(source, 'end', () => {
          this.#sourceDone = true;
          if (this.#feedChunk === null) first.end();
        });
      } else {
        for (const chunk of head) this.#deliver(chunk);
        on(source, 'data', (chunk: Buffer) => this.#deliver(chunk));
        on(source, 'end', () => this.#finish());
      }
      if (this.#feedChunk === null) source.resume();
    }
    for (const stage of stages) stage.resume();
    if (!this.#wantMore) this.#pauseProducer();
  }

  /** Writes a source chunk to the first stage, whole or (with a feed slice) a piece per turn. */
  #feed(chunk: Buffer): void {
    const first = this.#firstStage!;
    if (chunk.length <= this.#sliceBytes && this.#feedChunk === null) {
      if (!first.write(chunk)) this.#pauseProducer();
      return;
    }
    if (this.#feedChunk !== null) {
      // Only the head (several chunks at once) arrives while a chunk is being fed; the source is paused.
      this.#feedChunk = Buffer.concat([this.#feedChunk.subarray(this.#feedOffset), chunk]);
      this.#feedOffset = 0;
      return;
    }
    this.#feedChunk = chunk;
    this.#feedOffset = 0;
    this.#source?.pause();
    this.#feedImmediate ??= setImmediate(this.#pump);
  }

  readonly #pump = (): void => {
    this.#feedImmediate = null;
    const chunk = this.#feedChunk;
    const first = this.#firstStage;
    if (chunk === null || first === null || this.#pendingError || this.destroyed) return;
    const end = Math.min(chunk.length, this.#feedOffset + this.#sliceBytes);
    const ok = first.write(chunk.subarray(this.#feedOffset, end));
    this.#feedOffset = end;
    if (end >= chunk.length) {
      this.#feedChunk = null;
      if (this.#sourceDone) first.end();
      else this.#maybeResume();
      return;
    }
    // Next piece on the next turn, or once the stage drained.
    if (ok && this.#wantMore) this.#feedImmediate = setImmediate(this.#pump);
  };

  #deliver(chunk: Buffer): void {
    if (this.#pendingError || this.destroyed) return;
    this.#deliveredBytes += chunk.length;
    if (!this.push(chunk)) {
      this.#wantMore = false;
      this.#pauseProducer();
    }
  }

  #finish(): void {
    if (this.#pendingError || this.destroyed || this.#ended) return;
    const failure = this.onBeforeEnd();
    if (failure) {
      this.fail(failure);
      return;
    }
    this.#ended = true;
    this.#release();
    this.push(null);
  }

  /**
   * Hook for subclasses: called once every stage ended and all output was pushed. Returning an error
   * fails the stream with it (after the reader took all output) instead of ending it: the way to report
   * a fault noticed at the very end (a truncated file) without a stage erroring over its own buffered output.
   */
  protected onBeforeEnd(): Error | undefined {
    return undefined;
  }

  #producer(): Readable | Duplex | null {
    return this.#source ?? this.#stages[0] ?? null;
  }

  #pauseProducer(): void {
    this.#producer()?.pause();
  }

  #maybeResume(): void {
    if (!this.#wired || !this.#wantMore || this.#pendingError || this.destroyed) return;
    for (const stage of this.#stages) if (stage.writable && stage.writableNeedDrain) return;
    if (this.#feedChunk !== null) {
      this.#feedImmediate ??= setImmediate(this.#pump);
      return;
    }
    this.#producer()?.resume();
  }

  override _read(): void {
    this.#wantMore = true;
    this.#maybeResume();
  }

  override read(size?: number): any {
    const chunk = super.read(size);
    if (this.#pendingError && this.readableLength === 0) this.#scheduleError();
    return chunk;
  }

  /**
   * Stops the chain and ends this stream with `err` once everything produced before it has been read.
   * Later failures are ignored (the first one is the cause).
   */
  protected fail(err: Error): void {
    if (this.#pendingError || this.destroyed || this.#ended) return;
    this.#pendingError = err;
    this.#release();
    this.#source?.destroy();
    for (const stage of this.#stages) stage.destroy();
    if (this.readableLength === 0) this.#scheduleError();
  }

  #scheduleError(): void {
    if (this.#errorScheduled) return;
    this.#errorScheduled = true;
    process.nextTick(() => this.destroy(this.#pendingError ?? undefined));
  }

  #release(): void {
    if (this.#feedImmediate !== null) clearImmediate(this.#feedImmediate);
    this.#feedImmediate = null;
    this.#feedChunk = null;
    for (const off of this.#cleanups.splice(0)) off();
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#release();
    this.#source?.destroy();
    const open = this.#stages.filter((s) => !s.closed);
    for (const stage of this.#stages) stage.destroy();
    this.onDestroy(error);
    if (open.length === 0) {
      callback(error);
      return;
    }
    let left = open.length;
    for (const stage of open) {
      stage.once('close', () => {
        if (--left === 0) callback(error);
      });
    }
  }

  /** Hook for subclasses: release what they own beyond the chain. */
  protected onDestroy(_error: Error | null): void {}
}
