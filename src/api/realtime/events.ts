/**
 * Types of the realtime protocol's events, in the GA dialect (OpenAI Realtime GA, which TokenLab proxies), from
 * `docs/spec/openai-audio-realtime.subset.yaml` (`RealtimeClientEvent*`, `RealtimeServerEvent*`). Application code
 * is written against these; the beta dialect (`OpenAI-Beta: realtime=v1`) is translated at the edge by
 * `dialect.ts`, whose own wire shapes are typed at the end of this file.
 *
 * Objects the server sends may carry fields this version does not know: every object type is open for reading
 * (unknown fields are kept, never dropped by the translation).
 */

/** Which protocol dialect a socket speaks: `ga` (default) or `beta` (`OpenAI-Beta: realtime=v1`). */
export type RealtimeDialect = 'ga' | 'beta';

// ---------------------------------------------------------------------------------------------------------------
// Session configuration

/** An audio format of the GA dialect: PCM16 mono little-endian at 24 kHz, G.711 µ-law or A-law (both 8 kHz). */
export type RealtimeAudioFormat = { type: 'audio/pcm'; rate?: 24000 } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };

/** Server VAD turn detection: the server detects speech by volume and commits the buffer when it stops. */
export interface RealtimeServerVad {
  type: 'server_vad';
  /** Activation threshold 0..1 (default 0.5). */
  threshold?: number;
  /** Audio kept before detected speech, ms (default 300). */
  prefix_padding_ms?: number;
  /** Silence that ends a turn, ms (default 500). */
  silence_duration_ms?: number;
  /** Ask for a response when a turn ends (default true). */
  create_response?: boolean;
  /** Cancel the current response when speech starts (default true). */
  interrupt_response?: boolean;
  /** Ask for a response after this long without speech, 5000..30000 ms, or null (off). */
  idle_timeout_ms?: number | null;
}

/** Semantic VAD turn detection: a model decides when the user finished speaking. */
export interface RealtimeSemanticVad {
  type: 'semantic_vad';
  /** How soon to end a turn: low / medium / high (max wait 8 / 4 / 2 s); `auto` = medium. */
  eagerness?: 'low' | 'medium' | 'high' | 'auto';
  create_response?: boolean;
  interrupt_response?: boolean;
}

/** Turn detection; `null` means the client commits the buffer and asks for responses itself. */
export type RealtimeTurnDetection = RealtimeServerVad | RealtimeSemanticVad | null;

/** Input transcription settings (`audio.input.transcription`). */
export interface RealtimeInputTranscription {
  model?: string;
  language?: string;
  languages?: string[];
  keywords?: string[];
  prompt?: string;
  delay?: 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
  [key: string]: unknown;
}

/** A function the model may call. */
export interface RealtimeFunctionTool {
  type: 'function';
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
}

/** A tool choice: `auto`, `none`, `required`, or one named function. */
export type RealtimeToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string } | { type: 'mcp'; server_label: string; name?: string };

/** A voice id, or a custom voice. */
export type RealtimeVoice = string | { id: string };

/** The audio part of a GA session. */
export interface RealtimeSessionAudio {
  input?: {
    format?: RealtimeAudioFormat;
    transcription?: RealtimeInputTranscription | null;
    noise_reduction?: { type?: 'near_field' | 'far_field' } | null;
    turn_detection?: RealtimeTurnDetection;
  };
  output?: {
    format?: RealtimeAudioFormat;
    voice?: RealtimeVoice;
    /** 0.25..1.5 (default 1). */
    speed?: number;
  };
}

