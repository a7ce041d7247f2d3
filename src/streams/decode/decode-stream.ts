import type { Readable } from 'node:stream';
import { FormatError, InputError, TokenLabAudioError } from '../../core/errors.js';
import type { PcmFormat } from '../../core/pcm/pcm-format.js';
import { FfmpegError, FfmpegNotFoundError } from '../../codecs/ffmpeg/ffmpeg-errors.js';
import { resolveFfmpeg } from '../../codecs/ffmpeg/ffmpeg-resolve.js';
import { SNIFF_BYTES, type SniffResult } from '../../codecs/sniff.js';
import { WavReader } from '../../codecs/wav/wav-reader.js';
import { ChainReadable, prematureCloseError } from '../chain-readable.js';
import { openInputSource, type AudioInput } from '../input-source.js';
import { checkDecodeOptions, DEFAULT_SPOOL_LIMIT_BYTES, type DecodeOptions, type DecodePath } from './decode-options.js';
import { planDecode, type DecodePlan } from './decode-plan.js';
import type { BuiltStage, StepContext } from './decode-steps.js';
import { spoolInput, type SpooledInput } from './input-spool.js';

// ffmpeg's ways of saying "this is not a format I can read" (non-zero exit).
const NOT_AUDIO = /Invalid data found|could not find codec parameters|moov atom not found|does not contain any stream|Output file #0 does not contain|Failed to read frame size|Invalid argument|Error while decoding/i;

/**
 * PCM from audio bytes (see {@link decode}). `format` is known once the header was read: listen for
 * `'format'` or `await formatReady`. `path` and `pipeline` tell how the bytes are decoded.
 */
export class DecodeStream extends ChainReadable {
  /** Resolves with the output format once known; rejects if decoding fails before that. */
  readonly formatReady: Promise<PcmFormat>;
  readonly #to: PcmFormat | undefined;
  readonly #options: DecodeOptions;
  readonly #label: string;
  readonly #filePath: string | undefined;
  #format: PcmFormat | undefined;
  #formatEmitted = false;
  #plan: DecodePlan | undefined;
  #pipeline: string[] = [];
  #sniff: SniffResult | undefined;
  #resolveFormat!: (format: PcmFormat) => void;
  #rejectFormat!: (error: Error) => void;
  #bytesIn = 0;
  /** The input while its first bytes are read or it is being spooled (before the chain owns it). */
  #headSource: Readable | null = null;
  #spool: SpooledInput | undefined;
  /** Faults found at the end (truncation, damage), reported after all audio. */
  readonly #endChecks: (() => Error | undefined)[] = [];

  constructor(input: AudioInput, options: DecodeOptions = {}) {
    // Validate and open before the stream exists: a bad call throws and leaves nothing behind.
    const to = checkDecodeOptions(options);
    const source = openInputSource(input);
    super({ signal: options.signal, what: 'Decoding' });
    this.#to = to;
    this.#options = options;
    this.#label = source.label;
    this.#filePath = source.filePath;
    this.formatReady = new Promise<PcmFormat>((resolve, reject) => {
      this.#resolveFormat = resolve;
      this.#rejectFormat = reject;
    });
    // Nobody has to await it: a failure is also emitted as 'error'.
    this.formatReady.catch(() => {});
    if (to) {
      // The output layout is what was asked for, whatever the path: known now, so a consumer that
      // needs `format` at once (encode(), a PacedOutput) can have it. 'format' still fires once.
      this.#format = to;
      this.#resolveFormat(to);
      process.nextTick(() => {
        // Not once destroyed (an already-aborted signal destroys it on the tick before).
        if (!this.destroyed) this.#emitFormat(to);
      });
    }
    this.#headSource = source.stream;
    this.#readHead(source.stream);
  }

  /** The output PCM layout: `to` at once when given, otherwise known after the header (see `formatReady`). */
  get format(): PcmFormat | undefined {
    return this.#format;
  }
  /** How the bytes are decoded, once chosen (after the first bytes were sniffed). */
  get path(): DecodePath | undefined {
    return this.#plan?.path;
  }
  /** The stages in order, e.g. `['wav-reader', 'resample 44100 Hz stereo s16le → 24000 Hz mono s16le']`. */
  get pipeline(): readonly string[] {
    return this.#pipeline;
  }
  /** What sniffing found in the first bytes. */
  get sniffed(): SniffResult | undefined {
    return this.#sniff;
  }

