import { FormatError } from '../../core/errors.js';
import { pcmFormat, samePcmFormat, type PcmEncoding, type PcmFormat } from '../../core/pcm/pcm-format.js';
import { readMp3Gapless } from '../../codecs/mp3-gapless.js';
import { mp4IndexPosition } from '../../codecs/mp4-index-position.js';
import { OPUS_SAMPLE_RATES, parseOpusHead, type OpusHead, type OpusSampleRate } from '../../codecs/opus/opus.js';
import { sniffAudio, type SniffResult } from '../../codecs/sniff.js';
import { parseWavHeader, type WavHeader } from '../../codecs/wav/wav-header.js';
import { FFMPEG_DEMUXER, hintContentType, isG711, isPcmFormat, type DecodeOptions, type DecodePath } from './decode-options.js';
import {
  ffmpegStep,
  frameAlignerStep,
  g711Step,
  oggOpusStep,
  resampleStep,
  wavReaderStep,
  webmOpusStep,
  type FfmpegStepInput,
  type StepBuilder,
} from './decode-steps.js';

/** One edge of the decode graph: a step from one kind of data to another, and how to build it. */
export interface DecodeStep {
  readonly from: string;
  readonly to: string;
  /** A rough cost of CPU and start-up (an ffmpeg spawn is 20-50 ms and a copy through two pipes). */
  readonly cost: number;
  readonly name: string;
  readonly build: StepBuilder;
}

/**
 * How the input reaches the chain: `stream`ed into its first stage, read by ffmpeg from its own
 * `file`, or copied to a temporary file first (`spool`) because ffmpeg must seek in it.
 */
export type DecodeInputMode = 'stream' | 'file' | 'spool';

/** The decision {@link planDecode} makes, and the one thing the chain is built from. */
export interface DecodePlan {
  readonly path: DecodePath;
  readonly sniff: SniffResult;
  /** The cheapest route through the graph, in order: building each step's stages gives the chain. */
  readonly steps: readonly DecodeStep[];
  readonly input: DecodeInputMode;
  /** The output format when it is known before anything runs; undefined on the ffmpeg path (its header says). */
  readonly format: PcmFormat | undefined;
}

/** What {@link planDecode} looks at. */
export interface PlanInput {
  /** The first bytes of the input. */
  readonly bytes: Buffer;
  /** The input ended within `bytes`. */
  readonly ended: boolean;
  readonly options: DecodeOptions;
  readonly to: PcmFormat | undefined;
  readonly inputLabel: string;
  /** The input is this file (ffmpeg can read and seek in it itself). */
  readonly filePath: string | undefined;
  /** Whether an ffmpeg can be used (resolved lazily: only asked when a route might need it). */
  readonly ffmpegAvailable: () => boolean;
  /** Why not, for the message when it is needed. */
  readonly ffmpegProblem: () => unknown;
}

const COST = { parse: 1, g711: 1, demux: 1, opus: 4, resample: 2, ffmpeg: 20 } as const;

/** Headers worth waiting for: a WAV header after big chunks, an ID3 tag with cover art, an MP4 `free` box. */
export const MAX_HEADER_SEARCH_BYTES = 16 * 1024 * 1024;

/** Where the graph starts: what the first bytes are. */
type SourceKind = 'wav' | 'raw' | 'g711' | 'ogg-opus' | 'webm-opus' | 'other';

/**
 * Decides how to decode an input from its first bytes: sniffs them, reads what headers say (WAV
 * format, OpusHead, an MP3's gapless length, where an MP4 keeps its index), then finds the cheapest
 * route through a small graph of steps (Dijkstra over a dozen edges, the idea of @discordjs/voice's
 * TransformerGraph). The route's steps build the chain; nothing else decides it.
 *
 * @returns the plan, or `'more'` when a header is not complete in `bytes` yet (call again with more).
 * @throws FormatError when no route exists (raw PCM of unknown layout, or ffmpeg needed and missing).
 */