/** The `session` of a GA `session.update` (only present fields change). */
export interface RealtimeSessionConfig {
  /** `realtime` for a conversation session, `transcription` for a transcription-only one. */
  type: 'realtime' | 'transcription';
  /** `['audio']` (audio with its transcript, the default) or `['text']`. */
  output_modalities?: Array<'text' | 'audio'>;
  model?: string;
  instructions?: string;
  audio?: RealtimeSessionAudio;
  include?: Array<'item.input_audio_transcription.logprobs'>;
  tracing?: 'auto' | { workflow_name?: string; group_id?: string; metadata?: Record<string, unknown> } | null;
  tools?: Array<RealtimeFunctionTool | Record<string, unknown>>;
  tool_choice?: RealtimeToolChoice;
  parallel_tool_calls?: boolean;
  reasoning?: { effort?: string; [key: string]: unknown };
  max_output_tokens?: number | 'inf';
  truncation?: unknown;
  prompt?: unknown;
  [key: string]: unknown;
}

/** A session as the server describes it (`session.created` / `session.updated`). */
export interface RealtimeSessionDescription extends RealtimeSessionConfig {
  id: string;
  object: 'realtime.session' | string;
  /** Unix time (s) at which the server will end the session. */
  expires_at?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Conversation items and responses

/** A content part of a message item (GA names: `input_*` for user/system, `output_*` for assistant). */
export interface RealtimeContentPart {
  type: 'input_text' | 'input_audio' | 'input_image' | 'output_text' | 'output_audio' | string;
  text?: string;
  /** Base64 audio (items created by the client only). */
  audio?: string;
  transcript?: string | null;
  image_url?: string;
  [key: string]: unknown;
}

/** A message in the conversation. */
export interface RealtimeMessageItem {
  type: 'message';
  id?: string;
  object?: 'realtime.item';
  status?: 'completed' | 'incomplete' | 'in_progress';
  role: 'user' | 'assistant' | 'system';
  content: RealtimeContentPart[];
  [key: string]: unknown;
}

/** The model calling a function. */
export interface RealtimeFunctionCallItem {
  type: 'function_call';
  id?: string;
  object?: 'realtime.item';
  status?: 'completed' | 'incomplete' | 'in_progress';
  call_id?: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
  [key: string]: unknown;
}

/** The output of a function call, given back by the client. */
export interface RealtimeFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  object?: 'realtime.item';
  status?: 'completed' | 'incomplete' | 'in_progress';
  call_id: string;
  output: string;
  [key: string]: unknown;
}

/** Other item kinds (MCP calls, approvals, tool lists), kept as the server sent them. */
export interface RealtimeOtherItem {
  type: 'mcp_call' | 'mcp_list_tools' | 'mcp_approval_request' | 'mcp_approval_response';
  id?: string;
  [key: string]: unknown;
}

/** A conversation item. */
export type RealtimeConversationItem = RealtimeMessageItem | RealtimeFunctionCallItem | RealtimeFunctionCallOutputItem | RealtimeOtherItem;

/** Token usage of one response (`response.done`). */
export interface RealtimeUsage {
  total_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  input_token_details?: {
    cached_tokens?: number;
    text_tokens?: number;
    image_tokens?: number;
    audio_tokens?: number;
    cached_tokens_details?: { text_tokens?: number; image_tokens?: number; audio_tokens?: number };
  };
  output_token_details?: { text_tokens?: number; audio_tokens?: number };
}

/** Status of a response. */
export type RealtimeResponseStatus = 'completed' | 'cancelled' | 'failed' | 'incomplete' | 'in_progress';

/** A response, as `response.created` / `response.done` carry it. */
export interface RealtimeResponse {
  id: string;
  object?: 'realtime.response';
  status?: RealtimeResponseStatus;
  status_details?: {
    type?: 'completed' | 'cancelled' | 'failed' | 'incomplete';
    reason?: 'turn_detected' | 'client_cancelled' | 'max_output_tokens' | 'content_filter' | string;
    error?: { type?: string; code?: string };
  } | null;
  output?: RealtimeConversationItem[];
  metadata?: Record<string, string> | null;
  audio?: { output?: { format?: RealtimeAudioFormat; voice?: RealtimeVoice } };
  usage?: RealtimeUsage | null;
  conversation_id?: string;
  output_modalities?: Array<'text' | 'audio'>;
  max_output_tokens?: number | 'inf';
  [key: string]: unknown;
}

