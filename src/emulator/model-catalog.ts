import { EmulatorHttpError, validationFailure } from './emulator-http-error.js';

/** Operations the emulator's models can declare (TokenLab `supported_operations` values). */
export type ModelOperation = 'speech' | 'transcription' | 'translation' | 'realtime' | 'chat';

/** One model of the emulator's catalog (internal form, shaped into the spec's views on demand). */
export interface CatalogModel {
  readonly id: string;
  readonly provider: string;
  /** Unix seconds. */
  readonly created: number;
  /** TokenLab category (`tts`, `stt`, `audio`, `chat`); realtime models are `audio`: the spec has no `realtime` category. */
  readonly category: 'tts' | 'stt' | 'audio' | 'chat';
  readonly aliases: readonly string[];
  readonly capabilities: readonly string[];
  readonly operations: readonly ModelOperation[];
  readonly supportedParameters: readonly string[];
  /** Response formats (speech) or transcript formats (stt) the model produces. */
  readonly outputFormats: readonly string[];
  /** Whether `stream_format: 'sse'` (speech) or `stream: true` (transcription) is honoured. */
  readonly streaming: boolean;
  readonly pricingUnit: string;
  // The spec's compact pricing has only these keys; a per-minute price is `per_request` under `pricing_unit: per_minute`.
  readonly pricing: { input_per_1m?: string; output_per_1m?: string; per_request?: string };
  readonly stage: 'active' | 'preview' | 'deprecated';
  readonly latest: boolean;
  readonly replacement?: string;
  readonly maxInputTokens: number | null;
  readonly maxOutputTokens: number | null;
  /** Task → rank (1 = best) for `recommended_for`, with the evidence shown in compact views. */
  readonly recommendedFor: Readonly<Partial<Record<RecommendationTask, { rank: number; successRate24h: number; samples24h: number }>>>;
}

/** `recommended_for` values from the spec. */
export type RecommendationTask = 'image' | 'video' | 'music' | '3d' | 'tts' | 'stt' | 'embedding' | 'rerank' | 'translation';

const CATEGORIES = ['chat', 'embedding', 'translation', 'image', 'video', 'audio', 'tts', 'stt', 'rerank', '3d', 'music'];
const TASKS = ['image', 'video', 'music', '3d', 'tts', 'stt', 'embedding', 'rerank', 'translation'];

const ENDPOINT: Record<ModelOperation, string> = {
  speech: '/v1/audio/speech',
  transcription: '/v1/audio/transcriptions',
  translation: '/v1/audio/translations',
  realtime: '/v1/realtime',
  chat: '/v1/chat/completions',
};

const SPEECH_PARAMS = ['model', 'input', 'voice', 'response_format', 'speed', 'stream_format'];
const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
const STT_PARAMS = ['file', 'model', 'language', 'prompt', 'response_format', 'temperature'];

