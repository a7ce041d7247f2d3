// Public face of tokenlab-audio: every name here is API that semver keeps, chosen on purpose (no `export *`).
// test/public-api.test.ts pins the list: a change to it must be deliberate. Ordered by layer (core, codecs,
// transports, api, streams). Subpaths: `tokenlab-audio/emulator` (the offline API server).

// core: errors, PCM formats and conversions, ring buffer, resampler, VAD engines and segmenter
export { TokenLabAudioError, InputError, FormatError, AbortError } from './core/errors.js';
export { ERROR_CODES, type ErrorCode } from './core/error-codes.js';
export {
  type PcmEncoding,
  type PcmFormat,
  pcmFormat,
  assertPcmFormat,
  samePcmFormat,
  describePcmFormat,
  REALTIME_PCM,
  DISCORD_PCM,
  STT_PCM,
  MIN_SAMPLE_RATE,
  MAX_SAMPLE_RATE,
  MAX_CHANNELS,
  bytesPerSample,
  bytesPerFrame,
  bytesToFrames,
  framesToBytes,
  bytesToMs,
  msToBytes,
  framesToMs,
  msToFrames,
} from './core/pcm/pcm-format.js';
export { s16ToF32, f32ToS16, interleave, deinterleave, downmixToMono, upmixFromMono, remixChannels } from './core/pcm/pcm-convert.js';
export { RingBuffer, type RingBufferOptions, type OverflowPolicy } from './core/ring-buffer/ring-buffer.js';
export { Resampler, resample, type ResamplerOptions, type ResampleQuality } from './core/resampler/resampler.js';
export type { VadEngine } from './core/vad/vad-engine.js';
export { createSileroVad, type SileroVadOptions } from './core/vad/silero-vad.js';
export { SileroWeightsError, type SileroVersion, type SileroSampleRate } from './core/vad/silero-weights.js';
export { createSpectralVad, type SpectralVadOptions } from './core/vad/spectral-vad.js';
export { createPreGatedVad, type PreGatedVadOptions } from './core/vad/pre-gated-vad.js';
export { createOnnxVad, OnnxRuntimeMissingError, type OnnxVadOptions } from './core/vad/onnx-engine.js';
export {
  Segmenter,
  type SegmenterOptions,
  type SegmenterEvent,
  type SegmenterState,
  type SpeechStartEvent,
  type SpeechEndEvent,
  type SpeechEndReason,
  type SpeechDiscardEvent,
} from './core/vad/segmenter.js';
export { VadTracker, type VadTrackerOptions, type VadEngineOption, type VadEventFrames } from './core/vad/vad-tracker.js';

// codecs: WAV, G.711, Ogg/WebM Opus, sniffing, ffmpeg
export { WavReader, type WavReaderOptions, type WavTruncation } from './codecs/wav/wav-reader.js';
export { WavWriter, encodeWav, writeWavFile, type WavWriterOptions, type WavFileResult } from './codecs/wav/wav-writer.js';
export { parseWavHeader, type WavHeader, type WavCodec } from './codecs/wav/wav-header.js';
export { G711Encoder, G711Decoder, type G711TransformOptions } from './codecs/g711/g711-transform.js';
export { type G711Law, g711Encode, g711Decode, mulawEncode, mulawDecode, alawEncode, alawDecode } from './codecs/g711/g711.js';
export {
  OpusEncoder,
  OpusDecoder,
  type OpusEncoderOptions,
  type OpusDecoderOptions,
  type OpusCorruptPolicy,
  type OpusCorruptPacket,
  type OpusSampleRate,
  type OpusFrameDurationMs,
  type OpusHead,
} from './codecs/opus/opus.js';
export { OggOpusDecoder, type OggOpusDecoderOptions } from './codecs/ogg/ogg-opus-decoder.js';
export { OggOpusEncoder, type OggOpusEncoderOptions } from './codecs/ogg/ogg-opus-encoder.js';
export { WebmOpusDecoder, type WebmOpusDecoderOptions } from './codecs/opus/webm-opus-decoder.js';
export { sniffAudio, type SniffResult, type AudioContainer, type AudioCodec } from './codecs/sniff.js';
export { resolveFfmpeg, probeFfmpeg, type ResolvedFfmpeg, type FfmpegInfo, type FfmpegSource, type FfmpegLocateOptions } from './codecs/ffmpeg/ffmpeg-resolve.js';
export { FfmpegProcess, runFfmpeg, type FfmpegProcessOptions, type FfmpegRunResult } from './codecs/ffmpeg/ffmpeg-process.js';
export { ffmpegArgs, FfmpegArgs, type FfmpegInputOptions, type FfmpegOutputOptions, type FfmpegLogLevel } from './codecs/ffmpeg/ffmpeg-args.js';
export { FfmpegError, FfmpegNotFoundError, type FfmpegCandidate } from './codecs/ffmpeg/ffmpeg-errors.js';