/** Parameters of `response.create` (all optional; the session's settings apply otherwise). */
export interface RealtimeResponseCreateParams {
  output_modalities?: Array<'text' | 'audio'>;
  instructions?: string;
  audio?: { output?: { format?: RealtimeAudioFormat; voice?: RealtimeVoice } };
  tools?: Array<RealtimeFunctionTool | Record<string, unknown>>;
  tool_choice?: RealtimeToolChoice;
  parallel_tool_calls?: boolean;
  reasoning?: { effort?: string; [key: string]: unknown };
  max_output_tokens?: number | 'inf';
  /** `auto` (the default conversation) or `none` (an out-of-band response). */
  conversation?: 'auto' | 'none' | string;
  metadata?: Record<string, string>;
  prompt?: unknown;
  /** Items to use as input instead of the conversation. */
  input?: RealtimeConversationItem[];
  [key: string]: unknown;
}

/** The `error` object of an `error` event. */
export interface RealtimeErrorDetails {
  type: string;
  code?: string | null;
  message: string;
  param?: string | null;
  /** The `event_id` of the client event that caused it, when it was one. */
  event_id?: string | null;
}

/** One entry of `rate_limits.updated`. */
export interface RealtimeRateLimit {
  name?: 'requests' | 'tokens' | string;
  limit?: number;
  remaining?: number;
  reset_seconds?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Client events (GA)

interface ClientEventBase {
  /** Optional id (≤ 512 chars) the server echoes in an `error` caused by this event. */
  event_id?: string;
}

export interface SessionUpdateEvent extends ClientEventBase {
  type: 'session.update';
  session: RealtimeSessionConfig;
}
export interface InputAudioBufferAppendEvent extends ClientEventBase {
  type: 'input_audio_buffer.append';
  /** Base64 audio in the session's input format; at most 15 MiB per event. */
  audio: string;
}
export interface InputAudioBufferCommitEvent extends ClientEventBase {
  type: 'input_audio_buffer.commit';
}
export interface InputAudioBufferClearEvent extends ClientEventBase {
  type: 'input_audio_buffer.clear';
}
export interface OutputAudioBufferClearEvent extends ClientEventBase {
  type: 'output_audio_buffer.clear';
}
export interface ConversationItemCreateEvent extends ClientEventBase {
  type: 'conversation.item.create';
  previous_item_id?: string | null;
  item: RealtimeConversationItem;
}
export interface ConversationItemRetrieveEvent extends ClientEventBase {
  type: 'conversation.item.retrieve';
  item_id: string;
}
export interface ConversationItemDeleteEvent extends ClientEventBase {
  type: 'conversation.item.delete';
  item_id: string;
}
export interface ConversationItemTruncateEvent extends ClientEventBase {
  type: 'conversation.item.truncate';
  item_id: string;
  content_index: number;
  /** Audio played before the interruption, ms (≥ 1 and ≤ the item's audio). */
  audio_end_ms: number;
}
export interface ResponseCreateEvent extends ClientEventBase {
  type: 'response.create';
  response?: RealtimeResponseCreateParams;
}
export interface ResponseCancelEvent extends ClientEventBase {
  type: 'response.cancel';
  response_id?: string;
}

/** Every client event of the GA dialect, by `type`. */
export interface RealtimeClientEventMap {
  'session.update': SessionUpdateEvent;
  'input_audio_buffer.append': InputAudioBufferAppendEvent;
  'input_audio_buffer.commit': InputAudioBufferCommitEvent;
  'input_audio_buffer.clear': InputAudioBufferClearEvent;
  'output_audio_buffer.clear': OutputAudioBufferClearEvent;
  'conversation.item.create': ConversationItemCreateEvent;
  'conversation.item.retrieve': ConversationItemRetrieveEvent;
  'conversation.item.delete': ConversationItemDeleteEvent;
  'conversation.item.truncate': ConversationItemTruncateEvent;
  'response.create': ResponseCreateEvent;
  'response.cancel': ResponseCancelEvent;
}

/** A client event of the GA dialect. */
export type RealtimeClientEvent = RealtimeClientEventMap[keyof RealtimeClientEventMap];
/** The `type` of a GA client event. */
export type RealtimeClientEventType = keyof RealtimeClientEventMap;

/** Every GA client event type (for validation and tests). */
export const REALTIME_CLIENT_EVENT_TYPES: readonly RealtimeClientEventType[] = [
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'output_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.retrieve',
  'conversation.item.delete',
  'conversation.item.truncate',
  'response.create',
  'response.cancel',
];

// ---------------------------------------------------------------------------------------------------------------
// Server events (GA)

interface ServerEventBase {
  event_id: string;
}
interface ResponsePartRef {
  response_id: string;
  item_id: string;
  output_index: number;
  content_index: number;
}

export interface ErrorEvent extends ServerEventBase {
  type: 'error';
  error: RealtimeErrorDetails;
}
export interface SessionCreatedEvent extends ServerEventBase {
  type: 'session.created';
  session: RealtimeSessionDescription;
}
export interface SessionUpdatedEvent extends ServerEventBase {
  type: 'session.updated';
  session: RealtimeSessionDescription;
}
export interface ConversationCreatedEvent extends ServerEventBase {
  type: 'conversation.created';
  conversation: { id?: string; object?: 'realtime.conversation'; [key: string]: unknown };
}
export interface ConversationItemAddedEvent extends ServerEventBase {
  type: 'conversation.item.added';
  previous_item_id?: string | null;
  item: RealtimeConversationItem;
}
export interface ConversationItemDoneEvent extends ServerEventBase {
  type: 'conversation.item.done';
  previous_item_id?: string | null;
  item: RealtimeConversationItem;
}
/** Still in the GA schema; GA servers send `added` + `done` instead. */
export interface ConversationItemCreatedEvent extends ServerEventBase {
  type: 'conversation.item.created';
  previous_item_id?: string | null;
  item: RealtimeConversationItem;
}
export interface ConversationItemRetrievedEvent extends ServerEventBase {
  type: 'conversation.item.retrieved';
  item: RealtimeConversationItem;
}
export interface ConversationItemDeletedEvent extends ServerEventBase {
  type: 'conversation.item.deleted';
  item_id: string;
}
export interface ConversationItemTruncatedEvent extends ServerEventBase {
  type: 'conversation.item.truncated';
  item_id: string;
  content_index: number;
  audio_end_ms: number;
}
export interface InputAudioTranscriptionDeltaEvent extends ServerEventBase {
  type: 'conversation.item.input_audio_transcription.delta';
  item_id: string;
  content_index?: number;
  delta?: string;
  logprobs?: unknown[] | null;
}
export interface InputAudioTranscriptionCompletedEvent extends ServerEventBase {
  type: 'conversation.item.input_audio_transcription.completed';
  item_id: string;
  content_index: number;
  transcript: string;
  languages?: unknown[];
  logprobs?: unknown[] | null;
  usage: Record<string, unknown>;
}
export interface InputAudioTranscriptionFailedEvent extends ServerEventBase {
  type: 'conversation.item.input_audio_transcription.failed';
  item_id: string;
  content_index: number;
  error: { type?: string; code?: string; message?: string; param?: string };
}
export interface InputAudioTranscriptionSegmentEvent extends ServerEventBase {
  type: 'conversation.item.input_audio_transcription.segment';
  item_id: string;
  content_index: number;
  id: string;
  text: string;
  speaker: string;
  start: number;
  end: number;
}
export interface InputAudioBufferSpeechStartedEvent extends ServerEventBase {
  type: 'input_audio_buffer.speech_started';
  /** Position in the session's input audio where speech began, ms. */
  audio_start_ms: number;
  item_id: string;
}
export interface InputAudioBufferSpeechStoppedEvent extends ServerEventBase {
  type: 'input_audio_buffer.speech_stopped';
  audio_end_ms: number;
  item_id: string;
}
export interface InputAudioBufferCommittedEvent extends ServerEventBase {
  type: 'input_audio_buffer.committed';
  previous_item_id?: string | null;
  item_id: string;
}
export interface InputAudioBufferClearedEvent extends ServerEventBase {
  type: 'input_audio_buffer.cleared';
}
export interface InputAudioBufferTimeoutTriggeredEvent extends ServerEventBase {
  type: 'input_audio_buffer.timeout_triggered';
  audio_start_ms: number;
  audio_end_ms: number;
  item_id: string;
}
export interface InputAudioBufferDtmfEventReceivedEvent {
  type: 'input_audio_buffer.dtmf_event_received';
  event_id?: string;
  event: string;
  received_at: number;
}
export interface OutputAudioBufferStartedEvent extends ServerEventBase {
  type: 'output_audio_buffer.started';
  response_id: string;
}
export interface OutputAudioBufferStoppedEvent extends ServerEventBase {
  type: 'output_audio_buffer.stopped';
  response_id: string;
}
export interface OutputAudioBufferClearedEvent extends ServerEventBase {
  type: 'output_audio_buffer.cleared';
  response_id: string;
}
export interface ResponseCreatedEvent extends ServerEventBase {
  type: 'response.created';
  response: RealtimeResponse;
}
export interface ResponseDoneEvent extends ServerEventBase {
  type: 'response.done';
  response: RealtimeResponse;
}
export interface ResponseOutputItemAddedEvent extends ServerEventBase {
  type: 'response.output_item.added';
  response_id: string;
  output_index: number;
  item: RealtimeConversationItem;
}
export interface ResponseOutputItemDoneEvent extends ServerEventBase {
  type: 'response.output_item.done';
  response_id: string;
  output_index: number;
  item: RealtimeConversationItem;
}
export interface ResponseContentPartAddedEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.content_part.added';
  part: { type?: 'audio' | 'text' | string; text?: string; audio?: string; transcript?: string };
}
export interface ResponseContentPartDoneEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.content_part.done';
  part: { type?: 'audio' | 'text' | string; text?: string; audio?: string; transcript?: string };
}
export interface ResponseOutputAudioDeltaEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.output_audio.delta';
  /** Base64 audio in the session's output format. */
  delta: string;
}
export interface ResponseOutputAudioDoneEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.output_audio.done';
}
export interface ResponseOutputAudioTranscriptDeltaEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.output_audio_transcript.delta';
  delta: string;
}
export interface ResponseOutputAudioTranscriptDoneEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.output_audio_transcript.done';
  transcript: string;
}
export interface ResponseOutputTextDeltaEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.output_text.delta';
  delta: string;
}
export interface ResponseOutputTextDoneEvent extends ServerEventBase, ResponsePartRef {
  type: 'response.output_text.done';
  text: string;
}
export interface ResponseFunctionCallArgumentsDeltaEvent extends ServerEventBase {
  type: 'response.function_call_arguments.delta';
  response_id: string;
  item_id: string;
  output_index: number;
  call_id: string;
  delta: string;
}
export interface ResponseFunctionCallArgumentsDoneEvent extends ServerEventBase {
  type: 'response.function_call_arguments.done';
  response_id: string;
  item_id: string;
  output_index: number;
  call_id: string;
  name: string;
  /** JSON text of the arguments. */
  arguments: string;
}
export interface ResponseMcpCallArgumentsDeltaEvent extends ServerEventBase {
  type: 'response.mcp_call_arguments.delta';
  response_id: string;
  item_id: string;
  output_index: number;
  delta: string;
  obfuscation?: string | null;
}
export interface ResponseMcpCallArgumentsDoneEvent extends ServerEventBase {
  type: 'response.mcp_call_arguments.done';
  response_id: string;
  item_id: string;
  output_index: number;
  arguments: string;
}
export interface ResponseMcpCallInProgressEvent extends ServerEventBase {
  type: 'response.mcp_call.in_progress';
  output_index: number;
  item_id: string;
}
export interface ResponseMcpCallCompletedEvent extends ServerEventBase {
  type: 'response.mcp_call.completed';
  output_index: number;
  item_id: string;
}
export interface ResponseMcpCallFailedEvent extends ServerEventBase {
  type: 'response.mcp_call.failed';
  output_index: number;
  item_id: string;
}
export interface McpListToolsInProgressEvent extends ServerEventBase {
  type: 'mcp_list_tools.in_progress';
  item_id: string;
}
export interface McpListToolsCompletedEvent extends ServerEventBase {
  type: 'mcp_list_tools.completed';
  item_id: string;
}
export interface McpListToolsFailedEvent extends ServerEventBase {
  type: 'mcp_list_tools.failed';
  item_id: string;
}
export interface RateLimitsUpdatedEvent extends ServerEventBase {
  type: 'rate_limits.updated';
  rate_limits: RealtimeRateLimit[];
}

