import type { Duplex, Readable } from 'node:stream';
import { FormatError, InputError, TokenLabAudioError } from '../core/errors.js';
import { describePcmFormat, pcmFormat, samePcmFormat, type PcmEncoding, type PcmFormat } from '../core/pcm-format.js';
import type { ResampleQuality } from '../core/resampler/resampler.js';
import { ffmpegArgs } from '../codecs/ffmpeg-args.js';
import { FfmpegError, FfmpegNotFoundError } from '../codecs/ffmpeg-errors.js';
import { FfmpegProcess } from '../codecs/ffmpeg-process.js';
import { resolveFfmpeg } from '../codecs/ffmpeg-resolve.js';
import type { G711Law } from '../codecs/g711.js';
import { G711Decoder } from '../codecs/g711-transform.js';
import { SNIFF_BYTES, sniffAudio, type AudioContainer, type SniffResult } from '../codecs/sniff.js';
import { parseWavHeader, type WavHeader } from '../codecs/wav-header.js';
import { WavReader } from '../codecs/wav-reader.js';
import { OggOpusDecoder } from '../codecs/ogg-opus-decoder.js';
import { opusBackendName, parseOpusHead, type OpusHead } from '../codecs/opus.js';
import { ChainReadable, prematureCloseError } from './chain-readable.js';
import { FrameAligner } from '../codecs/frame-aligner.js';
import { WebmOpusDecoder } from '../codecs/webm-opus-decoder.js';
import { openInputSource, type AudioInput } from './input-source.js';
import { ResampleStream } from './resample-stream.js';


/**
 * How {@link decode} turned the bytes into PCM: in-process (`wav`, `pcm`, `g711`, `ogg-opus`,
 * `webm-opus`) or through ffmpeg (`ffmpeg:<container>`, e.g. `ffmpeg:mp3`, `ffmpeg:unknown`).
 */
export type DecodePath = 'wav' | 'pcm' | 'g711' | 'ogg-opus' | 'webm-opus' | `ffmpeg:${string}`;

/** Raw G.711 bytes (no header): rate and channels must be declared. */
export interface G711Layout {
  readonly sampleRate: number;
  readonly channels?: number;
  readonly encoding: 'mulaw' | 'alaw';
}

/**
 * What the caller says the bytes are. A {@link PcmFormat} or {@link G711Layout} declares headerless
 * samples; a container name is a hint for ffmpeg. Either way the bytes are sniffed first and win
 * when they carry a known signature (a WAV answered to a `pcm` request is parsed as WAV).
 */
export type DecodeFrom = PcmFormat | G711Layout | Exclude<AudioContainer, 'unknown' | 'pcm'>;

/** Options of {@link decode}. */
export interface DecodeOptions {
  /** Output PCM layout. Default: the source's own (rate, channels; s16le unless the source is float or >16-bit WAV). */
  to?: PcmFormat;
  /** What the bytes are, when they have no header (raw PCM, G.711) or as a hint. */
  from?: DecodeFrom;
  /** The Content-Type the bytes came with (e.g. an HTTP response's). */
  contentType?: string;
  /** Resampler quality when a rate conversion runs in-process. */
  quality?: ResampleQuality;
  /** `'auto'` (default): the cheapest path; `'ffmpeg'`: always ffmpeg (comparison, odd files). */
  decoder?: 'auto' | 'ffmpeg';
  /**
   * A WAV or Ogg stream that ends before its header/pages say: `'error'` (default) delivers all audio,
   * then fails with a FormatError; `'ignore'` ends normally (live streams cut on purpose).
   */
  onTruncated?: 'error' | 'ignore';
  ffmpegPath?: string;
  /** Aborting destroys the stream with an `AbortError` and stops any ffmpeg child. */
  signal?: AbortSignal;
}

/** The kinds of input the path graph starts from. */
type SourceKind = 'wav' | 'pcm' | 'g711' | 'ogg-opus' | 'webm-opus' | 'other';

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly cost: number;
  readonly label: string;
}

// Edge weights: a rough cost of CPU and start-up. An ffmpeg process costs a spawn (~20-50 ms) and a
// copy through two pipes, so it only wins where nothing in-process can decode the bytes.
const EDGE_COST = { parse: 1, g711: 1, demux: 1, opus: 4, resample: 2, ffmpeg: 20 } as const;