  #setFormat(format: PcmFormat): void {
    if (this.#format) return;
    this.#format = format;
    this.#resolveFormat(format);
    this.#emitFormat(format);
  }

  #emitFormat(format: PcmFormat): void {
    if (this.#formatEmitted) return;
    this.#formatEmitted = true;
    this.emit('format', format);
  }

  protected override fail(err: Error): void {
    err = this.#explain(err);
    this.#rejectFormat(err);
    super.fail(err);
  }

  /** Turns ffmpeg's failures into FormatErrors that say what the bytes looked like and what was delivered. */
  #explain(err: Error): Error {
    if (!(err instanceof FfmpegError) || err.exitCode === null || err instanceof FfmpegNotFoundError) return err;
    const seen = this.#sniff ? ` (${this.#sniff.reason})` : '';
    const said = `\nffmpeg said: ${err.stderrTail}`;
    if (err.code === 'TLA_ERR_FFMPEG_ERROR_OUTPUT') {
      if (this.deliveredBytes === 0) return this.#noAudioError(err, said);
      return new FormatError(
        `decode: ${this.#label}${seen} is damaged or truncated: ffmpeg reported errors while decoding it and skipped what it could not read. ` +
          `The ${this.deliveredBytes} bytes of PCM it did decode were delivered; pass { onDamaged: 'ignore' } to accept that silently.${said}`,
        'TLA_ERR_DECODE_DAMAGED',
        { cause: err },
      );
    }
    if (!NOT_AUDIO.test(err.stderrTail)) return err;
    // Bytes that are surely audio of a known container (magic bytes), of which nothing decodes: cut or damaged.
    if (this.#sniff?.confident && this.deliveredBytes === 0) return this.#noAudioError(err, said);
    return new FormatError(
      `decode: ${this.#label} is not audio ffmpeg can read${seen}. If it is raw PCM or G.711, declare it with { from }.${said}`,
      'TLA_ERR_NOT_AUDIO',
      { cause: err },
    );
  }

