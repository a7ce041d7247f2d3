// Pins the public surface: every name each entry point exports (values and types). A change here is an API
// change that semver must keep: make it on purpose, and update README/docs with it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

interface EntryExports {
  /** `value name` / `type name`, sorted. */
  names: string[];
  /** Exported names whose declaration is tagged `@internal`. */
  internal: string[];
}

/** One TypeScript program over every entry file (building one per entry costs seconds each). */
function readExports(entries: string[]): Map<string, EntryExports> {
  const files = entries.map((entry) => path.join(root, entry));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, EntryExports>();
  for (const [i, entry] of entries.entries()) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(files[i]!)!)!;
    const names: string[] = [];
    const internal: string[] = [];
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      // `export { type X }` of a class ships no runtime binding: it is a type to users.
      const typeOnly = (symbol.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
      names.push(`${target.flags & ts.SymbolFlags.Value && !typeOnly ? 'value' : 'type'} ${symbol.name}`);
      if ((target.declarations ?? []).some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'internal'))) internal.push(symbol.name);
    }
    result.set(entry, { names: names.sort(), internal });
  }
  return result;
}

const MAIN = [
  // core
  'value TokenLabAudioError', 'value InputError', 'value FormatError', 'value AbortError', 'value ERROR_CODES', 'type ErrorCode',
  'type PcmEncoding', 'type PcmFormat', 'value pcmFormat', 'value assertPcmFormat', 'value samePcmFormat', 'value describePcmFormat',
  'value REALTIME_PCM', 'value DISCORD_PCM', 'value STT_PCM', 'value MIN_SAMPLE_RATE', 'value MAX_SAMPLE_RATE', 'value MAX_CHANNELS',
  'value bytesPerSample', 'value bytesPerFrame', 'value bytesToFrames', 'value framesToBytes', 'value bytesToMs', 'value msToBytes',
  'value framesToMs', 'value msToFrames',
  'value s16ToF32', 'value f32ToS16', 'value interleave', 'value deinterleave', 'value downmixToMono', 'value upmixFromMono', 'value remixChannels',
  'value RingBuffer', 'type RingBufferOptions', 'type OverflowPolicy',
  'value Resampler', 'value resample', 'type ResamplerOptions', 'type ResampleQuality',
  'type VadEngine', 'value createSileroVad', 'type SileroVadOptions', 'value SileroWeightsError', 'type SileroVersion', 'type SileroSampleRate',
  'value createSpectralVad', 'type SpectralVadOptions', 'value createPreGatedVad', 'type PreGatedVadOptions', 'value createOnnxVad', 'value OnnxRuntimeMissingError', 'type OnnxVadOptions',
  'value Segmenter', 'type SegmenterOptions', 'type SegmenterEvent', 'type SegmenterState', 'type SpeechStartEvent', 'type SpeechEndEvent',
  'type SpeechEndReason', 'type SpeechDiscardEvent',
  'value VadTracker', 'type VadTrackerOptions', 'type VadEngineOption', 'type VadEventFrames',
  // codecs
  'value WavReader', 'type WavReaderOptions', 'type WavTruncation', 'value WavWriter', 'value encodeWav', 'value writeWavFile',
  'type WavWriterOptions', 'type WavFileResult', 'value parseWavHeader', 'type WavHeader', 'type WavCodec',
  'value G711Encoder', 'value G711Decoder', 'type G711TransformOptions', 'type G711Law', 'value g711Encode', 'value g711Decode',
  'value mulawEncode', 'value mulawDecode', 'value alawEncode', 'value alawDecode',
  'value OpusEncoder', 'value OpusDecoder', 'type OpusEncoderOptions', 'type OpusDecoderOptions', 'type OpusCorruptPolicy',
  'type OpusCorruptPacket', 'type OpusSampleRate', 'type OpusFrameDurationMs', 'type OpusHead',
  'value OggOpusDecoder', 'type OggOpusDecoderOptions', 'value OggOpusEncoder', 'type OggOpusEncoderOptions',
  'value WebmOpusDecoder', 'type WebmOpusDecoderOptions', 'value sniffAudio', 'type SniffResult', 'type AudioContainer', 'type AudioCodec',
  'value resolveFfmpeg', 'value probeFfmpeg', 'type ResolvedFfmpeg', 'type FfmpegInfo', 'type FfmpegSource', 'type FfmpegLocateOptions',
  'value FfmpegProcess', 'value runFfmpeg', 'type FfmpegProcessOptions', 'type FfmpegRunResult',
  'value ffmpegArgs', 'value FfmpegArgs', 'type FfmpegInputOptions', 'type FfmpegOutputOptions', 'type FfmpegLogLevel',
  'value FfmpegError', 'value FfmpegNotFoundError', 'type FfmpegCandidate',
  // transports
  'value ApiError', 'value AuthenticationError', 'value BadRequestError', 'value ConnectionError', 'value InsufficientBalanceError',
  'value NotFoundError', 'value PayloadTooLargeError', 'value PermissionDeniedError', 'value RateLimitError', 'value ServerError',
  'value TimeoutError', 'type ApiValidationError', 'value ResponseTooLargeError',
  // api
  'value TokenLab', 'value DEFAULT_BASE_URL', 'type TokenLabOptions', 'type RequestOptions', 'type WithRequestId',
  'type Models', 'type Model', 'type ModelList', 'type ModelListParams', 'type CompactModel', 'type CompactModelList', 'type ModelCategory',
  'type ModelPricing', 'type ModelRequestFormat', 'type ModelTokenLabInfo', 'type RealtimeSupport', 'type RecommendedFor',
  'type Speech', 'value SpeechAudio', 'value SPEECH_PCM_FORMAT', 'type PcmReadable', 'type SpeechCreateParams', 'type SpeechCreateOptions',
  'type SpeechResponseFormat', 'type SpeechSaveResult', 'type SpeechUsage',
  'value splitSpeechInput', 'value MAX_SPEECH_INPUT_CHARS', 'value findSecret', 'value assertNoSecrets', 'type FoundSecret',
  'value DEFAULT_UPLOAD_LIMIT_BYTES', 'type UploadInput',
  'type Transcriptions', 'type Translations', 'type Transcription', 'type TranscriptionCreateParams', 'type TranslationCreateParams',
  'type TranscriptionResponseFormat', 'type TranscriptionSegment', 'type TranscriptionWord', 'type TranscriptionVerbose',
  'type TranscriptionDiarized', 'type TranscriptionUsage', 'type TranscriptionStream', 'type TranscriptionStreamEvent',
  'type UploadProgressEvent', 'type UploadPromise',
  'type Realtime', 'type RealtimeConnectOptions', 'type RealtimeSession', 'type RealtimeCloseInfo', 'type RealtimeCloseInitiator',
  'type RealtimeFunctionCall', 'type RealtimeTurnUsage', 'type RealtimeUsageTotals', 'type RealtimeHistoryEntry', 'type RealtimeSessionEvents',
  'value RealtimeError', 'value RealtimeEventError', 'value RealtimeModelError', 'value RealtimeServerError', 'value RealtimeProtocolError',
  'value RealtimeClosedError', 'value RealtimeOverflowError',
  'type RealtimeDialect', 'type RealtimeAudioFormat', 'type RealtimeTurnDetection', 'type RealtimeServerVad', 'type RealtimeSemanticVad',
  'type RealtimeInputTranscription', 'type RealtimeFunctionTool', 'type RealtimeSessionConfig', 'type RealtimeSessionDescription',
  'type RealtimeConversationItem', 'type RealtimeResponse', 'type RealtimeResponseCreateParams', 'type RealtimeUsage', 'type RealtimeErrorDetails',
  'type RealtimeClientEvent', 'type RealtimeClientEventMap', 'type RealtimeClientEventType', 'type RealtimeServerEvent', 'type RealtimeServerEventMap',
  'type RealtimeServerEventType',
  // streams
  'value decode', 'value DecodeStream', 'type DecodeOptions', 'type DecodeFrom', 'type DecodePath', 'type G711Layout',
  'value encode', 'value EncodeStream', 'type EncodeOptions', 'type EncodeFormat', 'type EncodePath', 'type AudioInput',
  'value convert', 'value convertFile', 'type ConvertOptions', 'type ConvertFileResult',
  'value ResampleStream', 'type ResampleStreamOptions', 'value PacedOutput', 'type PacedOutputOptions', 'type UnderrunPolicy',
  'value mic', 'value MicStream', 'type MicOptions', 'value speaker', 'value SpeakerStream', 'type SpeakerOptions',
  'value AudioDeviceError', 'type AudioBackend',
  'value vadGate', 'value VadGate', 'type VadGateOptions', 'type VadGateEvent',
  'value realtimeDuplex', 'value RealtimeDuplex', 'type RealtimeDuplexOptions', 'type RealtimeTurnMode', 'type RealtimeInterruption',
  'type RealtimeTranscript', 'type RealtimeTurnMetrics',
  'value vadChunker', 'value VadChunker', 'type VadChunkerOptions', 'type VadUtterance',
  'value ttsSource', 'type TtsSource', 'type TtsSourceParams',
  'value transcribeStream', 'value TranscribeStream', 'type TranscribeStreamOptions', 'type TranscribeUtterance', 'type UtteranceTranscript',
  // jobs: batches
  'value runBatch', 'type RunBatchOptions', 'type BatchReport', 'type BatchProgress', 'type BatchStop', 'type BatchStopReason',
  'value runBatchJob', 'type BatchJobResult', 'type BatchJobHooks', 'type RunBatchJobOptions',
  'value batchJobKey', 'type BatchJob', 'type TranscribeBatchJob', 'type SpeakBatchJob',
  'value BatchManifest', 'type BatchRecord', 'type BatchSummaryRecord', 'type BatchItemError',
  'value findAudioFiles', 'type FoundAudioFile', 'value readSpeechList', 'type SpeechListEntry',
  'value planTranscribeJobs', 'value planSpeakJobs', 'type TranscribePlanOptions', 'type SpeakPlanOptions',
  'value BatchOutputError', 'value BatchInputError',
  'value BatchCostMeter', 'type BatchCostMeterOptions', 'type BatchCostEstimate', 'type BatchItemEstimate', 'type BatchItemCost', 'value probeAudioDurationMs', 'type ProbeAudioDurationOptions',
  // cost
  'value CostMeter', 'value summarizeCosts', 'type CostMeterOptions', 'type CostRecord', 'type CostSummary', 'type CostReservation', 'type PricingSource',
  'value costOf', 'type CostEstimate', 'value priceSheetOf', 'type PriceSheet', 'type PricingUnit',
  'value billableUsageOf', 'value addBillableUsage', 'type BillableUsage', 'type TokenUsage', 'type DurationUsage', 'type CharacterUsage', 'type RequestUsage',
  'value expectedTranscriptionUsage', 'value expectedSpeechUsage', 'value AUDIO_INPUT_TOKENS_PER_SECOND', 'value AUDIO_OUTPUT_TOKENS_PER_SECOND', 'type ExpectedUsage',
  'value BudgetExceededError', 'value formatUsd', 'value toSrt', 'value toVtt', 'type SubtitleCue',
  // jobs: long files
  'value transcribeLong', 'value translateLong', 'value DEFAULT_PIECE_CODEC', 'type LongTranscriptionOptions', 'type LongTranscriptionResult', 'type LongJobProgress', 'type LongJobClient',
  'value transcribePiece', 'value readPieceResult', 'type PieceClient', 'type TranscribePieceOptions', 'type TranscribePieceOutcome',
  'value pieceToSourceMs', 'type TranscriptionPieceUnit', 'type TranscriptionPieceResult', 'type PieceSpan', 'type PieceRequest', 'type TimedText',
  'value mergePieceResults', 'value formatLongTranscript', 'type LongTranscript', 'type LongTranscriptFormat', 'type LongTranscriptPiece',
  'value LongTranscriptionError', 'type PieceCodec',
];