/**
 * Finds the cheapest chain of stages from `start` to `pcm:out` (Dijkstra over a graph of a dozen
 * edges, the idea of @discordjs/voice's TransformerGraph). Returns the edge labels in order.
 */
function cheapestPath(edges: readonly Edge[], start: string, goal: string): Edge[] | undefined {
  const best = new Map<string, { cost: number; path: Edge[] }>([[start, { cost: 0, path: [] }]]);
  const done = new Set<string>();
  for (;;) {
    let node: string | undefined;
    let nodeCost = Infinity;
    for (const [n, v] of best) if (!done.has(n) && v.cost < nodeCost) [node, nodeCost] = [n, v.cost];
    if (node === undefined) return undefined;
    if (node === goal) return best.get(node)!.path;
    done.add(node);
    const here = best.get(node)!;
    for (const e of edges) {
      if (e.from !== node) continue;
      const cost = here.cost + e.cost;
      const known = best.get(e.to);
      if (!known || cost < known.cost) best.set(e.to, { cost, path: [...here.path, e] });
    }
  }
}

function isPcmFormat(x: DecodeFrom | undefined): x is PcmFormat {
  return typeof x === 'object' && x !== null && (x.encoding === 's16le' || x.encoding === 'f32le');
}
function isG711(x: DecodeFrom | undefined): x is G711Layout {
  return typeof x === 'object' && x !== null && (x.encoding === 'mulaw' || x.encoding === 'alaw');
}

/** ffmpeg demuxer names for container hints when the bytes themselves say nothing. */
const FFMPEG_DEMUXER: Partial<Record<AudioContainer, string>> = {
  wav: 'wav', ogg: 'ogg', webm: 'matroska', matroska: 'matroska', mp3: 'mp3', flac: 'flac', aac: 'aac', mp4: 'mov',
};

const NOT_AUDIO = /Invalid data found|could not find codec parameters|moov atom not found|does not contain any stream|Output file #0 does not contain|Failed to read frame size|Invalid argument|Error while decoding/i;

// About 0.5 s of 64 kb/s Opus, decoded in well under 10 ms: the most decoding done per event-loop turn.
const OPUS_FEED_SLICE_BYTES = 4096;