  #noAudioError(cause?: Error, said = ''): FormatError {
    const seen = this.#sniff ? `; it looked like ${this.#sniff.reason}` : '';
    return new FormatError(
      `decode: ${this.#label} held ${this.#bytesIn} bytes${seen}, but decoding gave no audio at all: it is damaged, cut before its first frame, or has no audio track.${said}`,
      'TLA_ERR_NO_AUDIO',
      cause ? { cause } : undefined,
    );
  }

  protected override onDestroy(error: Error | null): void {
    // Destroyed (or aborted) while still sniffing or spooling: the chain does not own the input yet.
    this.#headSource?.destroy();
    this.#headSource = null;
    this.#rejectFormat(error ?? new FormatError('decode: destroyed before the format was known.', 'TLA_ERR_DESTROYED'));
  }

  /** Reads the first bytes (enough to sniff and to read the headers the plan needs), then plans and starts. */
  #readHead(source: Readable): void {
    const head: Buffer[] = [];
    let need = SNIFF_BYTES;
    const cleanup = (): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const decide = (ended: boolean): void => {
      const bytes = head.length === 1 ? head[0]! : Buffer.concat(head);
      if (bytes.length === 0) {
        cleanup();
        source.destroy();
        this.fail(new FormatError(`decode: the input (${this.#label}) is empty (0 bytes); there is no audio to decode.`, 'TLA_ERR_EMPTY_INPUT'));
        return;
      }
      let plan: DecodePlan | 'more';
      try {
        plan = planDecode({
          bytes,
          ended,
          options: this.#options,
          to: this.#to,
          inputLabel: this.#label,
          filePath: this.#filePath,
          ffmpegAvailable: () => this.#ffmpegAvailable(),
          ffmpegProblem: () => this.#ffmpegProblem,
        });
      } catch (err) {
        cleanup();
        source.destroy();
        this.fail(err as Error);
        return;
      }
      if (plan === 'more') {
        // Keep what was read as one chunk: the next decision looks at all of it again.
        head.length = 0;
        head.push(bytes);
        need *= 4;
        source.resume();
        return;
      }
      cleanup();
      source.pause();
      this.#start(plan, source, [bytes], ended);
    };
    const onData = (chunk: Buffer): void => {
      head.push(chunk);
      this.#bytesIn += chunk.length;
      if (this.#bytesIn >= need) {
        source.pause();
        decide(false);
      }
    };
    const onEnd = (): void => decide(true);
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      this.fail(ioError(err, this.#label));
    };
    // Destroyed without an error: no 'end' or 'error' will come.
    const onClose = (): void => {
      if (source.readableEnded) return;
      cleanup();
      this.fail(prematureCloseError('Decoding'));
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  }

  #ffmpegProblem: unknown;
  #ffmpegChecked: boolean | undefined;
  #ffmpegAvailable(): boolean {
    if (this.#ffmpegChecked !== undefined) return this.#ffmpegChecked;
    try {
      resolveFfmpeg({ ffmpegPath: this.#options.ffmpegPath });
      this.#ffmpegChecked = true;
    } catch (err) {
      this.#ffmpegProblem = err;
      this.#ffmpegChecked = false;
      // An explicit ffmpegPath that is wrong is the caller's mistake: say so rather than decode without it.
      if (this.#options.ffmpegPath !== undefined || this.#options.decoder === 'ffmpeg') throw err;
    }
    return this.#ffmpegChecked;
  }

  /** Gets the input where the plan wants it (streamed, ffmpeg's own file, or a spooled copy), then builds the chain. */
  #start(plan: DecodePlan, source: Readable, head: Buffer[], ended: boolean): void {
    this.#plan = plan;
    this.#sniff = plan.sniff;
    if (plan.input === 'stream') {
      this.#headSource = null;
      this.#build(plan, source, head, ended, undefined);
      return;
    }
    if (plan.input === 'file') {
      this.#headSource = null;
      source.destroy();
      this.#build(plan, null, [], false, this.#filePath);
      return;
    }
    // Spool: the input stays ours (destroyed by onDestroy) until it is all in the file.
    const why = `${this.#label} is ${plan.sniff.container === 'mp4' ? 'an MP4/M4A whose index (moov) comes after its media' : plan.sniff.container} and must be read from a file`;
    spoolInput(head, ended ? null : source, this.#options.spoolLimitBytes ?? DEFAULT_SPOOL_LIMIT_BYTES, why).then(
      (spooled) => {
        this.#headSource = null;
        this.#bytesIn = spooled.byteLength;
        if (this.destroyed) {
          void spooled.remove();
          return;
        }
        this.#spool = spooled;
        this.#build(plan, null, [], false, spooled.filePath);
      },
      (err: unknown) => {
        this.#headSource = null;
        this.fail(ioError(err as NodeJS.ErrnoException, this.#label));
      },
    );
  }

  /** Builds every step of the plan, in order, and wires the chain. */
  #build(plan: DecodePlan, source: Readable | null, head: Buffer[], ended: boolean, ffmpegFile: string | undefined): void {
    const built: BuiltStage[] = [];
    const ctx: StepContext = {
      inputLabel: this.#label,
      to: this.#to,
      options: this.#options,
      ffmpegFile,
      atEnd: (check) => this.#endChecks.push(check),
      setFormat: (format) => this.#setFormat(format),
      setFeedSlice: (byteLength) => this.setFeedSlice(byteLength),
      deliveredBytes: () => this.deliveredBytes,
    };
    try {
      for (const step of plan.steps) built.push(...step.build(ctx));
    } catch (err) {
      for (const b of built) b.stage.destroy();
      source?.destroy();
      this.fail(err as Error);
      return;
    }
    this.#pipeline = built.map((b) => b.label);
    if (plan.format) this.#setFormat(plan.format);
    this.wire(source, built.map((b) => b.stage), head, ended);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A spooled copy lives until every stage (ffmpeg) has closed, and is gone before 'close'.
    super._destroy(error, (err) => {
      const spool = this.#spool;
      this.#spool = undefined;
      if (spool) void spool.remove().then(() => callback(err));
      else callback(err);
    });
  }

  protected override onBeforeEnd(): Error | undefined {
    // An input that produced no PCM at all still resolves its format when its header said it.
    if (this.#format === undefined) {
      const wav = this.stages.find((s) => s instanceof WavReader) as WavReader | undefined;
      if (wav?.format) this.#setFormat(this.#to ?? wav.format);
    }
    for (const check of this.#endChecks) {
      const err = check();
      if (err) return err;
    }
    // Never success for no audio from bytes that were there.
    return this.deliveredBytes === 0 ? this.#noAudioError() : undefined;
  }
}

function ioError(err: NodeJS.ErrnoException, label: string): Error {
  if (err instanceof TokenLabAudioError || err.name === 'AbortError') return err;
  if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES' || err.code === 'ENOTDIR') {
    return new InputError(`decode: cannot read ${label}: ${err.message}`, 'TLA_ERR_INPUT_UNREADABLE', { cause: err });
  }
  return err;
}
