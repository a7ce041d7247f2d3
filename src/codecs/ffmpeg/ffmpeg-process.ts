import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex, type DuplexOptions } from 'node:stream';
import { InputError, abortError } from '../../core/errors.js';
import { FfmpegError, FfmpegNotFoundError } from './ffmpeg-errors.js';
import { resolveFfmpeg, type ResolvedFfmpeg } from './ffmpeg-resolve.js';

/** Options of {@link FfmpegProcess}. */
export interface FfmpegProcessOptions {
  /** Arguments without the binary, e.g. from `ffmpegArgs().….build()`. */
  args: readonly string[];
  /** Explicit ffmpeg executable; otherwise {@link resolveFfmpeg}'s order applies. */
  ffmpegPath?: string | undefined;
  /** Aborting destroys the stream (and kills the child) with an `AbortError`. */
  signal?: AbortSignal | undefined;
  /** Time between SIGTERM and SIGKILL when we stop the child, in ms. Default 2000. */
  killGraceMs?: number | undefined;
  /** How many bytes of stderr to keep for errors. Default 8192. */
  stderrTailBytes?: number | undefined;
  /**
   * `'pipe'` (default): the writable side feeds ffmpeg's stdin (`-i pipe:0`). `'none'`: ffmpeg reads
   * a file or device; stdin is closed and the writable side is ended from the start.
   */
  stdin?: 'pipe' | 'none' | undefined;
  /**
   * `'pipe'` (default): ffmpeg's stdout (`pipe:1`) is the readable side. `'none'`: ffmpeg writes a
   * file or device; the readable side ends at once, and `'finish'` waits until ffmpeg has exited cleanly.
   */
  stdout?: 'pipe' | 'none' | undefined;
  /**
   * What an exit with code 0 means when ffmpeg printed something on stderr. `'ignore'` (default):
   * success. `'fail'`: failure (`FfmpegError`, code `TLA_ERR_FFMPEG_ERROR_OUTPUT`) after all output
   * was delivered. At the default `-loglevel error` ffmpeg prints only errors, and it exits 0 after
   * skipping damaged or missing data (a truncated MP3, an MP4 it could not index from a pipe), so a
   * decoder that must not call a partial result success sets `'fail'`.
   */
  errorOutput?: 'ignore' | 'fail' | undefined;
  /** Options forwarded to the Duplex (e.g. `highWaterMark`). */
  highWaterMark?: number | undefined;
}

const EXPECTED_PIPE_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'EOF', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

