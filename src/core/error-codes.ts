/**
 * The registry of every error `code` the toolkit uses. Error constructors take an {@link ErrorCode}, so a
 * code that is not listed here (or is misspelled) does not compile. The README's errors section lists them.
 *
 * Codes are stable: programs may branch on them. `ABORT_ERR` is Node's own code for an abort, kept so that
 * `err.name === 'AbortError'` / `err.code === 'ABORT_ERR'` checks written for Node APIs work on ours too.
 */
export const ERROR_CODES = {
  TLA_ERR: 'An error of the toolkit with no more specific code.',
  ABORT_ERR: "The caller's AbortSignal fired; `cause` is the signal's reason.",

  // Caller input (InputError)
  TLA_ERR_INPUT: 'Something the caller passed is unusable.',
  TLA_ERR_INPUT_API_KEY: 'No API key: set TOKENLAB_API_KEY or pass { apiKey }.',
  TLA_ERR_INPUT_BASE_URL: 'The base URL is malformed or not http(s).',
  TLA_ERR_INPUT_CLOSED: 'The client was closed before this call.',
  TLA_ERR_INPUT_FILE: 'An input file is missing, a directory, empty or not audio.',
  TLA_ERR_INPUT_MODEL: 'The model id is malformed, unknown, or lacks the capability the call needs.',
  TLA_ERR_INPUT_OPTION: 'An option has a wrong type or value.',
  TLA_ERR_INPUT_OUTPUT: 'The output path cannot be written (missing directory, not writable, is a directory).',
  TLA_ERR_INPUT_PREMATURE_CLOSE: 'An input stream closed without ending or failing.',
  TLA_ERR_INPUT_SECRET: 'Speech input contains something that looks like a secret or a private URL.',
  TLA_ERR_INPUT_SPEECH: 'A speech request is invalid (empty input, bad voice, format or speed).',
  TLA_ERR_INPUT_TOO_LARGE: 'An upload is larger than the API accepts.',
  TLA_ERR_INPUT_TRANSCRIPTION: 'A transcription or translation request is invalid.',
  TLA_ERR_SPOOL_LIMIT: 'An input that must be copied to a temporary file before decoding is larger than spoolLimitBytes.',
  TLA_ERR_INPUT_UNREADABLE: 'An input could not be read (I/O error).',
  TLA_ERR_INPUT_UTTERANCE: 'An utterance object is not what the transcribe stream expects.',
  TLA_ERR_USAGE: 'A command-line usage error.',
  TLA_ERR_WRITE_AFTER_END: 'A stream was written after end().',
  TLA_ERR_DESTROYED: 'A stream was used after it was destroyed.',

  // Audio data and formats (FormatError)
  TLA_ERR_FORMAT: 'Audio bytes or a declared audio format are not what they claim to be.',
  TLA_ERR_EMPTY_INPUT: 'The input held no bytes.',
  TLA_ERR_NOT_AUDIO: 'The input is not a recognised audio or video container.',
  TLA_ERR_NEEDS_FFMPEG: 'Decoding this input needs ffmpeg.',
  TLA_ERR_PCM_FORMAT: 'A PCM format (rate, channels, encoding) is invalid or unsupported here.',
  TLA_ERR_PCM_LAYOUT_UNKNOWN: 'Raw PCM was given without its layout.',
  TLA_ERR_TRUNCATED: 'The input ended inside a frame or before its announced length.',
  TLA_ERR_DECODE_DAMAGED: 'Damaged data (bad Ogg CRCs, undecodable packets, errors ffmpeg reported); the audio decoded was delivered first.',
  TLA_ERR_NO_AUDIO: 'Decoding a non-empty input produced no audio at all.',
  TLA_ERR_WAV_HEADER: 'A WAV header is damaged.',
  TLA_ERR_WAV_TRUNCATED: 'A WAV file ends before its header says it should.',
  TLA_ERR_WAV_UNSUPPORTED: 'A WAV encoding this reader does not decode (compressed WAV).',
  TLA_ERR_NOT_WAV: 'The input is not WAV.',
  TLA_ERR_NOT_OGG: 'The input is not Ogg.',
  TLA_ERR_OGG_NOT_OPUS: 'An Ogg stream that does not carry Opus.',
  TLA_ERR_OGG_TRUNCATED: 'An Ogg stream ends inside a page or packet.',
  TLA_ERR_NOT_WEBM: 'The input is not WebM/Matroska.',
  TLA_ERR_WEBM_NOT_OPUS: 'A WebM file without an Opus track.',
  TLA_ERR_WEBM_DAMAGED: 'A WebM file whose structure is damaged.',
  TLA_ERR_WEBM_TRUNCATED: 'A WebM file that ends inside an element.',
  TLA_ERR_OPUS_HEAD: 'An OpusHead header is missing or invalid.',
  TLA_ERR_OPUS_PACKET: 'An Opus packet is invalid.',
  TLA_ERR_OPUS_UNSUPPORTED: 'An Opus stream this decoder does not support (channel mapping, rate).',

  // Core engines
  TLA_ERR_RESAMPLER_QUALITY: 'A resampler quality or rate option is invalid.',
  TLA_ERR_RESAMPLER_INPUT: 'Resampler input or output is not a Float32Array/Int16Array of whole frames, the two differ in type, or the output is too small.',
  TLA_ERR_RING_OPTIONS: 'A ring buffer option is invalid.',
  TLA_ERR_RING_RANGE: 'A ring buffer read or write outside its range.',
  TLA_ERR_SILERO_WEIGHTS: 'The Silero VAD weights are missing or damaged.',
  TLA_ERR_ONNXRUNTIME_MISSING: 'onnxruntime-node is not installed (needed for the ONNX VAD engine).',
  TLA_ERR_VAD_FRAME: 'A VAD frame has the wrong length.',
  TLA_ERR_VAD_OPTIONS: 'A VAD option is invalid.',

  // ffmpeg and devices
  TLA_ERR_FFMPEG: 'ffmpeg failed; the message has the tail of its stderr.',
  TLA_ERR_FFMPEG_ERROR_OUTPUT: 'ffmpeg exited with 0 but printed errors (its output is incomplete).',
  TLA_ERR_FFMPEG_NOT_FOUND: 'No ffmpeg binary was found (the message lists every place tried).',
  TLA_ERR_AUDIO_DEVICE: 'A microphone or speaker could not be opened or failed.',

  // Discord voice (tokenlab-audio/discord)
  TLA_ERR_DISCORD_INPUT: 'toDiscord/fromDiscord got the wrong kind of stream (PCM vs Opus packets) or a PCM source of unknown format.',
  TLA_ERR_DISCORD_SOURCE_FAILED: "toDiscord's PCM source failed or closed before it ended (raised after the audio that arrived was played).",
  TLA_ERR_DISCORD_RECEIVE_FAILED: "fromDiscord's receive stream failed; `cause` is its error.",

  // The API (ApiError and subclasses)
  TLA_ERR_API: 'The API answered with an error.',
  TLA_ERR_API_AUTHENTICATION: '401: the API key is missing, invalid or revoked.',
  TLA_ERR_API_BAD_REQUEST: '400/422: the request was refused as invalid.',
  TLA_ERR_API_BAD_RESPONSE: 'The API answered 2xx with something unusable (wrong type, malformed, empty).',
  TLA_ERR_API_CONNECTION: 'The connection failed or was cut.',
  TLA_ERR_API_INSUFFICIENT_BALANCE: '402: the account balance does not cover the request.',
  TLA_ERR_API_NOT_FOUND: '404: unknown model or route.',
  TLA_ERR_API_PAYLOAD_TOO_LARGE: '413: the upload is over the size limit.',
  TLA_ERR_API_PERMISSION_DENIED: '403: the key lacks permission.',
  TLA_ERR_API_RATE_LIMIT: '429: rate limited; `retryAfterMs` says how long to wait.',
  TLA_ERR_API_REDIRECT: 'A redirect to another origin was refused (the key is never sent elsewhere).',
  TLA_ERR_API_SERVER: '5xx: the server failed.',
  TLA_ERR_API_TIMEOUT: 'No answer, or no progress, within the time allowed, or the call\'s overall deadline passed.',
  TLA_ERR_API_RESPONSE_TOO_LARGE: 'A response body (or one SSE line or event) is larger than the client buffers; the message says what arrived.',
  TLA_ERR_API_INCOMPLETE: 'A 2xx response ended before what it announced (WAV data length, stream end event).',
  TLA_ERR_API_BAD_ENCODING: 'A text response is not valid UTF-8; the lossy text is in `raw`.',

  // Realtime sessions (RealtimeError and subclasses; upgrade failures are the ApiError codes above)
  TLA_ERR_REALTIME: 'A realtime session failed.',
  TLA_ERR_REALTIME_EVENT: 'A realtime client event is invalid for its dialect; it was not sent.',
  TLA_ERR_REALTIME_MODEL: 'The model cannot open a realtime session (per the catalog).',
  TLA_ERR_REALTIME_SERVER_EVENT: 'The realtime server sent an error event (the socket stays usable).',
  TLA_ERR_REALTIME_PROTOCOL: 'A realtime frame was not JSON, malformed, or of an unknown type.',
  TLA_ERR_REALTIME_CLOSED: 'The realtime session is closed.',
  TLA_ERR_REALTIME_OVERFLOW: 'A bounded realtime queue is full.',
  // Jobs: long files, batches, cost, the queue
  TLA_ERR_LONG_PIECE: 'A piece of a long-file job could not be made or transcribed (over the size limit, work lost).',
  TLA_ERR_LONG_INCOMPLETE: 'A long-file job ended with pieces unfinished; rerun it to do only those.',
  TLA_ERR_NO_SPEECH: 'The input holds no speech to transcribe.',
  TLA_ERR_BATCH_INPUT: 'A batch input (directory, glob, text/CSV/JSONL list) is unusable.',
  TLA_ERR_BATCH_OUTPUT: 'A batch could not write an output or its manifest; finished items are kept.',
  TLA_ERR_BATCH_STOPPED: 'A batch item was not started because the batch stopped (balance, budget, abort).',
  TLA_ERR_BUDGET_EXCEEDED: 'The next billable call would pass the cost cap; nothing over it was sent.',
  TLA_ERR_BUDGET_UNPRICED: 'A cost cap cannot be kept because a price or usage is unknown.',
  TLA_ERR_QUEUE_DEPENDENCY: 'The queue needs the optional bullmq package: npm install bullmq.',
  TLA_ERR_QUEUE_CONNECTION: 'Redis could not be reached or failed.',
  TLA_ERR_QUEUE_JOB_FAILED: 'The queue gave a job up after its attempts.',
} as const satisfies Record<string, string>;

/** Every error code of the toolkit (see {@link ERROR_CODES} for what each means). */
export type ErrorCode = keyof typeof ERROR_CODES;
