import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { OPUS_SAMPLE_RATES, OpusDecoder, type OpusSampleRate } from '../../codecs/opus/opus.js';
import { InputError, abortError } from '../../core/errors.js';
import { REALTIME_PCM, framesToMs, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { isDiscordSilencePacket } from './discord-stream-type.js';

/** Options of {@link fromDiscord}. */
export interface FromDiscordOptions {
  /**
   * Output PCM: s16le at an Opus rate (16000 or 24000 mono for speech APIs, 48000 stereo as Discord sends);
   * the Opus decoder runs at that rate and channel count itself, so no separate resampler is needed.
   * Default {@link REALTIME_PCM} (24 kHz mono).
   */
  format?: PcmFormat;
  /** Who this stream belongs to; carried by events. */
  userId?: string;
  /**
   * How late a packet may arrive before the time it stood for is counted as lost or paused, in ms
   * (default 40, 0..500). Packets are held this long so a clump that arrives after a network stall is
   * placed back to back instead of after invented silence; this is the stream's added latency.
   */
  jitterMs?: number;
  /**
   * `true` (default): during a pause the silence is emitted as time passes (a realtime session or VAD
   * downstream sees the pause when it happens). `false`: a pause becomes silence only when the next packet
   * arrives or the receive stream ends (nothing is emitted while the user is quiet; no timer runs then). Live, a
   * network stall longer than `jitterMs` cannot be told from a pause while it lasts: its packets are then placed
   * after the silence already emitted, and the next pause is shortened by as much. Raise `jitterMs` on a link
   * whose jitter comes near it (packets then wait longer), or turn this off for recording.
   */
  livePauses?: boolean;
  /** Silence that ends a speech segment, in ms (default 100). Discord's silence packets end it at once. */
  speechEndMs?: number;
  /** Most decoded audio held for a reader that is not reading, in ms (default 10000); beyond it, new audio is dropped and counted. */
  maxBufferedMs?: number;
  /** Aborting destroys the stream with an `AbortError` and releases the decoder. */
  signal?: AbortSignal;
}

/** What `speechStart` / `speechEnd` carry. */
export interface DiscordSpeechEvent {
  readonly userId: string | undefined;
  /** Position in this stream's output, in ms from its first sample. */
  readonly atMs: number;
}

/** Counters of a {@link FromDiscordStream}. */
export interface FromDiscordStats {
  /** Packets decoded (including Discord's silence packets). */
  readonly packets: number;
  /** Packets the decoder rejected (each replaced by silence of its own length). */
  readonly corruptPackets: number;
  /** Discord silence packets seen. */
  readonly silencePackets: number;
  /** Silence inserted for lost packets and pauses, in ms. */
  readonly insertedSilenceMs: number;
  /** Audio dropped because the reader fell more than `maxBufferedMs` behind, in ms. */
  readonly overflowMs: number;
  /** Output so far, in ms. */
  readonly outputMs: number;
}

/** Packets held at most before the oldest is placed regardless (2 s at 20 ms). */
const MAX_HELD_PACKETS = 100;
/**
 * Lateness, in ms, from which time not covered by packets counts as a lost or paused frame. Close to a whole
 * frame, not half of one: the clock follows the fastest path seen, so a real gap makes the next packets at
 * least 20 ms late, while jitter rarely makes every held packet this late. A gap seen short shows up again on
 * the next packet (nothing is lost); invented silence could only be taken back at the next pause.
 */
const GAP_THRESHOLD_MS = 18;
/**
 * How long after inserting silence packets that come early are taken as proof the silence was too long (a
 * stall or jitter taken for a gap) rather than as a faster path, in ms (added to `jitterMs`).
 */
const CREDIT_WINDOW_MS = 1000;

/** Typed events of {@link FromDiscordStream}. */
export interface FromDiscordStream {
  on(event: 'speechStart' | 'speechEnd', listener: (event: DiscordSpeechEvent) => void): this;
  on(event: 'corrupt', listener: (info: { byteLength: number; reason: string; atMs: number }) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'speechStart' | 'speechEnd', listener: (event: DiscordSpeechEvent) => void): this;
  once(event: 'corrupt', listener: (info: { byteLength: number; reason: string; atMs: number }) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * What {@link fromDiscord} returns: one Discord user's audio as PCM on a timeline kept from the
 * packets' arrival times.
 *
 * `@discordjs/voice` hands over bare Opus payloads (no sequence numbers or timestamps): a lost packet or a
 * pause is only visible as time passing. This stream places every packet from its arrival time: packets
 * are held `jitterMs` and compared with a reference clock (the first packet's arrival, moved earlier when a
 * packet proves the path faster, so a slow first packet does not skew the rest); time not covered by
 * packets becomes silence of the right length, in place. A clump after a network stall is played back to
 * back; a lost packet costs its own 20 ms of silence; a 1 s pause stays a 1 s silence where it was. Silence
 * that later packets prove too long (jitter or a stall taken for a gap) is taken back from the next pause,
 * so errors do not add up: the output stays within a frame of the arrival timeline at every pause, and the
 * receive stream's end is a point on that timeline too (a trailing pause is kept).
 *
 * - One Opus decoder per stream, decoding directly at the output rate and channel count.
 * - Discord's 3-byte silence packets become 20 ms of zeros (not decoded) and end the speech segment.
 * - A packet the decoder rejects is skipped, replaced by silence of its length, counted, and reported
 *   with a `'corrupt'` event; never fatal.
 * - `'speechStart'` / `'speechEnd'` events with their position in the output.
 * - The receive stream ending or closing (the user left, the connection was destroyed) ends this stream
 *   cleanly after the held packets; if it fails, this stream fails with `TLA_ERR_DISCORD_RECEIVE_FAILED`.
 *   The decoder and the timer are released on end, error, destroy and abort.
 */
export class FromDiscordStream extends Readable {
  /** Layout of the PCM read out. */
  readonly format: PcmFormat;
  readonly userId: string | undefined;
  readonly jitterMs: number;
  readonly livePauses: boolean;

  readonly #input: NodeJS.ReadableStream;
  #decoder: OpusDecoder | undefined;
  readonly #frameBytes: number;
  readonly #frameSamples: number;
  readonly #speechEndFrames: number;
  readonly #maxBufferedBytes: number;
  // Held packets: a ring (no object per packet), oldest at #heldStart.
  readonly #heldPackets: Array<Buffer | undefined> = new Array<Buffer | undefined>(MAX_HELD_PACKETS + 1);
  readonly #heldArrivals = new Float64Array(MAX_HELD_PACKETS + 1);
  #heldStart = 0;
  #heldCount = 0;
  /** Sequence number (count of packets placed before it) of the oldest held packet. */
  #heldSeq = 0;
  // The smallest `arrival − 20 ms × sequence` among the held packets, kept as a sliding-window minimum (a ring of
  // increasing keys, oldest first): the lateness of a clump is read in O(1) per packet, not by a scan of all held.
  readonly #minKeys = new Float64Array(MAX_HELD_PACKETS + 1);
  readonly #minSeqs = new Float64Array(MAX_HELD_PACKETS + 1);
  #minStart = 0;
  #minCount = 0;
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  /** When the timer was meant to fire (performance.now()). */
  #dueAtMs = 0;
  #started = false;
  /** Arrival time (performance.now()) of output position 0 over the fastest path seen, in ms. */
  #refMs = 0;
  #outFrames = 0;
  /** Frames of silence already emitted that the clock has shown to be too many: the next gap is shorter by them. */
  #aheadFrames = 0;
  /** Frames of silence inserted lately (until #creditUntilMs) that early packets may turn into #aheadFrames. */
  #creditFrames = 0;
  #creditUntilMs = 0;
  /** The most a packet came early (ms) since that silence: the clock is left alone until the window closes. */
  #creditEarlyMs = 0;
  #silenceRun = 0;
  /** 20 ms frames in the last packet decoded (Discord sends 20 ms packets). */
  #lastPacketFrames = 1;
  #speaking = false;
  #inputDone = false;
  #finished = false;

  #packets = 0;
  #corrupt = 0;
  #silencePackets = 0;
  #insertedFrames = 0;
  #overflowFrames = 0;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;

  /** Use {@link fromDiscord}. */
  constructor(receiveStream: NodeJS.ReadableStream, options: FromDiscordOptions = {}) {
    super();
    if (receiveStream === null || typeof receiveStream !== 'object' || typeof receiveStream.on !== 'function') {
      throw new InputError('fromDiscord: pass the AudioReceiveStream from connection.receiver.subscribe(userId).', 'TLA_ERR_DISCORD_INPUT');
    }
    if ((receiveStream as { readableObjectMode?: boolean }).readableObjectMode === false) {
      throw new InputError(
        'fromDiscord: the input is a byte stream; it takes Opus packets in object mode (an AudioReceiveStream). For PCM, use it directly.',
        'TLA_ERR_DISCORD_INPUT',
      );
    }
    const format = options.format ?? REALTIME_PCM;
    if (format === null || typeof format !== 'object' || format.encoding !== 's16le' || !(OPUS_SAMPLE_RATES as readonly number[]).includes(format.sampleRate) || (format.channels !== 1 && format.channels !== 2)) {
      throw new InputError(
        `fromDiscord: format must be s16le at ${OPUS_SAMPLE_RATES.join('/')} Hz, 1 or 2 channels (e.g. REALTIME_PCM or STT_PCM), got ${JSON.stringify(format)}.`,
        'TLA_ERR_INPUT_OPTION',
      );
    }
    const jitterMs = options.jitterMs ?? 40;
    checkRange('jitterMs', jitterMs, 0, 500);
    const speechEndMs = options.speechEndMs ?? 100;
    checkRange('speechEndMs', speechEndMs, 20, 10_000);
    const maxBufferedMs = options.maxBufferedMs ?? 10_000;
    checkRange('maxBufferedMs', maxBufferedMs, 100, 600_000);
    this.format = Object.freeze({ sampleRate: format.sampleRate, channels: format.channels, encoding: 's16le' as const });
    this.userId = options.userId;
    this.jitterMs = jitterMs;
    this.livePauses = options.livePauses ?? true;
    this.#frameSamples = format.sampleRate / 50;
    this.#frameBytes = this.#frameSamples * 2 * format.channels;
    this.#speechEndFrames = Math.max(1, Math.round(speechEndMs / 20));
    this.#maxBufferedBytes = Math.round((maxBufferedMs / 20) * this.#frameBytes);
    this.#input = receiveStream;
    this.#decoder = new OpusDecoder({ sampleRate: format.sampleRate as OpusSampleRate, channels: format.channels as 1 | 2, onCorrupt: 'skip' });
    this.#decoder.on('corrupt', this.#onCorrupt);

    receiveStream.on('data', this.#onPacket);
    receiveStream.on('end', this.#onInputEnd);
    receiveStream.on('close', this.#onInputEnd);
    receiveStream.on('error', this.#onInputError);

    const signal = options.signal;
    if (signal?.aborted) {
      this.#signal = undefined;
      this.#onAbort = undefined;
      process.nextTick(() => this.destroy(abortError(signal, 'fromDiscord')));
    } else if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.destroy(abortError(signal, 'fromDiscord'));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Counters (exact). */
  get stats(): FromDiscordStats {
    return {
      packets: this.#packets,
      corruptPackets: this.#corrupt,
      silencePackets: this.#silencePackets,
      insertedSilenceMs: framesToMs(this.format, this.#insertedFrames * this.#frameSamples),
      overflowMs: framesToMs(this.format, this.#overflowFrames * this.#frameSamples),
      outputMs: this.outputMs,
    };
  }
  /** Output so far, in ms (the timeline's length). */
  get outputMs(): number {
    return this.#outFrames * 20;
  }
  /** True between `'speechStart'` and `'speechEnd'`. */
  get speaking(): boolean {
    return this.#speaking;
  }

  readonly #onPacket = (packet: unknown): void => {
    if (this.destroyed || this.#inputDone) return;
    const now = performance.now();
    if (!(packet instanceof Uint8Array)) {
      // Not a packet at all: count it like a damaged one (its time is recovered from the arrivals).
      this.#corrupt++;
      this.emit('corrupt', { byteLength: 0, reason: `a ${typeof packet} instead of an Opus packet`, atMs: this.outputMs });
      return;
    }
    if (!this.#started) {
      this.#started = true;
      this.#refMs = now;
    }
    const slot = (this.#heldStart + this.#heldCount) % (MAX_HELD_PACKETS + 1);
    this.#heldPackets[slot] = Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    this.#heldArrivals[slot] = now;
    const seq = this.#heldSeq + this.#heldCount;
    const key = now - seq * 20;
    const size = MAX_HELD_PACKETS + 1;
    while (this.#minCount > 0 && this.#minKeys[(this.#minStart + this.#minCount - 1) % size]! >= key) this.#minCount--;
    const last = (this.#minStart + this.#minCount) % size;
    this.#minKeys[last] = key;
    this.#minSeqs[last] = seq;
    this.#minCount++;
    this.#heldCount++;
    // Placed by the timer, never while a clump is still being delivered (its later packets tell where it belongs);
    // only a hold far beyond any clump is placed at once, to bound memory.
    if (this.#heldCount > MAX_HELD_PACKETS) this.#commit(now, false);
    else if (this.#heldCount === 1) this.#arm(now);
  };

  /**
   * Places held packets whose wait is over (or all of them at the end), and fills a pause with silence up
   * to `now − jitterMs` when `livePauses` is on; then re-arms the timer for the next due moment.
   */
  #commit(now: number, all: boolean): void {
    const size = MAX_HELD_PACKETS + 1;
    const arrivals = this.#heldArrivals;
    while (this.#heldCount > 0 && (all || now - arrivals[this.#heldStart]! >= this.jitterMs || this.#heldCount > MAX_HELD_PACKETS)) {
      // The head's lateness is the smallest among the held packets taken back to back: a packet delayed by
      // jitter is followed by punctual ones, while a real gap delays all of them.
      // (Held packet i arrived at a_i and is due at dueMs + 20 i: its lateness is (a_i − 20 seq_i) + 20 seq_head − dueMs.)
      const dueMs = this.#refMs + (this.#outFrames - this.#aheadFrames) * 20;
      const lateMs = this.#minKeys[this.#minStart]! + this.#heldSeq * 20 - dueMs;
      this.#placeGap(lateMs, now, 'packet');
      const packet = this.#heldPackets[this.#heldStart]!;
      this.#heldPackets[this.#heldStart] = undefined;
      this.#heldStart = this.#heldStart + 1 === size ? 0 : this.#heldStart + 1;
      this.#heldCount--;
      if (this.#minSeqs[this.#minStart] === this.#heldSeq) {
        this.#minStart = this.#minStart + 1 === size ? 0 : this.#minStart + 1;
        this.#minCount--;
      }
      this.#heldSeq++;
      this.#decodeOne(packet);
    }
    if (this.#heldCount === 0 && this.#started && !this.#inputDone && this.livePauses) {
      // Nothing held: whole frames beyond the jitter allowance are a pause (or loss) that is happening now.
      this.#placeGap(now - this.jitterMs - this.#refMs - (this.#outFrames - this.#aheadFrames) * 20, now, 'live');
    }
    this.#arm(now);
  }

  /**
   * Acts on the lateness (ms) of what comes next against the clock: a packet about to be placed, the pause
   * going on now (`'live'`, whole frames only) or the end (to the nearest frame). Late: silence for the
   * frames missed. Early: the path is faster than any seen (the clock moves earlier), unless silence was
   * inserted just before; then the early packets show that silence was too long (jitter or a stall taken
   * for a gap), and the next gap is shortened by it instead.
   */
  #placeGap(lateMs: number, now: number, what: 'packet' | 'live' | 'end'): void {
    const gapMs = what === 'packet' ? GAP_THRESHOLD_MS : what === 'live' ? 20 : 10;
    if (this.#creditFrames > 0) {
      if (now <= this.#creditUntilMs && lateMs < gapMs) {
        if (what === 'packet' && -lateMs > this.#creditEarlyMs) this.#creditEarlyMs = -lateMs;
        return;
      }
      lateMs += this.#settleCredit(now);
    }
    if (lateMs < 0) {
      if (what === 'packet') this.#refMs += lateMs;
      return;
    }
    if (lateMs < gapMs) return;
    const frames = Math.floor((lateMs + 20 - gapMs) / 20);
    const absorbed = Math.min(frames, this.#aheadFrames);
    this.#aheadFrames -= absorbed;
    // Silence owed from earlier is spent first; both parts of the gap can still be proven too long (a stall
    // filled frame by frame while it lasts is one gap: the clump after it can take all of it back).
    this.#creditFrames += frames;
    this.#creditUntilMs = now + this.jitterMs + CREDIT_WINDOW_MS;
    if (frames > absorbed) this.#emitSilence(frames - absorbed, true);
  }

  /**
   * Acts on the early packets seen since silence was inserted: that many frames of it were too many (to the
   * nearest frame); the rest of the earliness is a faster path. The credit left lapses with its window.
   * Returns how much earlier (ms) the next frame is now due.
   */
  #settleCredit(now: number): number {
    const frames = Math.min(this.#creditFrames, Math.round(this.#creditEarlyMs / 20));
    const fasterMs = Math.max(0, this.#creditEarlyMs - frames * 20);
    this.#aheadFrames += frames;
    this.#refMs -= fasterMs;
    this.#creditFrames = now > this.#creditUntilMs ? 0 : this.#creditFrames - frames;
    this.#creditEarlyMs = 0;
    return frames * 20 + fasterMs;
  }

  #arm(now: number): void {
    if (this.destroyed || this.#finished || !this.#started) {
      this.#clearTimer();
      return;
    }
    let dueAt: number;
    if (this.#heldCount > 0) dueAt = this.#heldArrivals[this.#heldStart]! + this.jitterMs;
    else if (this.livePauses && !this.#inputDone) dueAt = this.#refMs + this.jitterMs + (this.#outFrames - this.#aheadFrames + 1) * 20;
    else {
      this.#clearTimer();
      return;
    }
    // A timer that fires no later is kept (it re-arms when it fires): no timer churn per packet in a clump.
    if (this.#timer !== null && this.#dueAtMs <= dueAt) return;
    this.#clearTimer();
    this.#dueAtMs = dueAt;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, dueAt - now));
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    if (this.destroyed || this.#finished) return;
    const now = performance.now();
    if (now - this.#dueAtMs > this.jitterMs && this.#immediate === null) {
      // The event loop stalled: packets that arrived meanwhile may still be waiting to be read. Let I/O run first,
      // or the stall would be taken for a pause and the late packets placed after invented silence.
      this.#immediate = setImmediate(this.#onImmediate);
      return;
    }
    this.#commit(now, false);
  };

  readonly #onImmediate = (): void => {
    this.#immediate = null;
    if (this.destroyed || this.#finished) return;
    this.#dueAtMs = performance.now();
    this.#commit(this.#dueAtMs, false);
  };

  #decodeOne(packet: Buffer): void {
    this.#packets++;
    if (isDiscordSilencePacket(packet)) {
      this.#silencePackets++;
      this.#emitSilence(1, false);
      if (this.#speaking) this.#endSpeech();
      return;
    }
    const pcm = this.#decoder!.decodePacket(packet);
    if (pcm === null) {
      // Skipped (see #onCorrupt). A damaged packet's own header cannot be trusted: its time is that of the last good one.
      this.#emitSilence(this.#lastPacketFrames, false);
      return;
    }
    if (!this.#speaking) {
      this.#speaking = true;
      this.emit('speechStart', { userId: this.userId, atMs: this.outputMs } satisfies DiscordSpeechEvent);
    }
    this.#silenceRun = 0;
    const frames = Math.max(1, Math.round(pcm.length / this.#frameBytes));
    this.#lastPacketFrames = frames;
    this.#pushAudio(pcm, frames);
  }

  readonly #onCorrupt = (info: { byteLength: number; reason: string }): void => {
    this.#corrupt++;
    this.emit('corrupt', { ...info, atMs: this.outputMs });
  };

  #emitSilence(frames: number, inserted: boolean): void {
    if (inserted) this.#insertedFrames += frames;
    this.#silenceRun += frames;
    this.#pushAudio(Buffer.alloc(frames * this.#frameBytes), frames);
    if (this.#speaking && this.#silenceRun >= this.#speechEndFrames) this.#endSpeech();
  }

  /** Speech ended where the current run of silence began. */
  #endSpeech(): void {
    this.#speaking = false;
    this.emit('speechEnd', { userId: this.userId, atMs: this.outputMs - this.#silenceRun * 20 } satisfies DiscordSpeechEvent);
  }

  #pushAudio(pcm: Buffer, frames: number): void {
    this.#outFrames += frames;
    if (this.readableLength + pcm.length > this.#maxBufferedBytes) {
      this.#overflowFrames += frames;
      return;
    }
    this.push(pcm);
  }

  readonly #onInputEnd = (): void => {
    if (this.#inputDone || this.destroyed) return;
    this.#inputDone = true;
    this.#detach();
    const now = performance.now();
    this.#commit(now, true);
    if (this.#started) {
      // The end is a point on the timeline: a pause before it is kept (to the nearest frame; no packet can follow).
      this.#placeGap(now - this.#refMs - (this.#outFrames - this.#aheadFrames) * 20, now, 'end');
    }
    this.#finish();
  };

  readonly #onInputError = (err: Error): void => {
    if (this.destroyed) return;
    this.#inputDone = true;
    this.#detach();
    this.destroy(new InputError(`fromDiscord: the receive stream${this.userId ? ` of user ${this.userId}` : ''} failed: ${err?.message ?? String(err)}.`, 'TLA_ERR_DISCORD_RECEIVE_FAILED', { cause: err }));
  };

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#speaking) this.#endSpeech();
    this.#release();
    this.push(null);
  }

  #detach(): void {
    const input = this.#input;
    input.off('data', this.#onPacket);
    input.off('end', this.#onInputEnd);
    input.off('close', this.#onInputEnd);
    input.off('error', this.#onInputError);
    input.on('error', noop);
  }

  #release(): void {
    this.#clearTimer();
    if (this.#immediate !== null) {
      clearImmediate(this.#immediate);
      this.#immediate = null;
    }
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
    this.#decoder?.off('corrupt', this.#onCorrupt);
    this.#decoder?.destroy();
    this.#decoder = undefined;
  }

  override _read(): void {
    // Packets arrive in real time and are decoded as they arrive; the reader only paces itself.
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#inputDone) {
      this.#inputDone = true;
      this.#detach();
    }
    this.#heldPackets.fill(undefined);
    this.#heldCount = 0;
    this.#minCount = 0;
    this.#release();
    callback(error);
  }
}

/**
 * Turns one Discord user's `AudioReceiveStream` (Opus packets, object mode) into PCM with the timeline
 * kept: see {@link FromDiscordStream}.
 *
 * ```ts
 * const opus = connection.receiver.subscribe(userId, { end: { behavior: EndBehaviorType.Manual } });
 * const pcm = fromDiscord(opus, { userId, format: REALTIME_PCM });
 * pcm.on('speechStart', () => …);
 * ```
 * @throws InputError (`TLA_ERR_DISCORD_INPUT`) when the input is not an object-mode stream, (`TLA_ERR_INPUT_OPTION`) for a bad option.
 */
export function fromDiscord(receiveStream: NodeJS.ReadableStream, options: FromDiscordOptions = {}): FromDiscordStream {
  return new FromDiscordStream(receiveStream, options);
}

function noop(): void {}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InputError(`fromDiscord: ${name} must be a number from ${min} to ${max}, got ${String(value)}.`, 'TLA_ERR_INPUT_OPTION');
  }
}