// A realistic audio-centred catalog: prices are decimal strings as TokenLab publishes them.
export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'tts-1', provider: 'openai', created: 1699053241, category: 'tts', aliases: ['tts'],
    capabilities: ['tts', 'audio_output'], operations: ['speech'], supportedParameters: SPEECH_PARAMS.filter((p) => p !== 'stream_format'),
    outputFormats: SPEECH_FORMATS, streaming: false, pricingUnit: 'per_1m_characters', pricing: { input_per_1m: '15.00' },
    stage: 'active', latest: false, maxInputTokens: 4096, maxOutputTokens: null,
    recommendedFor: { tts: { rank: 3, successRate24h: 0.998, samples24h: 5120 } },
  },
  {
    id: 'tts-1-hd', provider: 'openai', created: 1699053533, category: 'tts', aliases: [],
    capabilities: ['tts', 'audio_output'], operations: ['speech'], supportedParameters: SPEECH_PARAMS.filter((p) => p !== 'stream_format'),
    outputFormats: SPEECH_FORMATS, streaming: false, pricingUnit: 'per_1m_characters', pricing: { input_per_1m: '30.00' },
    stage: 'active', latest: false, maxInputTokens: 4096, maxOutputTokens: null,
    recommendedFor: { tts: { rank: 2, successRate24h: 0.997, samples24h: 2210 } },
  },
  {
    id: 'gpt-4o-mini-tts', provider: 'openai', created: 1742403959, category: 'tts', aliases: ['gpt-4o-mini-tts-2025-03-20'],
    capabilities: ['tts', 'audio_output', 'instructions', 'streaming'], operations: ['speech'],
    supportedParameters: [...SPEECH_PARAMS, 'instructions'], outputFormats: SPEECH_FORMATS, streaming: true,
    pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '0.60', output_per_1m: '12.00' },
    stage: 'active', latest: true, maxInputTokens: 2000, maxOutputTokens: null,
    recommendedFor: { tts: { rank: 1, successRate24h: 0.999, samples24h: 18340 } },
  },
  {
    id: 'gemini-2.5-flash-preview-tts', provider: 'google', created: 1747699200, category: 'tts', aliases: [],
    capabilities: ['tts', 'audio_output', 'style_prompt'], operations: ['speech'],
    supportedParameters: ['model', 'input', 'voice', 'prompt', 'language_code', 'temperature', 'response_format'],
    outputFormats: ['wav', 'pcm', 'mp3'], streaming: false, pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '0.50', output_per_1m: '10.00' },
    stage: 'preview', latest: true, maxInputTokens: 8000, maxOutputTokens: 16000,
    recommendedFor: { tts: { rank: 4, successRate24h: 0.97, samples24h: 12 } },
  },
  {
    id: 'speech-02-hd', provider: 'minimax', created: 1743465600, category: 'tts', aliases: [],
    capabilities: ['tts', 'audio_output', 'voice_id'], operations: ['speech'],
    supportedParameters: ['model', 'input', 'voice', 'voice_id', 'speed', 'response_format'],
    outputFormats: ['mp3', 'wav', 'pcm', 'flac'], streaming: false, pricingUnit: 'per_1m_characters', pricing: { input_per_1m: '100.00' },
    stage: 'active', latest: false, maxInputTokens: 4096, maxOutputTokens: null,
    recommendedFor: { tts: { rank: 5, successRate24h: 0.99, samples24h: 640 } },
  },
  {
    id: 'whisper-1', provider: 'openai', created: 1677532384, category: 'stt', aliases: ['whisper'],
    capabilities: ['stt', 'audio_input', 'translation', 'timestamps'], operations: ['transcription', 'translation'],
    supportedParameters: [...STT_PARAMS, 'timestamp_granularities'], outputFormats: ['json', 'text', 'srt', 'verbose_json', 'vtt'],
    streaming: false, pricingUnit: 'per_minute', pricing: { per_request: '0.006' },
    stage: 'active', latest: false, maxInputTokens: null, maxOutputTokens: null,
    recommendedFor: { stt: { rank: 2, successRate24h: 0.999, samples24h: 9100 }, translation: { rank: 1, successRate24h: 0.998, samples24h: 410 } },
  },
  {
    id: 'gpt-4o-transcribe', provider: 'openai', created: 1742403959, category: 'stt', aliases: [],
    capabilities: ['stt', 'audio_input', 'streaming'], operations: ['transcription'],
    supportedParameters: [...STT_PARAMS, 'stream', 'include', 'chunking_strategy'], outputFormats: ['json', 'text'],
    streaming: true, pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '2.50', output_per_1m: '10.00' },
    stage: 'active', latest: true, maxInputTokens: 16000, maxOutputTokens: 2000,
    recommendedFor: { stt: { rank: 1, successRate24h: 0.998, samples24h: 15200 } },
  },
  {
    id: 'gpt-4o-mini-transcribe', provider: 'openai', created: 1742403959, category: 'stt', aliases: [],
    capabilities: ['stt', 'audio_input', 'streaming'], operations: ['transcription'],
    supportedParameters: [...STT_PARAMS, 'stream', 'include', 'chunking_strategy'], outputFormats: ['json', 'text'],
    streaming: true, pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '1.25', output_per_1m: '5.00' },
    stage: 'active', latest: false, maxInputTokens: 16000, maxOutputTokens: 2000,
    recommendedFor: { stt: { rank: 3, successRate24h: 0.996, samples24h: 7300 } },
  },
  {
    id: 'gpt-4o-transcribe-diarize', provider: 'openai', created: 1760486400, category: 'stt', aliases: [],
    capabilities: ['stt', 'audio_input', 'diarization', 'streaming'], operations: ['transcription'],
    supportedParameters: ['file', 'model', 'language', 'response_format', 'temperature', 'stream', 'chunking_strategy', 'known_speaker_names', 'known_speaker_references'],
    outputFormats: ['json', 'text', 'diarized_json'], streaming: true, pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '2.50', output_per_1m: '10.00' },
    stage: 'preview', latest: true, maxInputTokens: 16000, maxOutputTokens: 2000,
    recommendedFor: { stt: { rank: 4, successRate24h: 0.99, samples24h: 30 } },
  },
  {
    id: 'gpt-realtime', provider: 'openai', created: 1756339200, category: 'audio', aliases: ['gpt-realtime-2025-08-28'],
    capabilities: ['realtime', 'audio_input', 'audio_output', 'function_calling', 'server_vad'], operations: ['realtime'],
    supportedParameters: ['model', 'session'], outputFormats: ['audio/pcm', 'audio/pcmu', 'audio/pcma'], streaming: true,
    pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '32.00', output_per_1m: '64.00' },
    stage: 'active', latest: true, maxInputTokens: 32000, maxOutputTokens: 4096, recommendedFor: {},
  },
  {
    id: 'gpt-realtime-mini', provider: 'openai', created: 1759708800, category: 'audio', aliases: [],
    capabilities: ['realtime', 'audio_input', 'audio_output', 'function_calling', 'server_vad'], operations: ['realtime'],
    supportedParameters: ['model', 'session'], outputFormats: ['audio/pcm', 'audio/pcmu', 'audio/pcma'], streaming: true,
    pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '10.00', output_per_1m: '20.00' },
    stage: 'active', latest: true, maxInputTokens: 32000, maxOutputTokens: 4096, recommendedFor: {},
  },
  {
    id: 'gpt-4o-realtime-preview', provider: 'openai', created: 1727460443, category: 'audio', aliases: ['gpt-4o-realtime-preview-2024-12-17'],
    capabilities: ['realtime', 'audio_input', 'audio_output', 'server_vad'], operations: ['realtime'],
    supportedParameters: ['model', 'session'], outputFormats: ['audio/pcm', 'audio/pcmu', 'audio/pcma'], streaming: true,
    pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '40.00', output_per_1m: '80.00' },
    stage: 'deprecated', latest: false, replacement: 'gpt-realtime', maxInputTokens: 16000, maxOutputTokens: 4096, recommendedFor: {},
  },
  {
    id: 'gpt-4o-mini', provider: 'openai', created: 1721172741, category: 'chat', aliases: [],
    capabilities: ['chat', 'function_calling', 'vision'], operations: ['chat'],
    supportedParameters: ['model', 'messages', 'temperature', 'max_tokens', 'stream'], outputFormats: ['text'], streaming: true,
    pricingUnit: 'per_1m_tokens', pricing: { input_per_1m: '0.15', output_per_1m: '0.60' },
    stage: 'active', latest: false, maxInputTokens: 128000, maxOutputTokens: 16384, recommendedFor: {},
  },
];

