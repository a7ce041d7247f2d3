import { Transform, type TransformCallback } from 'node:stream';
import type { PcmFormat } from '../core/pcm/pcm-format.js';
import type { SegmenterEvent, SpeechEndReason } from '../core/vad/segmenter.js';
import { VadTracker, type VadTrackerOptions } from '../core/vad/vad-tracker.js';

/** One utterance cut by {@link VadChunker}. */
export interface VadUtterance {
  /** The utterance's audio in the input's format, pre-roll and post-pad included. */
  readonly pcm: Buffer;
  readonly format: PcmFormat;
  /** Sequence number in the stream, from 0. */
  readonly index: number;
  /** Start of `pcm` in the input stream (ms). */
  readonly startMs: number;
  /** End of `pcm` in the input stream (ms). */
  readonly endMs: number;
  /** Detected speech onset (ms); `startMs` is earlier by the pre-roll. */
  readonly speechStartMs: number;
  /** End of the last speech frame (ms). */
  readonly speechEndMs: number;
  /** Why it ended: a pause, the length limit (split at its quietest point), or the end of the input. */
  readonly reason: SpeechEndReason;
}

/** Options of {@link VadChunker}: the input format, the engine and every segmenter option. */
export interface VadChunkerOptions extends VadTrackerOptions {
  /** Cancels the stream (it is destroyed with an AbortError). */
  signal?: AbortSignal;
  /** Utterances buffered on the readable side before backpressure. Default 16. */
  readableHighWaterMark?: number;
}

/** Typed events: the segmenter's decisions as they happen, besides the utterances on the readable side. */
export interface VadChunker {
  on(event: 'vad', listener: (event: SegmenterEvent) => void): this;
  on(event: 'data', listener: (utterance: VadUtterance) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'vad', listener: (event: SegmenterEvent) => void): this;
  once(event: 'data', listener: (utterance: VadUtterance) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * PCM in, utterances out (object mode): cuts speech for transcription. Each {@link VadUtterance} carries
 * its audio in the input's format, including up to `preRollMs` before the onset and `postPadMs` after
 * the last speech frame. Any chunking of the same input gives the same utterances. The end of the input
 * closes an utterance in progress. Backpressure: `_transform` calls back after pushing, so a slow reader
 * holds the writer.
 *
 * Input at any rate and channel count is down-mixed and resampled for the engine; the output keeps the
 * input's format.
 * @throws FormatError / InputError from the constructor for a bad format or options.
 */
export class VadChunker extends Transform {
  readonly format: PcmFormat;
  private readonly tracker: VadTracker;
  private readonly ready: VadUtterance[] = [];

  constructor(options: VadChunkerOptions) {
    super({
      writableObjectMode: false,
      readableObjectMode: true,
      readableHighWaterMark: options.readableHighWaterMark ?? 16,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.tracker = new VadTracker(options, (ev, frames) => {
      if (ev.type === 'speech-end') {
        this.ready.push({
          pcm: this.tracker.history.copy(frames.startFrame, frames.endFrame),
          format: this.format,
          index: ev.utterance,
          startMs: ev.startMs,
          endMs: ev.endMs,
          speechStartMs: ev.speechStartMs,
          speechEndMs: ev.speechEndMs,
          reason: ev.reason,
        });
        this.tracker.history.keepAfter(frames.endFrame);
      }
      this.emit('vad', ev);
    });
    this.format = this.tracker.format;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.tracker.write(chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.drain();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.tracker.end();
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.drain();
    callback();
  }

  private drain(): void {
    for (const u of this.ready) this.push(u);
    this.ready.length = 0;
  }
}

/** Creates a {@link VadChunker}. */
export function vadChunker(options: VadChunkerOptions): VadChunker {
  return new VadChunker(options);
}
