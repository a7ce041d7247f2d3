import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { OggOpusMuxer } from '../../codecs/ogg/ogg-opus-muxer.js';
import { OPUS_SAMPLE_RATES, OpusEncoder, type OpusSampleRate } from '../../codecs/opus/opus.js';
import { InputError, abortError } from '../../core/errors.js';
import { DISCORD_PCM, bytesPerFrame, framesToMs, pcmFormat, samePcmFormat, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { PacedOutput } from '../paced-output.js';
import { ResampleStream } from '../resample-stream.js';
import { DISCORD_SILENCE_PACKET, DISCORD_STREAM_TYPES, type DiscordStreamType } from './discord-stream-type.js';

/** Options of {@link toDiscord}. */
export interface ToDiscordOptions {
  /** What to produce; pass the same value as `inputType` to `createAudioResource`. Default `'opus'`. */
  streamType?: DiscordStreamType;
  /**
   * Layout of the source's PCM. Needed when the source has no `format` property (every PCM stream of
   * this package has one). Any rate and channel count. `'raw'` output is always 48 kHz stereo (resampled).
   * `'opus'` and `'ogg/opus'` encode s16le at an Opus rate (8, 12, 16, 24 or 48 kHz) with 1 or 2 channels
   * as it is: an Opus packet carries its own bandwidth and channel count and every decoder (Discord's
   * clients, the player) decodes it at 48 kHz stereo, so no resampler runs and fewer samples are encoded
   * (a 24 kHz mono TTS or realtime source: a quarter of the samples of 48 kHz stereo). Other layouts are
   * resampled to 48 kHz stereo first.
   */
  format?: PcmFormat;
  /**
   * Start cushion in ms (default 40, 0..1000): playback starts once this much wall time has passed since
   * the first audio arrived AND this much audio is queued, so a source that arrives slower than real time
   * waits longer and one that bursts gets a margin against its next hole. Grows by itself after an
   * underrun to cover the longest hole seen (up to `maxCushionMs`).
   */
  cushionMs?: number;
  /** Largest cushion the adaptation may choose, in ms (default 600, up to 2000). */
  maxCushionMs?: number;
  /**
   * Most audio queued ahead of the clock, in ms (default 2000). A faster source is held back (backpressure): the
   * rest waits in the source's own buffer, which {@link ToDiscordStream.clear} empties too. The queue's memory is
   * taken at once (2 s of 48 kHz stereo: 512 KiB), so a larger value costs memory and CPU per stream.
   */
  maxQueuedMs?: number;
  /** Opus bit rate in bits/s (`'opus'` and `'ogg/opus'`; default 64000, a Discord voice channel's default). */
  bitrate?: number;
  /**
   * Opus encoder effort, 0..10 (`'opus'` and `'ogg/opus'`; default 9, WebRTC's desktop default, which Discord's
   * clients build on; with opusscript's libopus it gives the same packets as 10 at 64 kbps stereo). 5 costs about a
   * third less CPU (WebRTC's choice on phones).
   */
  complexity?: number;
  /**
   * When the output is destroyed before the source ended (the player was stopped or destroyed), destroy the
   * source too (default true: a TTS request or decoder is not left running). Set false for a long-lived
   * source such as a realtime session's audio: it is then only paused and detached.
   */
  destroySource?: boolean;
  /** Aborting destroys the output (and, per `destroySource`, the source) with an `AbortError`. */
  signal?: AbortSignal;
}

interface PcmReadableLike extends NodeJS.ReadableStream {
  readonly format?: PcmFormat;
  readonly readableObjectMode?: boolean;
  destroy?(error?: Error): unknown;
}

/** A packet (or page, or PCM frame) ready for the reader, and how much written audio it carries. */
interface ReadyItem {
  chunk: Buffer;
  audioFrames: number;
}

/** Packets held ahead of the reader at most; beyond this the clock waits for the reader. */
const MAX_READY_ITEMS = 4;

/** Typed events of {@link ToDiscordStream}. */
export interface ToDiscordStream {
  on(event: 'underrun', listener: () => void): this;
  on(event: 'start', listener: (info: { latencyMs: number; cushionMs: number }) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'underrun', listener: () => void): this;
  once(event: 'start', listener: (info: { latencyMs: number; cushionMs: number }) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * What {@link toDiscord} returns: a Readable that `@discordjs/voice` plays
 * (`createAudioResource(out, { inputType: out.streamType })`), fed from a PCM source on a drift-corrected
 * 20 ms clock (a {@link PacedOutput}).
 *
 * - **Never starves the player.** Once playing, a frame is ready every 20 ms: the source's audio, or
 *   silence while the source is late (the player would otherwise count missed frames and go idle after
 *   five, dropping the rest of the reply). Silence frames are Discord's 3-byte silence packet, not encoded.
 * - **Adaptive start.** Nothing is emitted before the first audio (the player stays in `buffering`).
 *   Playback starts once {@link cushionMs} of wall time has passed since audio first arrived and as much
 *   audio is queued, plus one frame of lead so the player's clock and ours never race for the same packet.
 *   After an underrun the cushion grows to the longest hole seen, so a bursty source stops stuttering.
 * - **Ends cleanly.** When the source ends, what is queued plays, the last partial frame is padded with
 *   zeros, then the stream ends (the player adds its own 5 silence frames and goes idle). If the source
 *   failed or closed early, the error (`TLA_ERR_DISCORD_SOURCE_FAILED`) is raised after the audio that
 *   did arrive has played: nothing is lost.
 * - **Barge-in.** {@link clear} drops everything queued at once and reports how much; {@link playedMs}
 *   counts the source's audio the reader actually took.
 *
 * No `@discordjs/voice` import: stream types are plain strings.
 */
export class ToDiscordStream extends Readable {
  /** The `StreamType` value to give `createAudioResource` as `inputType`. */
  readonly streamType: DiscordStreamType;
  /** Format of the source PCM. */
  readonly sourceFormat: PcmFormat;
  /** Largest cushion the adaptation may pick, in ms. */
  readonly maxCushionMs: number;
  /**
   * The PCM layout paced and encoded: the source's own for `'opus'`/`'ogg/opus'` when it is s16le at an Opus
   * rate with 1 or 2 channels (no resampling), else 48 kHz stereo.
   */
  readonly pacedFormat: PcmFormat;

  readonly #source: PcmReadableLike;
  readonly #pacer: PacedOutput;
  readonly #resampler: ResampleStream | undefined;
  readonly #encoder: OpusEncoder | undefined;
  readonly #muxer: OggOpusMuxer | undefined;
  readonly #destroySource: boolean;
  readonly #ready: ReadyItem[] = [];
  /** Audio frames of the items most recently pushed, newest last (to know what the reader has not taken). */
  readonly #pushedAudio: number[] = [];
  #wantData = false;
  #started = false;
  #ended = false;
  #sourceDone = false;
  #sourceError: Error | null = null;
  #discarding = false;
  /** Set while clear() empties the source's own buffer: its chunks are counted as dropped, not played. */
  #discardingSource = false;
  #discardedSourceBytes = 0;
  /** Bytes the source gave (kept, dropped or skipped) and bytes given to the resampler or pacer since its last clear. */
  #sourceBytes = 0;
  #pathBytes = 0;
  /** Bytes of the source to skip so the next byte kept lands where the path expects it in a sample frame. */
  #skipBytes = 0;

  #cushionMs: number;
  /** When audio first arrived while buffering (performance.now()), or -1. */
  #waitSinceMs = -1;
  /** When the last underrun happened (performance.now()), or -1 once the source caught up. */
  #underrunAtMs = -1;
  #firstAudioAtMs = -1;
  #startLatencyMs = -1;

  #handedAudioFrames = 0;
  #clearedFrames = 0;
  #lastPacerPlayed = 0;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;

  /** Use {@link toDiscord}. */
  constructor(source: NodeJS.ReadableStream, options: ToDiscordOptions = {}) {
    const streamType = options.streamType ?? 'opus';
    if (!DISCORD_STREAM_TYPES.includes(streamType)) {
      throw new InputError(`toDiscord: streamType ${JSON.stringify(streamType)} is unknown; use 'opus', 'raw' or 'ogg/opus'.`, 'TLA_ERR_INPUT_OPTION');
    }
    super({ objectMode: streamType === 'opus', highWaterMark: streamType === 'opus' ? 1 : 3840 });
    if (source === null || typeof source !== 'object' || typeof (source as NodeJS.ReadableStream).on !== 'function') {
      throw new InputError('toDiscord: the source must be a Readable of PCM (a ttsSource, decode(), a realtime session output, …).', 'TLA_ERR_DISCORD_INPUT');
    }
    const src = source as PcmReadableLike;
    if (src.readableObjectMode === true) {
      throw new InputError(
        'toDiscord: the source is an object-mode stream (Opus packets?); it takes PCM bytes. Play Opus packets with createAudioResource(stream, { inputType: StreamType.Opus }) directly, or decode them first.',
        'TLA_ERR_DISCORD_INPUT',
      );
    }
    const declared = options.format ?? src.format;
    if (declared === undefined) {
      throw new InputError("toDiscord: the source's PCM format is unknown; pass { format: { sampleRate, channels, encoding } }.", 'TLA_ERR_DISCORD_INPUT');
    }
    this.sourceFormat = pcmFormat(declared);
    this.streamType = streamType;
    const cushionMs = options.cushionMs ?? 40;
    checkRange('cushionMs', cushionMs, 0, 1000);
    const maxCushionMs = options.maxCushionMs ?? 600;
    checkRange('maxCushionMs', maxCushionMs, cushionMs, 2000);
    this.#cushionMs = cushionMs;
    this.maxCushionMs = maxCushionMs;
    const maxQueuedMs = options.maxQueuedMs ?? 2_000;
    checkRange('maxQueuedMs', maxQueuedMs, 100, 600_000);
    this.#destroySource = options.destroySource ?? true;
    this.#source = src;

    const paced = streamType !== 'raw' && opusReady(this.sourceFormat) ? this.sourceFormat : DISCORD_PCM;
    this.pacedFormat = paced;
    if (streamType !== 'raw') {
      const complexity = options.complexity ?? 9;
      if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
        throw new InputError(`toDiscord: complexity must be a whole number from 0 to 10, got ${String(complexity)}.`, 'TLA_ERR_INPUT_OPTION');
      }
      const sampleRate = paced.sampleRate as OpusSampleRate;
      const channels = paced.channels as 1 | 2;
      this.#encoder = new OpusEncoder({ sampleRate, channels, frameDurationMs: 20, bitrate: options.bitrate ?? 64_000, complexity });
      if (streamType === 'ogg/opus') this.#muxer = new OggOpusMuxer({ channels, inputSampleRate: sampleRate, pageDurationMs: 20 });
    } else if (options.bitrate !== undefined || options.complexity !== undefined) {
      throw new InputError("toDiscord: bitrate and complexity apply to 'opus' and 'ogg/opus'; with 'raw' the player's encoder picks them.", 'TLA_ERR_INPUT_OPTION');
    }
    // The pacer's own cushion is driven from here (setCushionMs): held at the maximum while buffering so it
    // never starts by itself before the wall-time rule says so.
    this.#pacer = new PacedOutput({ format: paced, frameMs: 20, cushionMs: maxCushionMs, underrun: 'silence', maxQueuedMs: Math.max(maxQueuedMs, maxCushionMs + 100) });
    this.#pacer.on('data', this.#onFrame);
    this.#pacer.on('underrun', this.#onUnderrun);
    this.#pacer.on('drain', this.#onPacerDrain);
    this.#pacer.on('end', this.#onPacerEnd);
    this.#pacer.on('error', this.#fail);
    this.#pacer.pause();

    if (!samePcmFormat(this.sourceFormat, paced)) {
      this.#resampler = new ResampleStream({ from: this.sourceFormat, to: paced });
      this.#resampler.on('data', this.#onConverted);
      this.#resampler.on('end', this.#onConvertedEnd);
      this.#resampler.on('error', this.#fail);
    }

    src.on('data', this.#onSourceData);
    src.on('end', this.#onSourceEnd);
    src.on('error', this.#onSourceError);
    src.on('close', this.#onSourceClose);

    const signal = options.signal;
    if (signal?.aborted) {
      this.#signal = undefined;
      this.#onAbort = undefined;
      process.nextTick(() => this.destroy(abortError(signal, 'toDiscord')));
    } else if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.destroy(abortError(signal, 'toDiscord'));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Source audio the reader has taken so far, in ms (exact for `'opus'`; see the class notes). */
  get playedMs(): number {
    let unread = 0;
    const inBuffer = Math.min(this.readableLength, this.#pushedAudio.length);
    if (this.streamType === 'opus') for (let i = 0; i < inBuffer; i++) unread += this.#pushedAudio[this.#pushedAudio.length - 1 - i]!;
    return framesToMs(this.pacedFormat, this.#handedAudioFrames - unread);
  }
  /** Audio dropped by {@link clear} so far, in ms. */
  get clearedMs(): number {
    return framesToMs(this.pacedFormat, this.#clearedFrames);
  }
  /** Source audio written and not yet played, in ms. */
  get queuedMs(): number {
    let ready = 0;
    for (const item of this.#ready) ready += item.audioFrames;
    return this.#pacer.queuedMs + framesToMs(this.pacedFormat, ready);
  }
  /** Times the source was late while playing (each filled with silence, never with a missed frame). */
  get underruns(): number {
    return this.#pacer.underruns;
  }
  /** Silence the pacer inserted so far (cushion waits excluded before the first audio), in ms. */
  get silenceMs(): number {
    return this.#pacer.silenceMs;
  }
  /** The current start cushion in ms (grows after underruns). */
  get cushionMs(): number {
    return this.#cushionMs;
  }
  /** Wall time from the first audio arriving to its first packet being ready for the reader, in ms (-1 before). */
  get startLatencyMs(): number {
    return this.#startLatencyMs;
  }

  /**
   * Barge-in: drops every queued sample of the source at once (the pacer's queue, what waits in the source's
   * own buffer, and the packets held ahead of the reader, which become silence so the player's clock keeps its
   * lead) and returns how many ms were dropped. At most one packet already handed to the reader still plays. Later audio from the
   * source plays again after the start cushion.
   */
  clear(): number {
    if (this.destroyed || this.#ended) return 0;
    // What the source already holds (it waits there while the queue is full) arrived before the barge-in too.
    let droppedSource = 0;
    const src = this.#source as PcmReadableLike & { readableLength?: number; read?(): unknown };
    if (!this.#sourceDone && typeof src.read === 'function' && (src.readableLength ?? 0) > 0) {
      this.#discardingSource = true;
      this.#discardedSourceBytes = 0;
      // Only what was there: a source that refills synchronously on read() would otherwise never run dry.
      const held = src.readableLength ?? 0;
      while (!this.#sourceDone && this.#discardedSourceBytes < held && (src.readableLength ?? 0) > 0 && src.read() !== null);
      this.#discardingSource = false;
      const sourceFrames = this.#discardedSourceBytes / bytesPerFrame(this.sourceFormat);
      droppedSource = Math.round((sourceFrames * this.pacedFormat.sampleRate) / this.sourceFormat.sampleRate);
    }
    if (this.#resampler && this.#resampler.readableLength > 0) {
      this.#discarding = true;
      while (this.#resampler.read() !== null);
      this.#discarding = false;
    }
    const before = this.#pacer.clearedMs;
    this.#pacer.clear();
    let dropped = droppedSource + Math.round(((this.#pacer.clearedMs - before) * this.pacedFormat.sampleRate) / 1000);
    for (const item of this.#ready) {
      if (item.audioFrames === 0) continue;
      dropped += item.audioFrames;
      item.audioFrames = 0;
      item.chunk = this.#silenceChunk();
    }
    this.#clearedFrames += dropped;
    // Keep the sample-frame grid: the pacer dropped its partial frame (it expects a frame start next), a resampler
    // keeps its own; the source's next byte may be mid-frame after a chunk split inside one or bytes dropped above.
    const frameBytes = bytesPerFrame(this.sourceFormat);
    if (!this.#resampler) this.#pathBytes = 0;
    this.#skipBytes = (((this.#pathBytes - this.#sourceBytes) % frameBytes) + frameBytes) % frameBytes;
    this.#enterBuffering();
    return framesToMs(this.pacedFormat, dropped);
  }

  readonly #onSourceData = (data: unknown): void => {
    if (this.destroyed || this.#ended) return;
    if (this.#discardingSource && data instanceof Uint8Array) {
      this.#discardedSourceBytes += data.length;
      this.#sourceBytes += data.length;
      return;
    }
    if (!(data instanceof Uint8Array)) {
      this.#sourceFailed(new InputError(`toDiscord: the source emitted a ${typeof data} chunk; it must emit PCM bytes (Buffer).`, 'TLA_ERR_DISCORD_INPUT'));
      return;
    }
    let chunk = data;
    this.#sourceBytes += chunk.length;
    if (this.#skipBytes > 0) {
      const n = Math.min(this.#skipBytes, chunk.length);
      this.#skipBytes -= n;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.#pathBytes += chunk.length;
    const now = performance.now();
    if (this.#underrunAtMs >= 0) {
      // The source was this late: wait that much longer from now on (bounded), so a bursty source stutters once.
      const lateMs = now - this.#underrunAtMs;
      this.#cushionMs = Math.min(this.maxCushionMs, this.#cushionMs + Math.ceil(lateMs / 20) * 20);
      this.#underrunAtMs = -1;
    }
    const ok = this.#resampler ? this.#resampler.write(chunk) : this.#pacer.write(chunk);
    if (!ok) this.#source.pause();
    this.#checkStart(now);
  };

  readonly #onConverted = (chunk: Buffer): void => {
    if (this.#discarding || this.destroyed) return;
    if (!this.#pacer.write(chunk)) this.#source.pause();
    this.#checkStart(performance.now());
  };

  readonly #onConvertedEnd = (): void => {
    if (!this.#pacer.writableEnded) this.#pacer.end();
  };

  readonly #onPacerDrain = (): void => {
    if (!this.#sourceDone && !this.destroyed) this.#source.resume();
  };

  readonly #onSourceEnd = (): void => {
    this.#sourceDone = true;
    this.#detachSource();
    if (this.#resampler) this.#resampler.end();
    else this.#pacer.end();
  };

  readonly #onSourceError = (err: Error): void => {
    this.#sourceFailed(new InputError(`toDiscord: the PCM source failed: ${err?.message ?? String(err)}. The audio that arrived before was played.`, 'TLA_ERR_DISCORD_SOURCE_FAILED', { cause: err }));
  };

  readonly #onSourceClose = (): void => {
    if (this.#sourceDone) return;
    this.#sourceFailed(new InputError('toDiscord: the PCM source closed before it ended (destroyed or aborted). The audio that arrived before was played.', 'TLA_ERR_DISCORD_SOURCE_FAILED'));
  };

  /** Plays out what arrived, then fails with `err` (the player reports it once the audio is out). */
  #sourceFailed(err: Error): void {
    if (this.#sourceDone) return;
    this.#sourceDone = true;
    this.#sourceError = err;
    this.#detachSource();
    if (this.#resampler) this.#resampler.end();
    else this.#pacer.end();
  }

  #detachSource(): void {
    const src = this.#source;
    src.off('data', this.#onSourceData);
    src.off('end', this.#onSourceEnd);
    src.off('error', this.#onSourceError);
    src.off('close', this.#onSourceClose);
    // A late error from a detached source must not crash the process.
    src.on('error', noop);
  }

  /** Starts playback once the cushion rule holds (wall time since the first audio, and audio queued). */
  #checkStart(now: number): void {
    if (this.#pacer.state !== 'buffering' || this.destroyed) return;
    const queuedMs = this.#pacer.queuedMs;
    if (queuedMs <= 0) return;
    if (this.#waitSinceMs < 0) {
      this.#waitSinceMs = now;
      if (this.#firstAudioAtMs < 0) this.#firstAudioAtMs = now;
    }
    if (now - this.#waitSinceMs >= this.#cushionMs - 0.5 && queuedMs >= this.#cushionMs) {
      this.#pacer.setCushionMs(0);
    }
  }

  #enterBuffering(): void {
    this.#waitSinceMs = -1;
    this.#pacer.setCushionMs(this.maxCushionMs);
  }

  readonly #onUnderrun = (): void => {
    this.#underrunAtMs = performance.now();
    this.#enterBuffering();
    this.emit('underrun');
  };

  /** One 20 ms frame from the pacer (audio, partly audio, or inserted silence). */
  readonly #onFrame = (frame: Buffer): void => {
    if (this.destroyed) return;
    const played = this.#pacer.playedFrames;
    const audioFrames = played - this.#lastPacerPlayed;
    this.#lastPacerPlayed = played;
    const now = performance.now();
    if (!this.#started) {
      // Before the first audio the player stays in 'buffering': inserted silence is not emitted.
      if (audioFrames === 0) {
        this.#checkStart(now);
        return;
      }
      this.#started = true;
      this.#startLatencyMs = this.#firstAudioAtMs >= 0 ? now - this.#firstAudioAtMs : 0;
      this.emit('start', { latencyMs: this.#startLatencyMs, cushionMs: this.#cushionMs });
      // One frame of lead: the player reads on its own 20 ms clock, started when our first packet appears.
      this.#ready.push({ chunk: this.#silenceChunk(), audioFrames: 0 });
    }
    this.#ready.push({ chunk: audioFrames === 0 ? this.#silenceChunk() : this.#encode(frame), audioFrames });
    this.#flush();
    if (this.#ready.length >= MAX_READY_ITEMS) this.#pacer.pause();
    if (this.#pacer.state === 'buffering') this.#checkStart(now);
  };

  readonly #onPacerEnd = (): void => {
    if (this.#muxer && this.#started) {
      // The end-of-stream page.
      const pages: Buffer[] = [];
      this.#muxer.finish((page) => pages.push(page));
      for (const chunk of pages) this.#ready.push({ chunk, audioFrames: 0 });
    }
    this.#ended = true;
    this.#flush();
  };

  #encode(frame: Buffer): Buffer {
    if (this.streamType === 'raw') return frame;
    this.#encoder!.encodeChunk(frame, this.#takePacket);
    const packet = this.#packet!;
    this.#packet = undefined;
    return this.#muxer ? this.#page(packet) : packet;
  }

  /** The packet of the frame being encoded (a field and a bound callback: no closure per frame). */
  #packet: Buffer | undefined;
  readonly #takePacket = (packet: Buffer): void => {
    this.#packet = packet;
  };

  #silenceChunk(): Buffer {
    if (this.streamType === 'raw') return Buffer.alloc(3840);
    return this.#muxer ? this.#page(DISCORD_SILENCE_PACKET) : DISCORD_SILENCE_PACKET;
  }

  /** One page per packet, written at once (a live stream cannot wait for the next packet). */
  #page(packet: Buffer): Buffer {
    const pages: Buffer[] = [];
    const onPage = (page: Buffer): void => {
      pages.push(page);
    };
    this.#muxer!.writePacket(packet, onPage);
    this.#muxer!.flushPage(onPage);
    // The first packet also brings the two header pages.
    return pages.length === 1 ? pages[0]! : Buffer.concat(pages);
  }

  /** Hands ready items to the reader while it wants them; ends the stream once the pacer is done. */
  #flush(): void {
    while (this.#wantData && this.#ready.length > 0) {
      const item = this.#ready.shift()!;
      this.#handedAudioFrames += item.audioFrames;
      this.#pushedAudio.push(item.audioFrames);
      if (this.#pushedAudio.length > MAX_READY_ITEMS) this.#pushedAudio.shift();
      this.#wantData = this.push(item.chunk);
    }
    if (this.#ready.length < MAX_READY_ITEMS && this.#pacer.isPaused() && !this.destroyed) this.#pacer.resume();
    if (this.#ended && this.#ready.length === 0 && !this.readableEnded) {
      if (this.#sourceError) this.destroy(this.#sourceError);
      else this.push(null);
    }
  }

  override _read(): void {
    this.#wantData = true;
    this.#flush();
  }

  readonly #fail = (err: Error): void => {
    this.destroy(err);
  };

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      this.#detachSource();
      if (this.#destroySource) this.#source.destroy?.();
      else this.#source.pause();
    }
    this.#pacer.off('data', this.#onFrame);
    this.#pacer.destroy();
    this.#resampler?.destroy();
    this.#encoder?.destroy();
    this.#muxer?.destroy();
    this.#ready.length = 0;
    callback(error);
  }
}

/**
 * Turns any PCM stream into what `@discordjs/voice` plays, paced so the player never goes idle
 * mid-reply. See {@link ToDiscordStream}.
 *
 * ```ts
 * const out = toDiscord(ttsSource(client, { input: 'Hello!' }));
 * player.play(createAudioResource(out, { inputType: out.streamType }));
 * ```
 * @throws InputError (`TLA_ERR_DISCORD_INPUT`) when the source is not a PCM byte stream or its format is unknown;
 *   (`TLA_ERR_INPUT_OPTION`) for a bad option. FormatError for a bad `format`.
 */
export function toDiscord(source: NodeJS.ReadableStream, options: ToDiscordOptions = {}): ToDiscordStream {
  return new ToDiscordStream(source, options);
}

function noop(): void {}

/** True when Opus can encode this layout as it is (s16le at an Opus rate, 1 or 2 channels). */
function opusReady(format: PcmFormat): boolean {
  return format.encoding === 's16le' && (OPUS_SAMPLE_RATES as readonly number[]).includes(format.sampleRate) && (format.channels === 1 || format.channels === 2);
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InputError(`toDiscord: ${name} must be a number from ${min} to ${max} ms, got ${String(value)}.`, 'TLA_ERR_INPUT_OPTION');
  }
}