/** Finds a model by id or alias (exact match). */
export function findModel(id: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((m) => m.id === id || m.aliases.includes(id));
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Closest model ids to an unknown one (best first, at most `limit`), optionally among one operation's models. */
export function suggestModels(id: string, operation?: ModelOperation, limit = 3): string[] {
  const needle = id.toLowerCase();
  const scored = MODEL_CATALOG.filter((m) => !operation || m.operations.includes(operation)).map((m) => {
    const names = [m.id, ...m.aliases];
    let score = Math.min(...names.map((n) => editDistance(needle, n.toLowerCase())));
    if (names.some((n) => n.includes(needle) || needle.includes(n))) score = Math.min(score, 1);
    return { id: m.id, score };
  });
  scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}

/** `model_not_found` error with `did_you_mean` and `suggestions` (404 on model routes, 400 on create routes). */
export function unknownModelError(id: string, status: 404 | 400, operation?: ModelOperation): EmulatorHttpError {
  const suggestions = suggestModels(id, operation);
  const best = suggestions[0];
  const near = best !== undefined && editDistance(id.toLowerCase(), best) <= Math.max(2, Math.floor(id.length / 3));
  return new EmulatorHttpError(status, {
    message: `The model '${id}' does not exist${near ? `. Did you mean '${best}'?` : '.'} List models with GET /v1/models.`,
    type: 'model_not_found',
    code: 'model_not_found',
    param: 'model',
    model: id,
    ...(near ? { did_you_mean: best } : {}),
    suggestions: suggestions.map((s) => ({ id: s })),
    retryable: false,
  });
}

/** The error for a model that exists but cannot do the requested operation. */
export function wrongOperationError(model: CatalogModel, operation: ModelOperation): EmulatorHttpError {
  const alternatives = MODEL_CATALOG.filter((m) => m.operations.includes(operation)).map((m) => m.id);
  return new EmulatorHttpError(400, {
    message: `The model '${model.id}' does not support ${operation} (it supports: ${model.operations.join(', ')}). Use one of: ${alternatives.join(', ')}.`,
    type: 'invalid_request_error',
    code: 'unsupported_operation',
    param: 'model',
    model: model.id,
    supported_operations: [...model.operations],
    suggestions: alternatives.map((id) => ({ id })),
    request_endpoint: ENDPOINT[model.operations[0] ?? 'chat'],
    retryable: false,
  });
}

function isoDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

function lifecycleOf(m: CatalogModel): Record<string, unknown> {
  return {
    stage: m.stage,
    reason: m.stage === 'deprecated' ? `Superseded by ${m.replacement ?? 'a newer model'}` : null,
    replacement_model: m.replacement ?? null,
    released_at: isoDate(m.created),
    deprecated_at: m.stage === 'deprecated' ? '2025-09-01T00:00:00.000Z' : null,
    retired_at: null,
    sunset_at: m.stage === 'deprecated' ? '2026-12-31T00:00:00.000Z' : null,
    latest: m.latest,
    latest_source: m.latest ? 'auto' : 'none',
    latest_window_days: m.latest ? 180 : null,
  };
}

function badgesOf(m: CatalogModel): Record<string, unknown>[] {
  const badges: Record<string, unknown>[] = [];
  if (m.latest) badges.push({ key: 'latest', tone: 'blue', priority: 20, tooltip: { key: 'badge.latest', values: { model: m.id } } });
  if (m.stage === 'preview') badges.push({ key: 'preview', tone: 'amber', priority: 30, tooltip: { key: 'badge.preview', values: { model: m.id } } });
  if (m.stage === 'deprecated') {
    badges.push({ key: 'deprecated', tone: 'red', priority: 40, tooltip: { key: 'badge.deprecated', values: { replacement: m.replacement ?? '' } } });
  }
  return badges;
}

function endpointsOf(m: CatalogModel): Record<string, string> {
  return Object.fromEntries(m.operations.map((op) => [op, ENDPOINT[op]]));
}

function pricingObject(m: CatalogModel): Record<string, unknown> {
  return { unit: m.pricingUnit, currency: 'USD', ...m.pricing };
}

function listExtension(m: CatalogModel): Record<string, unknown> {
  return {
    aliases: [...m.aliases],
    pricing: pricingObject(m),
    capabilities: [...m.capabilities],
    providers: [m.provider],
    max_input_tokens: m.maxInputTokens,
    max_output_tokens: m.maxOutputTokens,
    category: m.category,
    pricing_unit: m.pricingUnit,
    has_complex_pricing: false,
    lifecycle: lifecycleOf(m),
    commercial: { user_charge_policy: 'paid', free_reason: null, free_until: null },
    badges: badgesOf(m),
    request_format_summary: {
      public_operations: [...m.operations],
      request_endpoint: ENDPOINT[m.operations[0] ?? 'chat'],
      request_endpoint_by_operation: endpointsOf(m),
    },
  };
}

function listItem(m: CatalogModel): Record<string, unknown> {
  return { id: m.id, object: 'model', created: m.created, owned_by: m.provider, tokenlab: listExtension(m) };
}

function compactItem(m: CatalogModel, task: RecommendationTask | undefined): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: m.id,
    provider: m.provider,
    category: m.category,
    capabilities: [...m.capabilities],
    max_input_tokens: m.maxInputTokens,
    max_output_tokens: m.maxOutputTokens,
    pricing: { ...pricingObject(m), has_complex_pricing: false },
    status: m.stage,
    latest: m.latest,
    supported_operations: [...m.operations],
    request_endpoint: ENDPOINT[m.operations[0] ?? 'chat'],
  };
  const evidence = task ? m.recommendedFor[task] : undefined;
  if (evidence) {
    item['recommendation'] = {
      preferred_rank: evidence.rank,
      success_rate_24h: evidence.successRate24h,
      sample_count_24h: evidence.samples24h,
      status: evidence.samples24h >= 50 ? 'ready' : 'insufficient_samples',
    };
  }
  return item;
}