const EMULATOR = [
  'value startEmulator', 'type EmulatorOptions', 'type EmulatorHandle', 'type EmulatorFault', 'type EmulatorRequestRecord', 'type EmulatorVoiceEngine',
  'type EmulatorRealtimeOptions', 'type RealtimeResponder', 'type RealtimeReply', 'type RealtimeTurn', 'type RealtimeFault',
];

const DISCORD = [
  'value toDiscord', 'value ToDiscordStream', 'type ToDiscordOptions',
  'value fromDiscord', 'value FromDiscordStream', 'type FromDiscordOptions', 'type FromDiscordStats', 'type DiscordSpeechEvent',
  'value ChannelMixer', 'type ChannelMixerOptions', 'type ChannelMixMode',
  'value DISCORD_SILENCE_PACKET', 'value DISCORD_STREAM_TYPES', 'value isDiscordSilencePacket', 'type DiscordStreamType',
  'value DISCORD_PCM', 'value REALTIME_PCM', 'value STT_PCM',
];

const QUEUE = [
  'value BatchQueue', 'type BatchQueueOptions', 'type InFlightRequest', 'type QueueBatchProgress', 'type QueueBatchReport', 'type QueueSubmitResult', 'type QueueWaitOptions',
  'value startBatchWorker', 'value QUEUE_JOB_ATTEMPTS', 'type BatchWorker', 'type BatchWorkerOptions', 'type LongMergeJobData', 'type LongPieceJobData', 'type PossibleDoubleCharge', 'type QueueJobData',
  'value cutLongQueueJob', 'type CutLongQueueJob', 'type LongQueueJob',
  'value QueueConnectionError', 'value QueueDependencyError', 'value DEFAULT_QUEUE_NAME', 'value parseRedisUrl', 'value queueJobId',
  'type ParsedRedisUrl', 'type QueueJobStatus', 'type QueueRecord',
];