export function planDecode(input: PlanInput): DecodePlan | 'more' {
  const { bytes, ended, options, to } = input;
  const from = options.from;
  const sniff = sniffAudio(bytes, options.contentType ?? (typeof from === 'string' ? hintContentType(from) : undefined));
  const waitForMore = !ended && bytes.length < MAX_HEADER_SEARCH_BYTES;

  let kind: SourceKind = 'other';
  let native: PcmFormat | undefined;
  let step: StepBuilder | undefined;
  let g711: { law: 'mulaw' | 'alaw'; format: PcmFormat } | undefined;

  if (sniff.confident && sniff.container === 'wav') {
    let header: WavHeader | undefined;
    let unsupported = false;
    try {
      header = parseWavHeader(bytes);
    } catch (err) {
      if (!(err instanceof FormatError && err.code === 'TLA_ERR_WAV_UNSUPPORTED')) throw err;
      // A compressed WAV (ADPCM, GSM, …): ffmpeg's job.
      unsupported = true;
    }
    if (!header && !unsupported && waitForMore) return 'more';
    if (header) {
      kind = 'wav';
      const encoding: PcmEncoding = header.codec === 'pcm' && header.bitsPerSample <= 16 ? 's16le' : header.codec === 'mulaw' || header.codec === 'alaw' ? 's16le' : 'f32le';
      native = { sampleRate: header.sampleRate, channels: header.channels, encoding: to?.encoding ?? encoding };
      step = wavReaderStep(native);
    }
  } else if (sniff.confident && sniff.container === 'ogg' && sniff.codec === 'opus') {
    const head = findOpusHead(bytes);
    if (head && head.channels <= 2) {
      kind = 'ogg-opus';
      // Opus decodes at any Opus rate: straight to the wanted one when it is one (no resampler after it).
      const rate = to && (OPUS_SAMPLE_RATES as readonly number[]).includes(to.sampleRate) ? (to.sampleRate as OpusSampleRate) : 48_000;
      native = { sampleRate: rate, channels: head.channels, encoding: 's16le' };
      step = oggOpusStep(rate);
    }
  } else if (sniff.confident && sniff.container === 'webm' && sniff.codec === 'opus') {
    const head = findOpusHead(bytes);
    if (!head || head.channels <= 2) {
      kind = 'webm-opus';
      native = { sampleRate: 48_000, channels: head?.channels ?? 2, encoding: 's16le' };
      step = webmOpusStep();
    }
  } else if (!sniff.confident) {
    // No signature: headerless samples, if the caller (or the Content-Type) says what they are.
    if (isPcmFormat(from)) {
      kind = 'raw';
      native = pcmFormat(from);
    } else if (isG711(from)) {
      g711 = { law: from.encoding, format: pcmFormat({ sampleRate: from.sampleRate, channels: from.channels ?? 1, encoding: 's16le' }) };
    } else if (sniff.container === 'pcm' && (sniff.codec === 'mulaw' || sniff.codec === 'alaw')) {
      g711 = { law: sniff.codec, format: pcmFormat({ sampleRate: sniff.pcm?.sampleRate ?? 8000, channels: sniff.pcm?.channels ?? 1, encoding: 's16le' }) };
    } else if (sniff.container === 'pcm') {
      if (sniff.pcm?.sampleRate === undefined) {
        throw new FormatError(
          `decode: ${input.inputLabel} looks like raw PCM (${sniff.reason}) but its layout is unknown; pass { from: { sampleRate, channels, encoding } }.`,
          'TLA_ERR_PCM_LAYOUT_UNKNOWN',
        );
      }
      kind = 'raw';
      native = pcmFormat({ sampleRate: sniff.pcm.sampleRate, channels: sniff.pcm.channels ?? 1, encoding: 's16le' });
    }
    if (kind === 'raw') step = frameAlignerStep(native!);
    if (g711) {
      kind = 'g711';
      native = g711.format;
      step = g711Step(g711.law, g711.format.channels);
    }
  }

  // What ffmpeg needs, and where it should read from.
  const container = kind === 'other' || kind === 'raw' || kind === 'g711' ? sniff.container : kind;
  let mode: DecodeInputMode = 'stream';
  const ffmpegInput: { -readonly [K in keyof FfmpegStepInput]: FfmpegStepInput[K] } = { checkOggPages: sniff.confident && sniff.container === 'ogg' };
  if (kind === 'raw') {
    Object.assign(ffmpegInput, { format: native!.encoding, sampleRate: native!.sampleRate, channels: native!.channels });
  } else if (kind === 'g711') {
    Object.assign(ffmpegInput, { format: g711!.law, sampleRate: g711!.format.sampleRate, channels: g711!.format.channels });
  } else {
    // Naming the demuxer spares ffmpeg guessing it from the first bytes.
    const hint = sniff.confident ? sniff.container : typeof from === 'string' ? from : sniff.container;
    ffmpegInput.format = FFMPEG_DEMUXER[hint];
    // Ogg streams through our page check; everything else ffmpeg reads from the file when there is one:
    // it can seek (MP4 index at the end) and trims MP3 encoder delay and padding by the LAME tag.
    if (input.filePath !== undefined && !ffmpegInput.checkOggPages) {
      mode = 'file';
    } else if (sniff.container === 'mp4') {
      const index = mp4IndexPosition(bytes);
      if (index === 'more' && waitForMore) return 'more';
      if (index !== 'start') mode = 'spool';
    }
    if (sniff.container === 'mp3') {
      const gapless = readMp3Gapless(bytes);
      if (gapless === 'more' && waitForMore) return 'more';
      if (typeof gapless === 'object') {
        // Read from a pipe, ffmpeg cannot trim the padding: cut it at the exact length (a quarter sample
        // over, so ffmpeg's rounding to whole samples lands on it).
        if (mode === 'stream') ffmpegInput.durationSeconds = (gapless.sampleFrames + 0.25) / gapless.sampleRate;
        ffmpegInput.announced = { sampleFrames: gapless.sampleFrames, sampleRate: gapless.sampleRate, frameSlack: gapless.samplesPerFrame };
      }
    }
  }

  const steps: DecodeStep[] = [];
  const inProcess = options.decoder !== 'ffmpeg';
  if (inProcess && step) {
    if (kind === 'ogg-opus' || kind === 'webm-opus') {
      steps.push({ from: kind, to: 'opus', cost: COST.demux, name: `${kind}-demuxer`, build: () => [] });
      steps.push({ from: 'opus', to: 'pcm', cost: COST.opus, name: 'opus-decoder', build: step });
    } else {
      steps.push({ from: kind, to: 'pcm', cost: kind === 'raw' ? 0 : kind === 'g711' ? COST.g711 : COST.parse, name: `${kind}-decoder`, build: step });
    }
  }
  if (native) {
    const resample = to !== undefined && !samePcmFormat(native, to);
    steps.push({ from: 'pcm', to: 'out', cost: resample ? COST.resample : 0, name: resample ? 'resample' : 'pass', build: resampleStep(native) });
  }
  if (input.ffmpegAvailable()) {
    steps.push({ from: kind, to: 'out', cost: COST.ffmpeg, name: 'ffmpeg', build: ffmpegStep(ffmpegInput) });
  }
  const route = cheapestPath(steps, kind, 'out');
  if (!route) {
    if (!input.ffmpegAvailable()) {
      throw new FormatError(
        `decode: ${input.inputLabel} is ${sniff.container === 'unknown' ? 'not a format decodable in-process' : `${sniff.container}${sniff.codec ? `/${sniff.codec}` : ''}`} (${sniff.reason}), ` +
          'which needs ffmpeg, and no ffmpeg was found. Install one (npm install @ffmpeg-installer/ffmpeg) or set FFMPEG_PATH / { ffmpegPath }.',
        'TLA_ERR_NEEDS_FFMPEG',
        { cause: input.ffmpegProblem() },
      );
    }
    throw new FormatError(`decode: no way to decode ${input.inputLabel} (${sniff.reason}).`, 'TLA_ERR_FORMAT');
  }
  const viaFfmpeg = route.some((s) => s.name === 'ffmpeg');
  const path: DecodePath = viaFfmpeg ? `ffmpeg:${container}` : kind === 'raw' ? 'pcm' : (kind as DecodePath);
  return {
    path,
    sniff,
    steps: route,
    input: viaFfmpeg ? mode : 'stream',
    format: viaFfmpeg ? undefined : (to ?? native),
  };
}

/** The cheapest chain of steps from `start` to `goal` (Dijkstra; the graph has a dozen edges at most). */
function cheapestPath(edges: readonly DecodeStep[], start: string, goal: string): DecodeStep[] | undefined {
  const best = new Map<string, { cost: number; path: DecodeStep[] }>([[start, { cost: 0, path: [] }]]);
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