// transports: the API error family
export {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InsufficientBalanceError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ResponseTooLargeError,
  ServerError,
  TimeoutError,
  type ApiValidationError,
} from './transports/http-errors.js';

// api: the client
export { TokenLab, DEFAULT_BASE_URL, type TokenLabOptions } from './client.js';
export type { RequestOptions, WithRequestId } from './api/request-options.js';
export { type Realtime, type RealtimeConnectOptions } from './api/realtime/realtime.js';
export {
  type RealtimeSession,
  type RealtimeCloseInfo,
  type RealtimeCloseInitiator,
  type RealtimeFunctionCall,
  type RealtimeTurnUsage,
  type RealtimeUsageTotals,
  type RealtimeHistoryEntry,
  type RealtimeSessionEvents,
} from './api/realtime/realtime-session.js';
export {
  RealtimeError,
  RealtimeEventError,
  RealtimeModelError,
  RealtimeServerError,
  RealtimeProtocolError,
  RealtimeClosedError,
  RealtimeOverflowError,
} from './api/realtime/realtime-errors.js';
export type {
  RealtimeDialect,
  RealtimeAudioFormat,
  RealtimeTurnDetection,
  RealtimeServerVad,
  RealtimeSemanticVad,
  RealtimeInputTranscription,
  RealtimeFunctionTool,
  RealtimeSessionConfig,
  RealtimeSessionDescription,
  RealtimeConversationItem,
  RealtimeResponse,
  RealtimeResponseCreateParams,
  RealtimeUsage,
  RealtimeErrorDetails,
  RealtimeClientEvent,
  RealtimeClientEventMap,
  RealtimeClientEventType,
  RealtimeServerEvent,
  RealtimeServerEventMap,
  RealtimeServerEventType,
} from './api/realtime/events.js';
export {
  type Models,
  type Model,
  type ModelList,
  type ModelListParams,
  type CompactModel,
  type CompactModelList,
  type ModelCategory,
  type ModelPricing,
  type ModelRequestFormat,
  type ModelTokenLabInfo,
  type RealtimeSupport,
  type RecommendedFor,
} from './api/models.js';
export { type Speech } from './api/speech/speech.js';
export { SpeechAudio, type PcmReadable, type SpeechSaveResult, type SpeechUsage } from './api/speech/speech-audio.js';
export { SPEECH_PCM_FORMAT } from './api/speech/speech-format.js';
export { type SpeechCreateParams, type SpeechCreateOptions, type SpeechResponseFormat } from './api/speech/speech-params.js';
export { splitSpeechInput, MAX_SPEECH_INPUT_CHARS } from './api/speech/split-speech-input.js';
export { findSecret, assertNoSecrets, type FoundSecret } from './api/speech/secret-guard.js';
export { DEFAULT_UPLOAD_LIMIT_BYTES, type UploadInput } from './api/audio-upload.js';
export {
  type Transcriptions,
  type Translations,
  type Transcription,
  type TranscriptionCreateParams,
  type TranslationCreateParams,
  type TranscriptionResponseFormat,
  type TranscriptionSegment,
  type TranscriptionWord,
  type TranscriptionVerbose,
  type TranscriptionDiarized,
  type TranscriptionUsage,
  type TranscriptionStream,
  type TranscriptionStreamEvent,
  type UploadProgressEvent,
  type UploadPromise,
} from './api/transcriptions.js';