/** Entry file → pinned names. package.json's "exports" must name the same entry points. */
const ENTRIES: Record<string, { file: string; names: string[] }> = {
  '.': { file: 'src/index.ts', names: MAIN },
  './emulator': { file: 'src/emulator/index.ts', names: EMULATOR },
  './discord': { file: 'src/streams/discord/index.ts', names: DISCORD },
  './queue': { file: 'src/queue/index.ts', names: QUEUE },
};

describe('public API', () => {
  const exportsOf = readExports(Object.values(ENTRIES).map((e) => e.file));
  for (const [subpath, { file, names }] of Object.entries(ENTRIES)) {
    it(`${subpath} exports exactly the pinned names`, () => {
      expect(exportsOf.get(file)!.names).toEqual([...names].sort());
    });
    it(`${subpath} exports nothing marked @internal`, () => {
      expect(exportsOf.get(file)!.internal).toEqual([]);
    });
  }

  it('package.json exports name every pinned entry point and nothing else but package.json', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports).filter((k) => k !== './package.json').sort()).toEqual(Object.keys(ENTRIES).sort());
  });

  it('the main entry loads without the optional integrations (no discord or queue packages imported)', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(path.join(root, 'src/index.ts'), 'utf8');
    expect(source).not.toMatch(/^export \*/m);
    expect(source).not.toMatch(/@discordjs|bullmq|ioredis/);
  });

  it('no entry point loads @discordjs/voice, bullmq or ioredis when imported (optional peers load on first use)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = [
      "const { createRequire } = require('node:module');",
      "const Module = require('node:module');",
      'const seen = [];',
      'const load = Module._load;',
      'Module._load = function (request, ...rest) { seen.push(request); return load.call(this, request, ...rest); };',
      `for (const e of ${JSON.stringify(Object.values(ENTRIES).map((e) => e.file))}) require(require('node:path').join(${JSON.stringify(root)}, e));`,
      "console.log(JSON.stringify(seen.filter((r) => /^(@discordjs\\/voice|bullmq|ioredis)/.test(r))));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([]);
  }, 60_000);
});