/** Query of `GET /v1/models` (raw strings from the URL). */
export interface ModelListQuery {
  provider?: string;
  tag?: string;
  category?: string;
  recommended_for?: string;
  view?: string;
}

/** Body of `GET /v1/models` for a query: `ModelsResponse` (full) or `CompactModelsResponse`. Throws 400 on bad values. */
export function listModelsBody(query: ModelListQuery): Record<string, unknown> {
  const issues = [];
  if (query.category !== undefined && !CATEGORIES.includes(query.category)) {
    issues.push({ field: 'category', message: `must be one of ${CATEGORIES.join(', ')}`, code: 'invalid_enum_value' });
  }
  if (query.recommended_for !== undefined && !TASKS.includes(query.recommended_for)) {
    issues.push({ field: 'recommended_for', message: `must be one of ${TASKS.join(', ')}`, code: 'invalid_enum_value' });
  }
  if (query.view !== undefined && query.view !== 'compact' && query.view !== 'full') {
    issues.push({ field: 'view', message: 'must be compact or full', code: 'invalid_enum_value' });
  }
  if (issues.length > 0) throw validationFailure(issues);

  const task = query.recommended_for as RecommendationTask | undefined;
  let models = MODEL_CATALOG.filter(
    (m) =>
      (query.provider === undefined || m.provider === query.provider.toLowerCase()) &&
      (query.tag === undefined || m.capabilities.includes(query.tag)) &&
      (query.category === undefined || m.category === query.category),
  );
  if (task) {
    // Only models supported for the task, best first: what TokenLab's shortlist does.
    models = models
      .filter((m) => m.recommendedFor[task] !== undefined)
      .sort((a, b) => a.recommendedFor[task]!.rank - b.recommendedFor[task]!.rank);
  }
  if (query.view === 'compact') {
    return { object: 'list', view: 'compact', count: models.length, data: models.map((m) => compactItem(m, task)) };
  }
  return { object: 'list', data: models.map(listItem) };
}

