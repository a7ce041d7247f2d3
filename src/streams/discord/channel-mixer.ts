import { Readable } from 'node:stream';
import { InputError, abortError } from '../../core/errors.js';
import { REALTIME_PCM, bytesPerFrame, describePcmFormat, pcmFormat, samePcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { FromDiscordStream, fromDiscord, type DiscordSpeechEvent, type FromDiscordOptions } from './from-discord.js';

/**
 * How a {@link ChannelMixer} combines speakers:
 * - `'active-speaker'` (default): one person at a time. The first to start speaking holds the floor until
 *   their speech has ended for `hangoverMs`; then the floor goes to whoever has been speaking longest.
 *   Everyone else is muted. What a realtime session wants: one clean voice, no cross-talk sums.
 * - `'mix'`: everyone summed (clipped to 16 bits), for recording or transcribing a whole channel.
 */
export type ChannelMixMode = 'active-speaker' | 'mix';

/** Options of {@link ChannelMixer}. */
export interface ChannelMixerOptions {
  /** Output (and every input's) PCM: s16le. Default {@link REALTIME_PCM}. */
  format?: PcmFormat;
  mode?: ChannelMixMode;
  /**
   * How far one speaker's audio may run ahead of another's before the late one is treated as silent
   * for the frames in between, in ms (default 200). Inputs are live (silence flows while someone is
   * quiet), so this only matters when one of them stalls.
   */
  maxSkewMs?: number;
  /** `'active-speaker'`: how long the floor stays with someone after their speech ended, in ms (default 300). */
  hangoverMs?: number;
  /** Most audio held per input for a reader that is not reading, in ms (default 5000); the oldest beyond it is dropped and counted. */
  maxBufferedMs?: number;
  /** Options for the per-user {@link fromDiscord} streams the mixer creates in {@link ChannelMixer.add}. */
  receive?: Omit<FromDiscordOptions, 'format' | 'userId' | 'signal'>;
  /** Aborting destroys the mixer and every per-user stream it created. */
  signal?: AbortSignal;
}

interface MixInput {
  readonly userId: string;
  readonly stream: NodeJS.ReadableStream & { format?: PcmFormat };
  readonly owned: boolean;
  readonly chunks: Buffer[];
  head: number;
  queuedBytes: number;
  /** Bytes this input has delivered into the mix so far (its own timeline). */
  readBytes: number;
  started: boolean;
  ended: boolean;
  /** Speech on/off changes at byte positions of this input's timeline, oldest first. */
  readonly changes: { atByte: number; speaking: boolean }[];
  speaking: boolean;
  /** Mixed frame index when the current speech began. */
  speakingSince: number;
  /** Mixed frame index when the last speech ended. */
  quietSince: number;
  readonly listeners: Array<[string, (...args: any[]) => void]>;
}

/** Typed events of {@link ChannelMixer}. */
export interface ChannelMixer {
  on(event: 'speaker', listener: (userId: string | null) => void): this;
  on(event: 'join' | 'leave', listener: (userId: string) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'speaker', listener: (userId: string | null) => void): this;
  once(event: 'join' | 'leave', listener: (userId: string) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * Several Discord speakers → one PCM stream (to feed one realtime session, one transcription, one
 * recording). Add each user's `AudioReceiveStream` (the mixer decodes it with {@link fromDiscord}) or an
 * existing {@link FromDiscordStream}; remove them when they leave (or let their stream end).
 *
 * Clockless: a 20 ms frame is mixed as soon as every input that has started has one (inputs are live, so
 * that is real time plus their jitter allowance); an input that falls more than `maxSkewMs` behind counts
 * as silent meanwhile. No timers. Output ends after {@link ChannelMixer.end} once the inputs are drained.
 */
export class ChannelMixer extends Readable {
  readonly format: PcmFormat;
  readonly mode: ChannelMixMode;
  readonly #inputs = new Map<string, MixInput>();
  readonly #frameBytes: number;
  readonly #maxSkewBytes: number;
  readonly #hangoverFrames: number;
  readonly #maxBufferedBytes: number;
  readonly #receive: ChannelMixerOptions['receive'];
  readonly #acc: Int32Array;
  #wantData = true;
  #frameIndex = 0;
  #floor: MixInput | null = null;
  #ending = false;
  #droppedBytes = 0;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;

  /** @throws InputError for a bad option; FormatError for a bad `format`. */
  constructor(options: ChannelMixerOptions = {}) {
    super();
    const format = pcmFormat(options.format ?? REALTIME_PCM);
    if (format.encoding !== 's16le') throw new InputError(`ChannelMixer: format must be s16le, got ${describePcmFormat(format)}.`, 'TLA_ERR_INPUT_OPTION');
    const mode = options.mode ?? 'active-speaker';
    if (mode !== 'active-speaker' && mode !== 'mix') throw new InputError(`ChannelMixer: mode must be 'active-speaker' or 'mix', got ${JSON.stringify(mode)}.`, 'TLA_ERR_INPUT_OPTION');
    const maxSkewMs = options.maxSkewMs ?? 200;
    const hangoverMs = options.hangoverMs ?? 300;
    const maxBufferedMs = options.maxBufferedMs ?? 5000;
    for (const [name, v, min, max] of [['maxSkewMs', maxSkewMs, 20, 10_000], ['hangoverMs', hangoverMs, 0, 10_000], ['maxBufferedMs', maxBufferedMs, 100, 600_000]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
        throw new InputError(`ChannelMixer: ${name} must be a number from ${min} to ${max}, got ${String(v)}.`, 'TLA_ERR_INPUT_OPTION');
      }
    }
    this.format = format;
    this.mode = mode;
    const frameSamples = Math.round(format.sampleRate / 50);
    this.#frameBytes = frameSamples * bytesPerFrame(format);
    this.#maxSkewBytes = Math.round(maxSkewMs / 20) * this.#frameBytes;
    this.#hangoverFrames = Math.round(hangoverMs / 20);
    this.#maxBufferedBytes = Math.max(this.#maxSkewBytes * 2, Math.round(maxBufferedMs / 20) * this.#frameBytes);
    this.#receive = options.receive;
    this.#acc = new Int32Array(frameSamples * format.channels);
    const signal = options.signal;
    if (signal?.aborted) {
      this.#signal = undefined;
      this.#onAbort = undefined;
      process.nextTick(() => this.destroy(abortError(signal, 'ChannelMixer')));
    } else if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.destroy(abortError(signal, 'ChannelMixer'));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Users currently in the mix. */
  get users(): string[] {
    return [...this.#inputs.keys()];
  }
  /** Who holds the floor (`'active-speaker'`), or null. */
  get activeSpeaker(): string | null {
    return this.#floor?.userId ?? null;
  }
  /** Audio dropped because the reader fell behind, in ms (all inputs). */
  get droppedMs(): number {
    return (this.#droppedBytes / this.#frameBytes) * 20;
  }

  /**
   * Adds a user. `input` is their `AudioReceiveStream` (Opus packets, object mode: decoded here with
   * {@link fromDiscord}, and destroyed when removed) or a PCM stream in this mixer's format (a
   * {@link FromDiscordStream} brings speech events for `'active-speaker'`; it is left to its owner on removal).
   * Returns the PCM stream that feeds the mix.
   * @throws InputError (`TLA_ERR_DISCORD_INPUT`) for a user already added, or a PCM stream in another format.
   */
  add(userId: string, input: NodeJS.ReadableStream): NodeJS.ReadableStream {
    if (this.destroyed || this.#ending) throw new InputError('ChannelMixer: add() after end() or destroy().', 'TLA_ERR_DESTROYED');
    if (this.#inputs.has(userId)) throw new InputError(`ChannelMixer: user ${userId} is already in the mix; remove() them first.`, 'TLA_ERR_DISCORD_INPUT');
    const objectMode = (input as { readableObjectMode?: boolean }).readableObjectMode === true;
    const stream = objectMode ? fromDiscord(input, { ...this.#receive, format: this.format, userId }) : (input as NodeJS.ReadableStream & { format?: PcmFormat });
    if (!objectMode && (stream.format === undefined || !samePcmFormat(stream.format, this.format))) {
      throw new InputError(
        `ChannelMixer: the PCM stream of user ${userId} is ${stream.format ? describePcmFormat(stream.format) : 'of unknown format'}; the mix is ${describePcmFormat(this.format)}.`,
        'TLA_ERR_DISCORD_INPUT',
      );
    }
    const entry: MixInput = {
      userId,
      stream,
      owned: objectMode,
      chunks: [],
      head: 0,
      queuedBytes: 0,
      readBytes: 0,
      started: false,
      ended: false,
      changes: [],
      speaking: false,
      speakingSince: 0,
      quietSince: -Infinity,
      listeners: [],
    };
    const bytesPerMs = (this.#frameBytes / 20);
    const on = (event: string, fn: (...args: any[]) => void): void => {
      stream.on(event, fn);
      entry.listeners.push([event, fn]);
    };
    on('data', (chunk: Buffer) => this.#onData(entry, chunk));
    on('speechStart', (e: DiscordSpeechEvent) => entry.changes.push({ atByte: Math.round(e.atMs * bytesPerMs), speaking: true }));
    on('speechEnd', (e: DiscordSpeechEvent) => entry.changes.push({ atByte: Math.round(e.atMs * bytesPerMs), speaking: false }));
    on('end', () => this.#onInputEnd(entry));
    on('close', () => this.#onInputEnd(entry));
    on('error', (err: Error) => {
      // One user's failure (a broken receive stream) must not end the channel: they leave the mix.
      this.emit('inputError', userId, err);
      this.#onInputEnd(entry);
    });
    this.#inputs.set(userId, entry);
    this.emit('join', userId);
    return stream;
  }

  /** Removes a user at once (their queued audio is dropped). Streams the mixer created are destroyed. */
  remove(userId: string): boolean {
    const entry = this.#inputs.get(userId);
    if (!entry) return false;
    this.#drop(entry);
    this.#mix();
    return true;
  }

  /** Ends the mix: per-user streams the mixer created are ended; the output ends when all is mixed. */
  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    for (const entry of [...this.#inputs.values()]) {
      if (entry.owned) (entry.stream as Readable).destroy();
      else this.#onInputEnd(entry);
    }
    this.#mix();
  }

  #onData(entry: MixInput, chunk: Buffer): void {
    if (this.destroyed) return;
    entry.started = true;
    entry.chunks.push(chunk);
    entry.queuedBytes += chunk.length;
    if (entry.queuedBytes > this.#maxBufferedBytes) {
      const excess = entry.queuedBytes - this.#maxBufferedBytes;
      this.#skip(entry, excess - (excess % this.#frameBytes) + this.#frameBytes, true);
    }
    this.#mix();
  }

  #onInputEnd(entry: MixInput): void {
    if (entry.ended) return;
    entry.ended = true;
    this.#mix();
  }

  #drop(entry: MixInput): void {
    for (const [event, fn] of entry.listeners) entry.stream.off(event, fn);
    entry.stream.on('error', noop);
    if (entry.owned) (entry.stream as Readable).destroy();
    this.#inputs.delete(entry.userId);
    if (this.#floor === entry) this.#setFloor(null);
    this.emit('leave', entry.userId);
  }

  /** Mixes every frame that is ready while the reader wants more. */
  #mix(): void {
    while (this.#wantData && !this.destroyed) {
      let active = 0;
      let complete = true;
      let ahead = false;
      for (const entry of this.#inputs.values()) {
        if (entry.ended && entry.queuedBytes < this.#frameBytes) {
          this.#drop(entry);
          continue;
        }
        if (!entry.started) continue;
        active++;
        if (entry.queuedBytes < this.#frameBytes) complete = false;
        if (entry.queuedBytes >= this.#maxSkewBytes) ahead = true;
      }
      if (active === 0) {
        if (this.#ending && this.#inputs.size === 0) {
          this.#wantData = false;
          this.push(null);
        }
        return;
      }
      if (!complete && !ahead) return;
      this.#wantData = this.push(this.#mixFrame());
    }
  }

  #mixFrame(): Buffer {
    const frameBytes = this.#frameBytes;
    const out = Buffer.allocUnsafe(frameBytes);
    const acc = this.#acc;
    acc.fill(0);
    const frame = this.#frameIndex++;
    // Speech state of every input at this frame of its own timeline.
    for (const entry of this.#inputs.values()) {
      if (!entry.started) continue;
      while (entry.changes.length > 0 && entry.changes[0]!.atByte <= entry.readBytes) {
        const change = entry.changes.shift()!;
        if (change.speaking !== entry.speaking) {
          entry.speaking = change.speaking;
          if (change.speaking) entry.speakingSince = frame;
          else entry.quietSince = frame;
        }
      }
    }
    if (this.mode === 'active-speaker') this.#arbitrate(frame);
    for (const entry of this.#inputs.values()) {
      if (!entry.started || entry.queuedBytes < frameBytes) continue;
      if (this.mode === 'active-speaker' && entry !== this.#floor) {
        this.#skip(entry, frameBytes);
        continue;
      }
      this.#take(entry, acc);
    }
    for (let i = 0, b = 0; i < acc.length; i++, b += 2) {
      const v = acc[i]!;
      out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, b);
    }
    return out;
  }

  #arbitrate(frame: number): void {
    const holder = this.#floor;
    if (holder && (holder.speaking || frame - holder.quietSince < this.#hangoverFrames)) return;
    let next: MixInput | null = null;
    for (const entry of this.#inputs.values()) {
      if (entry.speaking && entry.started && (next === null || entry.speakingSince < next.speakingSince)) next = entry;
    }
    if (next !== holder) this.#setFloor(next);
  }

  #setFloor(entry: MixInput | null): void {
    this.#floor = entry;
    this.emit('speaker', entry?.userId ?? null);
  }

  /** Adds one frame of `entry` into the accumulator and consumes it. */
  #take(entry: MixInput, acc: Int32Array): void {
    let need = this.#frameBytes;
    let pos = 0;
    while (need > 0) {
      const chunk = entry.chunks[0]!;
      const n = Math.min(need, chunk.length - entry.head);
      const samples = n >> 1;
      for (let i = 0; i < samples; i++) acc[pos + i]! += chunk.readInt16LE(entry.head + i * 2);
      pos += samples;
      this.#advance(entry, n);
      need -= n;
    }
  }

  /** Consumes `bytes` of `entry` without mixing them. */
  #skip(entry: MixInput, bytes: number, counted = false): void {
    let need = Math.min(bytes, entry.queuedBytes);
    if (counted) this.#droppedBytes += need;
    while (need > 0) {
      const chunk = entry.chunks[0]!;
      const n = Math.min(need, chunk.length - entry.head);
      this.#advance(entry, n);
      need -= n;
    }
  }

  #advance(entry: MixInput, n: number): void {
    entry.head += n;
    entry.queuedBytes -= n;
    entry.readBytes += n;
    if (entry.head === entry.chunks[0]!.length) {
      entry.chunks.shift();
      entry.head = 0;
    }
  }

  override _read(): void {
    this.#wantData = true;
    this.#mix();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const entry of [...this.#inputs.values()]) this.#drop(entry);
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    callback(error);
  }
}

function noop(): void {}