/** Every server event of the GA dialect, by `type`. */
export interface RealtimeServerEventMap {
  error: ErrorEvent;
  'session.created': SessionCreatedEvent;
  'session.updated': SessionUpdatedEvent;
  'conversation.created': ConversationCreatedEvent;
  'conversation.item.added': ConversationItemAddedEvent;
  'conversation.item.done': ConversationItemDoneEvent;
  'conversation.item.created': ConversationItemCreatedEvent;
  'conversation.item.retrieved': ConversationItemRetrievedEvent;
  'conversation.item.deleted': ConversationItemDeletedEvent;
  'conversation.item.truncated': ConversationItemTruncatedEvent;
  'conversation.item.input_audio_transcription.delta': InputAudioTranscriptionDeltaEvent;
  'conversation.item.input_audio_transcription.completed': InputAudioTranscriptionCompletedEvent;
  'conversation.item.input_audio_transcription.failed': InputAudioTranscriptionFailedEvent;
  'conversation.item.input_audio_transcription.segment': InputAudioTranscriptionSegmentEvent;
  'input_audio_buffer.speech_started': InputAudioBufferSpeechStartedEvent;
  'input_audio_buffer.speech_stopped': InputAudioBufferSpeechStoppedEvent;
  'input_audio_buffer.committed': InputAudioBufferCommittedEvent;
  'input_audio_buffer.cleared': InputAudioBufferClearedEvent;
  'input_audio_buffer.timeout_triggered': InputAudioBufferTimeoutTriggeredEvent;
  'input_audio_buffer.dtmf_event_received': InputAudioBufferDtmfEventReceivedEvent;
  'output_audio_buffer.started': OutputAudioBufferStartedEvent;
  'output_audio_buffer.stopped': OutputAudioBufferStoppedEvent;
  'output_audio_buffer.cleared': OutputAudioBufferClearedEvent;
  'response.created': ResponseCreatedEvent;
  'response.done': ResponseDoneEvent;
  'response.output_item.added': ResponseOutputItemAddedEvent;
  'response.output_item.done': ResponseOutputItemDoneEvent;
  'response.content_part.added': ResponseContentPartAddedEvent;
  'response.content_part.done': ResponseContentPartDoneEvent;
  'response.output_audio.delta': ResponseOutputAudioDeltaEvent;
  'response.output_audio.done': ResponseOutputAudioDoneEvent;
  'response.output_audio_transcript.delta': ResponseOutputAudioTranscriptDeltaEvent;
  'response.output_audio_transcript.done': ResponseOutputAudioTranscriptDoneEvent;
  'response.output_text.delta': ResponseOutputTextDeltaEvent;
  'response.output_text.done': ResponseOutputTextDoneEvent;
  'response.function_call_arguments.delta': ResponseFunctionCallArgumentsDeltaEvent;
  'response.function_call_arguments.done': ResponseFunctionCallArgumentsDoneEvent;
  'response.mcp_call_arguments.delta': ResponseMcpCallArgumentsDeltaEvent;
  'response.mcp_call_arguments.done': ResponseMcpCallArgumentsDoneEvent;
  'response.mcp_call.in_progress': ResponseMcpCallInProgressEvent;
  'response.mcp_call.completed': ResponseMcpCallCompletedEvent;
  'response.mcp_call.failed': ResponseMcpCallFailedEvent;
  'mcp_list_tools.in_progress': McpListToolsInProgressEvent;
  'mcp_list_tools.completed': McpListToolsCompletedEvent;
  'mcp_list_tools.failed': McpListToolsFailedEvent;
  'rate_limits.updated': RateLimitsUpdatedEvent;
}