// streams: decode/encode, resample, paced output, devices, VAD, speech and transcription
export { decode, DecodeStream, type DecodeOptions, type DecodeFrom, type DecodePath, type G711Layout } from './streams/decode.js';
export { encode, EncodeStream, type EncodeOptions, type EncodeFormat, type EncodePath } from './streams/encode.js';
export { convert, convertFile, type ConvertOptions, type ConvertFileResult } from './streams/convert.js';
export type { AudioInput } from './streams/input-source.js';
export { ResampleStream, type ResampleStreamOptions } from './streams/resample-stream.js';
export { PacedOutput, type PacedOutputOptions, type UnderrunPolicy } from './streams/paced-output.js';
export { mic, MicStream, type MicOptions } from './streams/devices/mic.js';
export { speaker, SpeakerStream, type SpeakerOptions } from './streams/devices/speaker.js';
export { AudioDeviceError } from './streams/devices/audio-device-error.js';
export type { AudioBackend } from './streams/devices/device-args.js';
export { vadGate, VadGate, type VadGateOptions, type VadGateEvent } from './streams/vad-gate.js';
export {
  realtimeDuplex,
  RealtimeDuplex,
  type RealtimeDuplexOptions,
  type RealtimeTurnMode,
  type RealtimeInterruption,
  type RealtimeTranscript,
  type RealtimeTurnMetrics,
} from './streams/realtime-duplex.js';
export { vadChunker, VadChunker, type VadChunkerOptions, type VadUtterance } from './streams/vad-chunker.js';
export { ttsSource, type TtsSource, type TtsSourceParams } from './streams/tts-source.js';
export {
  transcribeStream,
  TranscribeStream,
  type TranscribeStreamOptions,
  type TranscribeUtterance,
  type UtteranceTranscript,
} from './streams/transcribe-stream.js';

// jobs: batches (many files or texts, a manifest, resumable); spreading them over machines is tokenlab-audio/queue
export { runBatch, type RunBatchOptions, type BatchReport, type BatchProgress, type BatchStop, type BatchStopReason } from './jobs/batch/run-batch.js';
export { runBatchJob, type BatchJobResult, type BatchJobHooks, type RunBatchJobOptions } from './jobs/batch/run-batch-job.js';
export { batchJobKey, type BatchJob, type TranscribeBatchJob, type SpeakBatchJob } from './jobs/batch/batch-job.js';
export { BatchManifest, type BatchRecord, type BatchSummaryRecord, type BatchItemError } from './jobs/batch/batch-manifest.js';
export { findAudioFiles, type FoundAudioFile } from './jobs/batch/find-audio-files.js';
export { readSpeechList, type SpeechListEntry } from './jobs/batch/read-speech-list.js';
export { planTranscribeJobs, planSpeakJobs, type TranscribePlanOptions, type SpeakPlanOptions } from './jobs/batch/plan-batch-jobs.js';
export { BatchOutputError, BatchInputError } from './jobs/batch/batch-errors.js';
export { BatchCostMeter, type BatchCostMeterOptions, type BatchCostEstimate, type BatchItemEstimate, type BatchItemCost } from './jobs/batch/batch-cost.js';
export { probeAudioDurationMs, type ProbeAudioDurationOptions } from './jobs/batch/probe-audio-duration.js';

// cost: prices from the catalog, usage from answers, a meter with a budget cap
export { CostMeter, summarizeCosts, type CostMeterOptions, type CostRecord, type CostSummary, type CostReservation, type PricingSource } from './api/cost/cost-meter.js';
export { costOf, type CostEstimate } from './api/cost/cost-of.js';
export { priceSheetOf, type PriceSheet, type PricingUnit } from './api/cost/price-sheet.js';
export { billableUsageOf, addBillableUsage, type BillableUsage, type TokenUsage, type DurationUsage, type CharacterUsage, type RequestUsage } from './api/cost/billable-usage.js';
export { expectedTranscriptionUsage, expectedSpeechUsage, AUDIO_INPUT_TOKENS_PER_SECOND, AUDIO_OUTPUT_TOKENS_PER_SECOND, type ExpectedUsage } from './api/cost/estimate-usage.js';
export { BudgetExceededError, formatUsd } from './api/cost/budget-exceeded-error.js';
export { toSrt, toVtt, type SubtitleCue } from './api/subtitle-format.js';

// jobs: long files past the upload limit (resumable; pieces are units of work a queue can carry)
export {
  transcribeLong,
  translateLong,
  DEFAULT_PIECE_CODEC,
  type LongTranscriptionOptions,
  type LongTranscriptionResult,
  type LongJobProgress,
  type LongJobClient,
} from './jobs/long-transcription/transcribe-long.js';
export { transcribePiece, readPieceResult, type PieceClient, type TranscribePieceOptions, type TranscribePieceOutcome } from './jobs/long-transcription/transcribe-piece.js';
export { pieceToSourceMs, type TranscriptionPieceUnit, type TranscriptionPieceResult, type PieceSpan, type PieceRequest, type TimedText } from './jobs/long-transcription/piece-unit.js';
export { mergePieceResults, formatLongTranscript, type LongTranscript, type LongTranscriptFormat, type LongTranscriptPiece } from './jobs/long-transcription/merge-transcript.js';
export { LongTranscriptionError } from './jobs/long-transcription/long-transcription-error.js';
export type { PieceCodec } from './jobs/long-transcription/piece-cutter.js';
