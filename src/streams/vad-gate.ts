import { Transform, type TransformCallback } from 'node:stream';
import { REALTIME_PCM, type PcmFormat } from '../core/pcm/pcm-format.js';
import type { SegmenterEvent, SpeechDiscardEvent, SpeechEndEvent, SpeechStartEvent } from '../core/vad/segmenter.js';
import { VadTracker, type VadTrackerOptions } from '../core/vad/vad-tracker.js';

/** A segmenter event as the gate reports it, with where it falls in the gate's output. */
export type VadGateEvent<E extends SegmenterEvent = SegmenterEvent> = E & {
  /** Bytes the gate had pushed on its readable side when the event happened (output position of the turn boundary). */
  readonly outputByteOffset: number;
};

/** Options of {@link VadGate}. */
export interface VadGateOptions extends Omit<VadTrackerOptions, 'format'> {
  /**
   * Input layout. Default: the `format` of the stream piped in (if it has one), else REALTIME_PCM
   * (24 kHz mono s16le).
   */
  format?: PcmFormat;
  /**
   * When audio starts to flow: at the confirmed start (default; nothing is sent for clicks and coughs)
   * or already at the tentative one (lowest latency; a `speech-discard` then means "drop what you got").
   */
  openOn?: 'confirmed' | 'tentative';
  /** Cancels the stream (it is destroyed with an AbortError). */
  signal?: AbortSignal;
}

/** Typed events of {@link VadGate}. `turn` carries every event; the others one kind each. */
export interface VadGate {
  on(event: 'turn', listener: (event: VadGateEvent) => void): this;
  on(event: 'speech-start', listener: (event: VadGateEvent<SpeechStartEvent>) => void): this;
  on(event: 'speech-end', listener: (event: VadGateEvent<SpeechEndEvent>) => void): this;
  on(event: 'speech-discard', listener: (event: VadGateEvent<SpeechDiscardEvent>) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'turn', listener: (event: VadGateEvent) => void): this;
  once(event: 'speech-start', listener: (event: VadGateEvent<SpeechStartEvent>) => void): this;
  once(event: 'speech-end', listener: (event: VadGateEvent<SpeechEndEvent>) => void): this;
  once(event: 'speech-discard', listener: (event: VadGateEvent<SpeechDiscardEvent>) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Marks streams that emit VAD turn events, so a stream downstream can find and follow them. */
export const VAD_EVENT_SOURCE: unique symbol = Symbol.for('tokenlab-audio.vad-event-source');

/** True when `stream` emits the gate's `turn` / `speech-*` events (e.g. the `src` of a `pipe` event). */
export function isVadEventSource(stream: unknown): stream is VadGate {
  return typeof stream === 'object' && stream !== null && (stream as Record<symbol, unknown>)[VAD_EVENT_SOURCE] === true;
}

/**
 * PCM in, PCM out only while someone speaks: the microphone gate in front of a realtime session or a
 * recorder. When speech starts the gate replays the pre-roll (and whatever came while the start was being
 * confirmed), then passes audio until the end of speech is decided (the `minSilenceMs` hangover included).
 * Output is the input's bytes, in the input's format, never a split sample frame; any chunking of the
 * input gives the same output bytes and events. It emits the segmenter's events (`speech-start`
 * tentative and confirmed, `speech-end`, `speech-discard`, and all of them as `turn`) with the output
 * byte offset of each, so `pipeline(mic(), vadGate(), realtimeDuplex, speaker())` can follow turns.
 *
 * @throws FormatError / InputError for a bad format or options (from the constructor when `format` is
 *   given, else on the first chunk).
 */
export class VadGate extends Transform {
  readonly [VAD_EVENT_SOURCE] = true;
  private readonly options: VadGateOptions;
  private tracker: VadTracker | null = null;
  private pipedFormat: PcmFormat | null = null;
  private open = false;
  /** Next input frame to send while open. */
  private outFrame = 0;
  /** Input frames already sent: output never repeats audio, even when the next pre-roll reaches back. */
  private sentFrame = 0;
  private outputBytes = 0;

  constructor(options: VadGateOptions = {}) {
    super({ ...(options.signal ? { signal: options.signal } : {}) });
    this.options = options;
    if (options.format) this.ensureTracker();
    else {
      this.once('pipe', (src: unknown) => {
        const f = (src as { format?: PcmFormat } | null)?.format;
        if (f && typeof f === 'object' && typeof f.sampleRate === 'number') this.pipedFormat = f;
      });
    }
  }

  /** The input (and output) format; settles on the first chunk when not given. */
  get format(): PcmFormat {
    return this.tracker?.format ?? this.options.format ?? this.pipedFormat ?? REALTIME_PCM;
  }

  /** True while audio flows through. */
  get isOpen(): boolean {
    return this.open;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const tracker = this.ensureTracker();
      tracker.write(chunk);
      if (this.open) this.send(tracker.positionFrames);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.tracker?.end();
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  private ensureTracker(): VadTracker {
    if (this.tracker) return this.tracker;
    const { openOn: _openOn, signal: _signal, ...rest } = this.options;
    const tracker = new VadTracker({ ...rest, format: this.format }, (ev, frames) => this.onVad(ev, frames.startFrame, frames.atFrame));
    this.tracker = tracker;
    return tracker;
  }

  private onVad(ev: SegmenterEvent, startFrame: number, atFrame: number): void {
    const openOn = this.options.openOn ?? 'confirmed';
    if (ev.type === 'speech-start') {
      if (!this.open && (ev.confirmed || openOn === 'tentative')) {
        this.open = true;
        this.outFrame = Math.max(startFrame, this.sentFrame);
        this.announce(ev);
        this.send(atFrame);
        return;
      }
      this.announce(ev);
      return;
    }
    // End or discard: send up to the decision, then close.
    if (this.open) {
      this.send(atFrame);
      this.open = false;
    }
    this.announce(ev);
  }

  private send(toFrame: number): void {
    const tracker = this.tracker!;
    if (toFrame <= this.outFrame) return;
    const out = tracker.history.copy(this.outFrame, toFrame);
    this.outFrame = toFrame;
    this.sentFrame = toFrame;
    tracker.history.keepAfter(toFrame);
    if (out.length > 0) {
      this.outputBytes += out.length;
      this.push(out);
    }
  }

  private announce(ev: SegmenterEvent): void {
    const gateEvent = { ...ev, outputByteOffset: this.outputBytes } as VadGateEvent;
    this.emit(ev.type, gateEvent);
    this.emit('turn', gateEvent);
  }
}

/** Creates a {@link VadGate}. */
export function vadGate(options: VadGateOptions = {}): VadGate {
  return new VadGate(options);
}