/** A server event of the GA dialect. */
export type RealtimeServerEvent = RealtimeServerEventMap[keyof RealtimeServerEventMap];
/** The `type` of a GA server event. */
export type RealtimeServerEventType = keyof RealtimeServerEventMap;

/** Every GA server event type. */
export const REALTIME_SERVER_EVENT_TYPES: readonly RealtimeServerEventType[] = [
  'error',
  'session.created',
  'session.updated',
  'conversation.created',
  'conversation.item.added',
  'conversation.item.done',
  'conversation.item.created',
  'conversation.item.retrieved',
  'conversation.item.deleted',
  'conversation.item.truncated',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.completed',
  'conversation.item.input_audio_transcription.failed',
  'conversation.item.input_audio_transcription.segment',
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'input_audio_buffer.committed',
  'input_audio_buffer.cleared',
  'input_audio_buffer.timeout_triggered',
  'input_audio_buffer.dtmf_event_received',
  'output_audio_buffer.started',
  'output_audio_buffer.stopped',
  'output_audio_buffer.cleared',
  'response.created',
  'response.done',
  'response.output_item.added',
  'response.output_item.done',
  'response.content_part.added',
  'response.content_part.done',
  'response.output_audio.delta',
  'response.output_audio.done',
  'response.output_audio_transcript.delta',
  'response.output_audio_transcript.done',
  'response.output_text.delta',
  'response.output_text.done',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.mcp_call_arguments.delta',
  'response.mcp_call_arguments.done',
  'response.mcp_call.in_progress',
  'response.mcp_call.completed',
  'response.mcp_call.failed',
  'mcp_list_tools.in_progress',
  'mcp_list_tools.completed',
  'mcp_list_tools.failed',
  'rate_limits.updated',
];