/** Body of `GET /v1/models/{id}` (`Model` with the detail extension). Throws 404 with suggestions. */
export function modelDetailBody(id: string): Record<string, unknown> {
  const m = findModel(id);
  if (!m) throw unknownModelError(id, 404);
  const summary = {
    ...(listExtension(m)['request_format_summary'] as Record<string, unknown>),
    supported_parameters: [...m.supportedParameters],
    feature_flags: { streaming: m.streaming, realtime: m.operations.includes('realtime') },
    output_formats: [...m.outputFormats],
    service_limits: { online_rpm: 600, concurrency: 50, offline_inference: false, offline_tpd: null, prompt_max_characters: m.category === 'tts' ? 4096 : null },
    required_selectors: m.operations.includes('realtime') ? ['model'] : [],
    optional_selectors: m.category === 'tts' ? ['voice'] : [],
    status_mode: 'sync',
    request_shape_mode: m.operations.includes('realtime') ? 'websocket' : m.category === 'stt' ? 'multipart' : 'json',
    operation_constraints: m.operations.map((op) => ({
      operation: op,
      request_endpoint: ENDPOINT[op],
      supported_parameters: [...m.supportedParameters],
      required_selectors: [],
      optional_selectors: [],
      notes: [],
    })),
  };
  const notes: string[] = [];
  if (m.category === 'tts' && !m.streaming) notes.push('stream_format=sse is not supported for this model.');
  if (m.operations.includes('realtime')) notes.push('Open a WebSocket to /v1/realtime?model=' + m.id + ' with Bearer authentication.');
  return {
    id: m.id,
    object: 'model',
    created: m.created,
    owned_by: m.provider,
    tokenlab: {
      ...listExtension(m),
      supported_operations: [...m.operations],
      pricing_summary: { unit: m.pricingUnit, currency: 'USD', ...m.pricing },
      pricing_provenance: { source: 'emulator', updated_at: '2026-01-01T00:00:00.000Z' },
      request_format_summary: summary,
      request_format_details: {
        ...summary,
        documented_inputs: m.category === 'stt' ? ['audio/wav', 'audio/mpeg', 'audio/ogg', 'audio/flac', 'audio/webm', 'audio/mp4'] : m.category === 'tts' ? ['text'] : ['audio/pcm'],
        documented_outputs: [...m.outputFormats],
        fallback_status_endpoints: [],
        notes,
        recommended_request: m.category === 'tts' ? { model: m.id, input: 'Hello!', voice: 'alloy', response_format: 'mp3' } : null,
      },
      accepted_request_formats: m.category === 'chat' ? ['openai_chat_completions', 'openai_responses'] : [],
    },
  };
}