// Children still running, killed if the parent process exits first so none is orphaned.
const liveChildren = new Set<ChildProcess>();
function killLiveChildrenOnExit(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
function track(child: ChildProcess): void {
  if (liveChildren.size === 0) process.on('exit', killLiveChildrenOnExit);
  liveChildren.add(child);
}
function untrack(child: ChildProcess): void {
  if (liveChildren.delete(child) && liveChildren.size === 0) process.removeListener('exit', killLiveChildrenOnExit);
}

/**
 * A Duplex over one ffmpeg child process: bytes written go to its stdin, its stdout is the readable
 * side. Backpressure holds both ways (a full stdin pipe delays our write callback; a full readable
 * buffer pauses stdout, which blocks ffmpeg).
 *
 * Guarantees:
 * - stdin `EPIPE` after ffmpeg has exited is not an error; further writes are discarded (counted in
 *   {@link discardedBytes}).
 * - A non-zero exit or an unexpected signal becomes an {@link FfmpegError} with the exit code and the
 *   stderr tail; everything ffmpeg wrote before that is delivered first.
 * - On end, error, `destroy()` or abort, stdin is closed, then SIGTERM, then SIGKILL after
 *   `killGraceMs`; `'close'` is emitted only after the child has exited, so no child outlives its stream.
 *
 * @throws FfmpegNotFoundError (synchronously) when no ffmpeg can be resolved.
 * @throws InputError when the options are unusable.
 */
export class FfmpegProcess extends Duplex {
  /** The child's pid (undefined when it could not be spawned). */
  readonly pid: number | undefined;
  /** The binary that runs, and which resolution rule chose it. */
  readonly ffmpeg: ResolvedFfmpeg;
  /** The arguments ffmpeg runs with. */
  readonly args: readonly string[];

  // Undefined only when the signal was already aborted: then no process is started at all.
  readonly #child: ChildProcess | undefined;
  readonly #killGraceMs: number;
  readonly #stderrTailBytes: number;
  readonly #pipedOut: boolean;
  readonly #failOnErrorOutput: boolean;
  #stderr: Buffer = Buffer.alloc(0);
  #exited = false;
  #closed = false;
  #exitCode: number | null = null;
  #exitSignal: NodeJS.Signals | null = null;
  #stopping = false;
  #killTimer: NodeJS.Timeout | undefined;
  #pendingWrite: ((err?: Error | null) => void) | undefined;
  #pendingFinal: ((err?: Error | null) => void) | undefined;
  #exitWaiters: (() => void)[] = [];
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #discardedBytes = 0;
  // A failed exit noticed while output is still buffered: raised once the reader has taken it all.
  #heldFailure: FfmpegError | null = null;

  constructor(options: FfmpegProcessOptions) {
    const pipedIn = (options.stdin ?? 'pipe') === 'pipe';
    const pipedOut = (options.stdout ?? 'pipe') === 'pipe';
    super({
      readable: pipedOut,
      // Without piped output, the writable side is what reports completion ('finish' after a clean exit).
      writable: pipedIn || !pipedOut,
      // Once ffmpeg has exited there is nothing left to write to.
      allowHalfOpen: false,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    } as DuplexOptions);
    if (!Array.isArray(options.args) || options.args.some((a) => typeof a !== 'string')) {
      throw new InputError('FfmpegProcess: `args` must be an array of strings.');
    }
    const killGraceMs = options.killGraceMs ?? 2000;
    if (!Number.isFinite(killGraceMs) || killGraceMs < 0) throw new InputError('FfmpegProcess: `killGraceMs` must be >= 0 ms.');
    const tail = options.stderrTailBytes ?? 8192;
    if (!Number.isInteger(tail) || tail < 0) throw new InputError('FfmpegProcess: `stderrTailBytes` must be a whole number >= 0.');
    this.#killGraceMs = killGraceMs;
    this.#stderrTailBytes = tail;
    this.#pipedOut = pipedOut;
    this.#failOnErrorOutput = options.errorOutput === 'fail';
    this.args = Object.freeze([...options.args]);
    this.ffmpeg = resolveFfmpeg({ ffmpegPath: options.ffmpegPath });

    const signal = options.signal;
    if (signal?.aborted) {
      this.#child = undefined;
      this.pid = undefined;
      this.#exited = true;
      this.#closed = true;
      this.destroy(abortError(signal, 'The ffmpeg process'));
      return;
    }

    const child = spawn(this.ffmpeg.path, this.args, {
      stdio: [pipedIn ? 'pipe' : 'ignore', pipedOut ? 'pipe' : 'ignore', 'pipe'],
      windowsHide: true,
    });
    this.#child = child;
    this.pid = child.pid;
    if (child.pid !== undefined) track(child);

    child.on('error', (err: NodeJS.ErrnoException) => this.#onSpawnError(err));
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    child.on('close', () => this.#onClose());

    child.stdin?.on('error', (err: NodeJS.ErrnoException) => {
      // ffmpeg stopping reading (it exited, or finished with -t) is not our failure; the exit code tells.
      if (!EXPECTED_PIPE_ERRORS.has(err.code ?? '')) this.destroy(err);
      this.#releaseWrite();
    });
    child.stdin?.on('close', () => this.#releaseWrite());

    const stdout = child.stdout;
    if (stdout) {
      stdout.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) stdout.pause();
      });
      stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (!EXPECTED_PIPE_ERRORS.has(err.code ?? '')) this.destroy(err);
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => this.#keepStderr(chunk));
    child.stderr?.on('error', () => {});

    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.destroy(abortError(signal, 'The ffmpeg process'));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Exit code once the child has exited (null while running or when killed by a signal). */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** True once the child process has exited (its pid is no longer ours). */
  get exited(): boolean {
    return this.#exited;
  }

  /** The last `stderrTailBytes` of ffmpeg's stderr, as text. */
  get stderrTail(): string {
    return this.#stderr.toString('utf8');
  }

  /** Bytes written after ffmpeg stopped reading stdin, dropped instead of raising EPIPE. */
  get discardedBytes(): number {
    return this.#discardedBytes;
  }

  #keepStderr(chunk: Buffer): void {
    if (this.#stderrTailBytes === 0) return;
    // stderr is small and rare (loglevel error), so a bounded concat is fine here.
    const joined = this.#stderr.length === 0 ? chunk : Buffer.concat([this.#stderr, chunk]);
    this.#stderr = joined.length > this.#stderrTailBytes ? Buffer.from(joined.subarray(joined.length - this.#stderrTailBytes)) : joined;
  }

  #releaseWrite(): void {
    const cb = this.#pendingWrite;
    this.#pendingWrite = undefined;
    cb?.();
  }

  #makeError(message: string): FfmpegError {
    return new FfmpegError(message, {
      exitCode: this.#exitCode,
      signal: this.#exitSignal,
      stderrTail: this.stderrTail,
      args: this.args,
    });
  }

  #onSpawnError(err: NodeJS.ErrnoException): void {
    if (this.#exited) return;
    // 'error' without a pid means the spawn itself failed; there is no child to wait for.
    if (this.#child?.pid === undefined || err.code === 'ENOENT' || err.code === 'EACCES') {
      this.#markExited(null, null);
      const wrapped =
        err.code === 'ENOENT' || err.code === 'EACCES'
          ? new FfmpegNotFoundError([{ source: this.ffmpeg.source, path: this.ffmpeg.path, reason: `could not be started (${err.code})` }], { cause: err })
          : new FfmpegError(`ffmpeg at ${this.ffmpeg.path} could not be started: ${err.message}`, {
              exitCode: null, signal: null, stderrTail: '', args: this.args,
            }, { cause: err });
      this.destroy(wrapped);
      return;
    }
    this.destroy(err);
  }

  #markExited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#exitCode = code;
    this.#exitSignal = signal;
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#killTimer = undefined;
    if (this.#child) untrack(this.#child);
    this.#releaseWrite();
    const waiters = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const w of waiters) w();
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#markExited(code, signal);
  }

  // 'close' comes after 'exit' and after stdout and stderr have ended, so all output has been pushed.
  #onClose(): void {
    this.#closed = true;
    if (this.#stopping || this.destroyed) return;
    const failure = this.#exitFailure();
    const final = this.#pendingFinal;
    this.#pendingFinal = undefined;
    if (failure) {
      if (final) final(failure);
      // destroy() would drop what is still buffered; read() raises the failure once it is empty.
      else if (this.#pipedOut && this.readableLength > 0) this.#heldFailure = failure;
      else this.destroy(failure);
      return;
    }
    final?.();
    if (this.#pipedOut) this.push(null);
  }

  #exitFailure(): FfmpegError | null {
    const code = this.#exitCode;
    if (code === 0) {
      if (!this.#failOnErrorOutput || this.stderrTail.trim() === '') return null;
      return new FfmpegError(
        `ffmpeg exited with code 0 but reported errors, so its output is incomplete (ffmpeg ${this.args.join(' ')}).`,
        { exitCode: 0, signal: null, stderrTail: this.stderrTail, args: this.args },
        { code: 'TLA_ERR_FFMPEG_ERROR_OUTPUT' },
      );
    }
    return this.#makeError(
      code === null
        ? `ffmpeg was killed by ${this.#exitSignal ?? 'a signal'} (ffmpeg ${this.args.join(' ')}).`
        : `ffmpeg exited with code ${code} (ffmpeg ${this.args.join(' ')}).`,
    );
  }

  override read(size?: number): any {
    const chunk: unknown = super.read(size);
    const failure = this.#heldFailure;
    if (failure && this.readableLength === 0) {
      this.#heldFailure = null;
      process.nextTick(() => this.destroy(failure));
    }
    return chunk;
  }

  override _read(): void {
    this.#child?.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#exited || stdin.destroyed || stdin.writableEnded) {
      this.#discardedBytes += chunk.length;
      callback();
      return;
    }
    if (stdin.write(chunk)) {
      callback();
      return;
    }
    this.#pendingWrite = callback;
    stdin.once('drain', () => this.#releaseWrite());
  }

  override _final(callback: (err?: Error | null) => void): void {
    const stdin = this.#child?.stdin;
    if (stdin && !stdin.destroyed) stdin.end();
    if (this.#pipedOut) {
      callback();
      return;
    }
    // Writing to a file or device: 'finish' means ffmpeg is done and succeeded.
    if (this.#closed) callback(this.#exitFailure());
    else this.#pendingFinal = callback;
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#stopping = true;
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#signal = undefined;
    this.#onAbort = undefined;
    const child = this.#child;
    child?.stdin?.destroy();
    child?.stdout?.destroy();
    const finalCb = this.#pendingFinal;
    this.#pendingFinal = undefined;
    this.#releaseWrite();
    const done = (): void => {
      finalCb?.(err);
      callback(err);
    };
    if (this.#exited || child?.pid === undefined) {
      done();
      return;
    }
    this.#exitWaiters.push(done);
    try {
      child.kill('SIGTERM');
    } catch {
      // The child may exit between our check and the kill.
    }
    this.#killTimer = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }, this.#killGraceMs);
  }
}

/** Result of {@link runFfmpeg}. */
export interface FfmpegRunResult {
  readonly ffmpeg: ResolvedFfmpeg;
  /** The last bytes of stderr (warnings, when the log level lets them through). */
  readonly stderrTail: string;
}

/**
 * Runs ffmpeg to completion with no piped input or output (file to file, or a generator such as
 * `-f lavfi -i sine`). Resolves when it exits with 0.
 *
 * @throws FfmpegNotFoundError, FfmpegError (non-zero exit, with the stderr tail), AbortError.
 */
export function runFfmpeg(
  args: readonly string[],
  options: Omit<FfmpegProcessOptions, 'args' | 'stdin' | 'stdout'> = {},
): Promise<FfmpegRunResult> {
  return new Promise((resolve, reject) => {
    let proc: FfmpegProcess;
    try {
      proc = new FfmpegProcess({ ...options, args, stdin: 'none', stdout: 'none' });
    } catch (err) {
      reject(err);
      return;
    }
    proc.on('error', reject);
    proc.on('close', () => {
      if (proc.exited && proc.exitCode === 0) resolve({ ffmpeg: proc.ffmpeg, stderrTail: proc.stderrTail });
    });
    proc.end();
  });
}