const MAX_HEADER_SEARCH_BYTES = 16 * 1024 * 1024;

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
  #path: DecodePath | undefined;
  #pipeline: string[] = [];
  #sniff: SniffResult | undefined;
  #resolveFormat!: (format: PcmFormat) => void;
  #rejectFormat!: (error: Error) => void;
  #bytesIn = 0;

  constructor(input: AudioInput, options: DecodeOptions = {}) {
    // Validate and open before the stream exists: a bad call throws and leaves nothing behind.
    if (options === null || typeof options !== 'object') throw new InputError('decode: options must be an object.');
    const to = options.to === undefined ? undefined : pcmFormat(options.to);
    checkFrom(options.from);
    if (options.decoder !== undefined && options.decoder !== 'auto' && options.decoder !== 'ffmpeg') {
      throw new InputError(`decode: decoder must be 'auto' or 'ffmpeg', got ${JSON.stringify(options.decoder)}.`);
    }
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
    return this.#path;
  }
  /** The stages in order, e.g. `['wav-reader', 'resample 44100 Hz stereo s16le → 24000 Hz mono s16le']`. */
  get pipeline(): readonly string[] {
    return this.#pipeline;
  }
  /** What sniffing found in the first bytes. */
  get sniffed(): SniffResult | undefined {
    return this.#sniff;
  }

  #formatEmitted = false;

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

  /** Turns ffmpeg's "this is not audio" into a FormatError that says what the bytes looked like. */
  #explain(err: Error): Error {
    if (!(err instanceof FfmpegError) || err.exitCode === null || err instanceof FfmpegNotFoundError) return err;
    if (!NOT_AUDIO.test(err.stderrTail)) return err;
    const seen = this.#sniff ? ` (${this.#sniff.reason})` : '';
    return new FormatError(
      `decode: ${this.#label} is not audio ffmpeg can read${seen}. If it is raw PCM or G.711, declare it with { from }.\nffmpeg said: ${err.stderrTail}`,
      'TLA_ERR_NOT_AUDIO',
      { cause: err },
    );
  }

  /** The input while its first bytes are read (before the chain owns it). */
  #headSource: Readable | null = null;

  protected override onDestroy(error: Error | null): void {
    // Destroyed (or aborted) while still sniffing: the chain does not own the input yet.
    this.#headSource?.destroy();
    this.#headSource = null;
    this.#rejectFormat(error ?? new FormatError('decode: destroyed before the format was known.', 'TLA_ERR_DESTROYED'));
  }

  /** Reads the first bytes (enough to sniff, and the whole WAV header), then builds the chain. */
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
      let plan: Plan | 'more';
      try {
        plan = this.#plan(bytes, ended, need);
      } catch (err) {
        cleanup();
        source.destroy();
        this.fail(err as Error);
        return;
      }
      if (plan === 'more') {
        need *= 4;
        source.resume();
        return;
      }
      cleanup();
      source.pause();
      this.#headSource = null;
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

  #plan(bytes: Buffer, ended: boolean, searched: number): Plan | 'more' {
    const options = this.#options;
    const from = options.from;
    const sniff = sniffAudio(bytes, options.contentType ?? (typeof from === 'string' ? hintContentType(from) : undefined));
    this.#sniff = sniff;
    let kind: SourceKind = 'other';
    let wavHeader: WavHeader | undefined;
    let native: PcmFormat | undefined;
    let g711: { law: G711Law; format: PcmFormat } | undefined;
    let opusHead: OpusHead | undefined;

    if (sniff.confident && sniff.container === 'wav') {
      try {
        wavHeader = parseWavHeader(bytes);
      } catch (err) {
        if (!(err instanceof FormatError && err.code === 'TLA_ERR_WAV_UNSUPPORTED')) throw err;
        // A compressed WAV (ADPCM, GSM, …): ffmpeg's job.
      }
      if (!wavHeader && !ended && searched < MAX_HEADER_SEARCH_BYTES && !this.#wavUnsupported(bytes)) return 'more';
      if (wavHeader) {
        kind = 'wav';
        const encoding: PcmEncoding = wavHeader.codec === 'pcm' && wavHeader.bitsPerSample <= 16 ? 's16le' : wavHeader.codec === 'mulaw' || wavHeader.codec === 'alaw' ? 's16le' : 'f32le';
        native = { sampleRate: wavHeader.sampleRate, channels: wavHeader.channels, encoding: this.#to?.encoding ?? encoding };
      }
    } else if (sniff.confident && sniff.container === 'ogg' && sniff.codec === 'opus') {
      opusHead = findOpusHead(bytes);
      if (opusHead && opusHead.channels <= 2) kind = 'ogg-opus';
    } else if (sniff.confident && sniff.container === 'webm' && sniff.codec === 'opus') {
      opusHead = findOpusHead(bytes);
      if (!opusHead || opusHead.channels <= 2) kind = 'webm-opus';
    } else if (!sniff.confident) {
      // No signature: headerless samples, if the caller (or the Content-Type) says what they are.
      if (isPcmFormat(from)) {
        kind = 'pcm';
        native = pcmFormat(from);
      } else if (isG711(from)) {
        kind = 'g711';
        g711 = { law: from.encoding, format: pcmFormat({ sampleRate: from.sampleRate, channels: from.channels ?? 1, encoding: 's16le' }) };
        native = g711.format;
      } else if (sniff.container === 'pcm' && (sniff.codec === 'mulaw' || sniff.codec === 'alaw')) {
        kind = 'g711';
        g711 = { law: sniff.codec, format: pcmFormat({ sampleRate: sniff.pcm?.sampleRate ?? 8000, channels: sniff.pcm?.channels ?? 1, encoding: 's16le' }) };
        native = g711.format;
      } else if (sniff.container === 'pcm') {
        if (sniff.pcm?.sampleRate === undefined) {
          throw new FormatError(
            `decode: ${this.#label} looks like raw PCM (${sniff.reason}) but its layout is unknown; pass { from: { sampleRate, channels, encoding } }.`,
            'TLA_ERR_PCM_LAYOUT_UNKNOWN',
          );
        }
        kind = 'pcm';
        native = pcmFormat({ sampleRate: sniff.pcm.sampleRate, channels: sniff.pcm.channels ?? 1, encoding: 's16le' });
      }
    }
    if (opusHead) native = { sampleRate: 48_000, channels: opusHead.channels, encoding: 's16le' };
    if (kind === 'webm-opus' && !native) native = { sampleRate: 48_000, channels: 2, encoding: 's16le' };

    const ffmpegAvailable = this.#ffmpegAvailable();
    const edges: Edge[] = [];
    const inProcess = options.decoder !== 'ffmpeg';
    if (inProcess) {
      edges.push(
        { from: 'wav', to: 'pcm', cost: EDGE_COST.parse, label: 'wav-reader' },
        { from: 'g711', to: 'pcm', cost: EDGE_COST.g711, label: 'g711-decoder' },
        { from: 'ogg-opus', to: 'opus', cost: EDGE_COST.demux, label: 'ogg-demuxer' },
        { from: 'webm-opus', to: 'opus', cost: EDGE_COST.demux, label: 'webm-demuxer' },
        { from: 'opus', to: 'pcm', cost: EDGE_COST.opus, label: 'opus-decoder' },
      );
    }
    const needsResample = this.#to !== undefined && native !== undefined && !samePcmFormat(native, this.#to);
    edges.push({ from: 'pcm', to: 'out', cost: needsResample ? EDGE_COST.resample : 0, label: needsResample ? 'resample' : 'pass' });
    if (ffmpegAvailable) edges.push({ from: kind, to: 'out', cost: EDGE_COST.ffmpeg, label: 'ffmpeg' });
    // Raw input starts at a node of its own: the frame aligner takes it to 'pcm' for free.
    const start = kind === 'pcm' ? 'raw' : kind;
    if (kind === 'pcm' && inProcess) edges.push({ from: 'raw', to: 'pcm', cost: 0, label: 'frame-aligner' });
    if (kind === 'pcm' && ffmpegAvailable) edges.push({ from: 'raw', to: 'out', cost: EDGE_COST.ffmpeg, label: 'ffmpeg' });
    const route = cheapestPath(edges, start, 'out');
    if (!route) {
      if (!ffmpegAvailable) {
        throw new FormatError(
          `decode: ${this.#label} is ${sniff.container === 'unknown' ? 'not a format decodable in-process' : `${sniff.container}${sniff.codec ? `/${sniff.codec}` : ''}`} (${sniff.reason}), ` +
            'which needs ffmpeg, and no ffmpeg was found. Install one (npm install @ffmpeg-installer/ffmpeg) or set FFMPEG_PATH / { ffmpegPath }.',
          'TLA_ERR_NEEDS_FFMPEG',
          { cause: this.#ffmpegProblem },
        );
      }
      throw new FormatError(`decode: no way to decode ${this.#label} (${sniff.reason}).`, 'TLA_ERR_FORMAT');
    }
    return { kind, route: route.map((e) => e.label), native, wavHeader, g711, opusHead, sniff };
  }

  #wavUnsupported(bytes: Buffer): boolean {
    try {
      parseWavHeader(bytes);
      return false;
    } catch {
      return true;
    }
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

  #start(plan: Plan, source: Readable, head: Buffer[], ended: boolean): void {
    const to = this.#to;
    const stages: Duplex[] = [];
    const labels: string[] = [];
    const onTruncated = this.#options.onTruncated ?? 'error';
    try {
      if (plan.route[0] === 'ffmpeg') {
        this.#path = `ffmpeg:${plan.kind === 'other' || plan.kind === 'pcm' || plan.kind === 'g711' ? plan.sniff.container : plan.kind}`;
        // ffmpeg reads a file itself: it can seek (MP4 with the index at the end) and trim MP3 encoder
        // delay and padding from the LAME header, which it cannot do from a pipe.
        const useFile = this.#filePath !== undefined;
        const args = this.#ffmpegArgs(plan, useFile);
        stages.push(new FfmpegProcess({ args, ffmpegPath: this.#options.ffmpegPath, stdin: useFile ? 'none' : 'pipe' }));
        labels.push(`ffmpeg ${args.join(' ')}`);
        // ffmpeg writes a streamed WAV (header first), so the output format is read, not guessed.
        const reader = new WavReader({ onTruncated: 'warn', ...(to ? { encoding: to.encoding } : {}) });
        reader.once('format', (format: PcmFormat) => this.#setFormat(format));
        stages.push(reader);
        labels.push('wav-reader');
        if (useFile) {
          source.destroy();
          this.#pipeline = labels;
          this.wire(null, stages);
          return;
        }
      } else {
        const native = plan.native!;
        switch (plan.kind) {
          case 'wav': {
            this.#path = 'wav';
            const reader = new WavReader({ encoding: native.encoding, onTruncated: 'warn' });
            let truncation: { expectedByteLength: number; receivedByteLength: number } | undefined;
            reader.once('truncated', (info: { expectedByteLength: number; receivedByteLength: number }) => (truncation = info));
            this.#endError = () =>
              truncation && onTruncated === 'error'
                ? new FormatError(
                    `decode: the WAV data of ${this.#label} is truncated: the header announces ${truncation.expectedByteLength} bytes, ${truncation.receivedByteLength} arrived. Everything before was decoded.`,
                    'TLA_ERR_TRUNCATED',
                  )
                : undefined;
            stages.push(reader);
            labels.push('wav-reader');
            break;
          }
          case 'pcm':
            this.#path = 'pcm';
            stages.push(new FrameAligner(native.channels * (native.encoding === 's16le' ? 2 : 4)));
            labels.push('frame-aligner');
            break;
          case 'g711':
            this.#path = 'g711';
            stages.push(new G711Decoder({ law: plan.g711!.law }));
            labels.push('g711-decoder');
            // One byte per sample: a chunk may end inside a multi-channel frame.
            if (native.channels > 1) stages.push(new FrameAligner(native.channels * 2));
            break;
          case 'ogg-opus': {
            this.#path = 'ogg-opus';
            const decoder = new OggOpusDecoder({ onTruncated: 'warn', onCorrupt: 'silence' });
            let truncated = false;
            decoder.once('truncated', () => (truncated = true));
            this.#endError = () =>
              truncated && onTruncated === 'error'
                ? new FormatError(`decode: the Ogg stream (${this.#label}) is truncated: it ends inside a page. Everything before was decoded.`, 'TLA_ERR_TRUNCATED')
                : undefined;
            stages.push(decoder);
            labels.push(`ogg-opus-decoder (${opusBackendName()})`);
            this.setFeedSlice(OPUS_FEED_SLICE_BYTES);
            break;
          }
          case 'webm-opus': {
            this.#path = 'webm-opus';
            const decoder = new WebmOpusDecoder({ onTruncated: 'warn', onCorrupt: 'silence' });
            let truncated = false;
            decoder.once('truncated', () => (truncated = true));
            this.#endError = () =>
              truncated && onTruncated === 'error'
                ? new FormatError(`decode: the WebM stream (${this.#label}) is truncated: it ends inside an element. Everything before was decoded.`, 'TLA_ERR_TRUNCATED')
                : undefined;
            stages.push(decoder);
            labels.push(`webm-opus-decoder (${opusBackendName()})`);
            this.setFeedSlice(OPUS_FEED_SLICE_BYTES);
            break;
          }
          default:
            throw new FormatError(`decode: internal error: no in-process decoder for ${plan.kind}.`);
        }
        if (to && !samePcmFormat(native, to)) {
          stages.push(new ResampleStream({ from: native, to, ...(this.#options.quality ? { quality: this.#options.quality } : {}) }));
          labels.push(`resample ${describePcmFormat(native)} → ${describePcmFormat(to)}`);
        }
        this.#setFormat(to ?? native);
      }
    } catch (err) {
      for (const s of stages) s.destroy();
      source.destroy();
      this.fail(err as Error);
      return;
    }
    this.#pipeline = labels;
    this.wire(source, stages, head, ended);
  }

  #ffmpegArgs(plan: Plan, useFile: boolean): string[] {
    const to = this.#to;
    const inputOptions: Parameters<ReturnType<typeof ffmpegArgs>['input']>[1] = {};
    const from = this.#options.from;
    if (plan.kind === 'pcm' && plan.native) {
      Object.assign(inputOptions, { format: plan.native.encoding, sampleRate: plan.native.sampleRate, channels: plan.native.channels });
    } else if (plan.kind === 'g711' && plan.g711) {
      Object.assign(inputOptions, { format: plan.g711.law, sampleRate: plan.g711.format.sampleRate, channels: plan.g711.format.channels });
    } else {
      // Naming the demuxer spares ffmpeg guessing it from the first bytes.
      const hint = plan.sniff.confident ? plan.sniff.container : typeof from === 'string' ? from : plan.sniff.container;
      const demuxer = FFMPEG_DEMUXER[hint];
      if (demuxer) inputOptions.format = demuxer;
    }
    if (!useFile) {
      // From a pipe, ffmpeg would otherwise wait for 5 MB or 5 s of input to "analyze" it before the
      // first sample: a stream (a TTS response) would start late, and a live one not at all.
      inputOptions.extra = ['-probesize', '4096', '-analyzeduration', '0'];
    }
    return ffmpegArgs()
      .input(useFile ? this.#filePath! : 'pipe:0', inputOptions)
      .output('pipe:1', {
        format: 'wav',
        codec: to?.encoding === 'f32le' ? 'pcm_f32le' : 'pcm_s16le',
        ...(to ? { sampleRate: to.sampleRate, channels: to.channels } : {}),
        // Hand each decoded packet over at once rather than in 32 KB blocks.
        extra: ['-flush_packets', '1'],
      })
      .build();
  }

  protected override onBeforeEnd(): Error | undefined {
    // An input that produced no PCM at all (e.g. a WAV with a header and no data) still resolves its format.
    if (this.#format === undefined) {
      const wav = this.stages.find((s) => s instanceof WavReader) as WavReader | undefined;
      if (wav?.format) this.#setFormat(this.#to ?? wav.format);
    }
    return this.#endError?.();
  }

  /** Set by the in-process paths: a fault found at the end (truncation), reported after all audio. */
  #endError: (() => Error | undefined) | undefined;
}

interface Plan {
  kind: SourceKind;
  route: string[];
  native: PcmFormat | undefined;
  wavHeader: WavHeader | undefined;
  g711: { law: G711Law; format: PcmFormat } | undefined;
  opusHead: OpusHead | undefined;
  sniff: SniffResult;
}

function hintContentType(container: string): string | undefined {
  const map: Record<string, string> = {
    wav: 'audio/wav', ogg: 'audio/ogg', webm: 'audio/webm', matroska: 'audio/x-matroska', mp3: 'audio/mpeg',
    flac: 'audio/flac', aac: 'audio/aac', mp4: 'audio/mp4',
  };
  return map[container];
}

function checkFrom(from: DecodeFrom | undefined): void {
  if (from === undefined) return;
  if (typeof from === 'string') {
    if (!(from in FFMPEG_DEMUXER)) {
      throw new InputError(`decode: from ${JSON.stringify(from)} is unknown; use a PCM format, a G.711 layout, or one of ${Object.keys(FFMPEG_DEMUXER).join(', ')}.`);
    }
    return;
  }
  if (isG711(from)) {
    pcmFormat({ sampleRate: from.sampleRate, channels: from.channels ?? 1, encoding: 's16le' });
    return;
  }
  pcmFormat(from as PcmFormat);
}

function ioError(err: NodeJS.ErrnoException, label: string): Error {
  if (err instanceof TokenLabAudioError || err.name === 'AbortError') return err;
  if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES' || err.code === 'ENOTDIR') {
    return new InputError(`decode: cannot read ${label}: ${err.message}`, 'TLA_ERR_INPUT_UNREADABLE', { cause: err });
  }
  return err;
}

/**
 * Decodes audio bytes (a file path, Buffer, Node Readable, web ReadableStream or async iterable) to
 * PCM, choosing the cheapest path by sniffing the first bytes: in-process for WAV, raw PCM, G.711,
 * Ogg/Opus and WebM/Opus; ffmpeg for MP3, AAC, M4A/MP4, FLAC, Vorbis and anything else; then our
 * resampler (or ffmpeg's, on the ffmpeg path) to `to`.
 *
 * @throws InputError (synchronously) for unusable options or an input that is not bytes.
 * The stream errors (after delivering all audio decoded before the fault) with: FormatError for
 * empty, garbage, truncated or mislabelled input (codes `TLA_ERR_EMPTY_INPUT`, `TLA_ERR_NOT_AUDIO`,
 * `TLA_ERR_TRUNCATED`, `TLA_ERR_WAV_*`, `TLA_ERR_PCM_LAYOUT_UNKNOWN`, `TLA_ERR_NEEDS_FFMPEG`);
 * FfmpegNotFoundError when `ffmpegPath` is wrong; FfmpegError when ffmpeg fails or is killed;
 * InputError when a file cannot be read.
 */
export function decode(input: AudioInput, options: DecodeOptions = {}): DecodeStream {
  return new DecodeStream(input, options);
}

/** Finds the OpusHead packet (RFC 7845 §5.1) in the first bytes of an Ogg or WebM file. */
function findOpusHead(bytes: Buffer): OpusHead | undefined {
  const at = bytes.indexOf('OpusHead', 0, 'latin1');
  if (at < 0) return undefined;
  try {
    return parseOpusHead(bytes.subarray(at));
  } catch {
    return undefined;
  }
}