/** Body of `GET /v1/models/{id}/pricing` (`ModelPricingResponse`). Throws 404 with suggestions. */
export function modelPricingBody(id: string): Record<string, unknown> {
  const m = findModel(id);
  if (!m) throw unknownModelError(id, 404);
  return {
    model: m.id,
    pricing_unit: m.pricingUnit,
    has_complex_pricing: false,
    supported_operations: [...m.operations],
    pricing_summary: { unit: m.pricingUnit, currency: 'USD', ...m.pricing },
    pricing_provenance: { source: 'emulator', updated_at: '2026-01-01T00:00:00.000Z' },
    pricing_details: { currency: 'USD', ...m.pricing },
    scalar_pricing: { ...m.pricing },
  };
}

/** Body of `GET /v1/pricing` (`PricingResponse`), filtered by provider and capability tag. */
export function pricingListBody(query: { provider?: string; tag?: string }): Record<string, unknown> {
  const models = MODEL_CATALOG.filter(
    (m) => (query.provider === undefined || m.provider === query.provider.toLowerCase()) && (query.tag === undefined || m.capabilities.includes(query.tag)),
  );
  return {
    object: 'pricing',
    updated_at: '2026-01-01T00:00:00.000Z',
    currency: 'USD',
    data: models.map((m) => ({
      model: m.id,
      provider: m.provider,
      is_lock_price: m.pricing.per_request !== undefined,
      capabilities: [...m.capabilities],
      aliases: [...m.aliases],
      input_per_1m_tokens: m.pricing.input_per_1m ?? null,
      output_per_1m_tokens: m.pricing.output_per_1m ?? null,
      lock_price_per_request: m.pricing.per_request ?? null,
      has_complex_pricing: false,
      supported_operations: [...m.operations],
      pricing_summary: { unit: m.pricingUnit, currency: 'USD', ...m.pricing },
      pricing_provenance: { source: 'emulator', updated_at: '2026-01-01T00:00:00.000Z' },
    })),
  };
}