// ---------------------------------------------------------------------------------------------------------------
// Beta dialect wire shapes (`OpenAI-Beta: realtime=v1`), as `dialect.ts` produces and reads them

/** An audio format of the beta dialect. */
export type BetaAudioFormat = 'pcm16' | 'g711_ulaw' | 'g711_alaw';

/** The flat `session` of a beta `session.update` / `session.created`. */
export interface BetaSessionConfig {
  id?: string;
  object?: string;
  expires_at?: number;
  model?: string;
  /** `['text', 'audio']` or `['text']`. */
  modalities?: Array<'text' | 'audio'>;
  instructions?: string;
  voice?: RealtimeVoice;
  input_audio_format?: BetaAudioFormat;
  output_audio_format?: BetaAudioFormat;
  input_audio_transcription?: RealtimeInputTranscription | null;
  input_audio_noise_reduction?: { type?: 'near_field' | 'far_field' } | null;
  turn_detection?: RealtimeTurnDetection;
  speed?: number;
  tools?: Array<RealtimeFunctionTool | Record<string, unknown>>;
  tool_choice?: RealtimeToolChoice;
  temperature?: number;
  max_response_output_tokens?: number | 'inf';
  tracing?: unknown;
  truncation?: unknown;
  prompt?: unknown;
  include?: unknown;
  [key: string]: unknown;
}

/** Any event as it travels on a beta socket: a plain object with a `type`. */
export interface BetaWireEvent {
  type: string;
  event_id?: string;
  [key: string]: unknown;
}
