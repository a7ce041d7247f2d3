/**
 * `client.models`: list, retrieve, pricing, and whether a model can open a realtime session.
 * Shapes follow TokenLab's OpenAPI (`ModelsResponse`, `CompactModelsResponse`, `Model`, `ModelPricingResponse`);
 * unknown fields are kept (the gateway adds fields over time).
 */
import type { HttpTransport } from '../transports/http.js';
import { InputError } from '../core/errors.js';
import { type RequestOptions, type WithRequestId, withRequestId } from './request-options.js';

/** TokenLab's `request_format_summary` / `request_format_details` (only the fields we read are typed). */
export interface ModelRequestFormat {
  readonly public_operations?: string[];
  readonly supported_parameters?: string[];
  readonly output_formats?: string[];
  readonly request_endpoint?: string | null;
  readonly request_endpoint_by_operation?: Record<string, string | null>;
  readonly [key: string]: unknown;
}

/** The model's `tokenlab` extension (detail or list variant). */
export interface ModelTokenLabInfo {
  readonly aliases?: string[];
  readonly capabilities?: string[];
  readonly category?: string;
  readonly pricing?: Record<string, unknown>;
  readonly pricing_unit?: string;
  readonly supported_operations?: string[];
  readonly lifecycle?: { readonly stage?: 'active' | 'preview' | 'deprecated' | 'retired'; readonly replacement_model?: string | null; readonly [key: string]: unknown };
  readonly request_format_summary?: ModelRequestFormat | null;
  readonly request_format_details?: ModelRequestFormat | null;
  readonly [key: string]: unknown;
}

/** A model, OpenAI-shaped plus `tokenlab`. */
export interface Model {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
  readonly tokenlab?: ModelTokenLabInfo;
  readonly [key: string]: unknown;
}

/** `view=full` list. */
export interface ModelList {
  readonly object: 'list';
  readonly data: Model[];
}

/** One entry of the `view=compact` list (prices are decimal strings). */
export interface CompactModel {
  readonly id: string;
  readonly provider: string;
  readonly category: string;
  readonly capabilities: string[];
  readonly status: string;
  readonly latest: boolean;
  readonly pricing: { readonly unit: string; readonly currency: 'USD'; readonly has_complex_pricing: boolean; readonly [key: string]: unknown };
  readonly supported_operations?: string[];
  readonly request_endpoint?: string;
  readonly recommendation?: { readonly preferred_rank: number | null; readonly success_rate_24h: number | null; readonly sample_count_24h: number; readonly status: string };
  readonly [key: string]: unknown;
}

/** `view=compact` list. */
export interface CompactModelList {
  readonly object: 'list';
  readonly view: 'compact';
  readonly count: number;
  readonly data: CompactModel[];
}

/** `GET /models/{id}/pricing`. */
export interface ModelPricing {
  readonly model?: string;
  readonly pricing_unit?: string;
  readonly has_complex_pricing?: boolean;
  readonly supported_operations?: string[];
  readonly pricing_summary?: Record<string, unknown> | null;
  readonly pricing_details?: Record<string, unknown> | null;
  readonly scalar_pricing?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export type ModelCategory = 'chat' | 'embedding' | 'translation' | 'image' | 'video' | 'audio' | 'tts' | 'stt' | 'rerank' | '3d' | 'music';
export type RecommendedFor = 'image' | 'video' | 'music' | '3d' | 'tts' | 'stt' | 'embedding' | 'rerank' | 'translation';

/**
 * Catalog reads are small and quick: a server that does not answer within 30 s (60 s for the whole call, retries
 * included) is down, and a caller waiting on it should hear so. The client's or the call's own `timeoutMs` /
 * `deadlineMs` override these.
 */
export const MODELS_DEFAULTS = { timeoutMs: 30_000, deadlineMs: 60_000 } as const;

/** Filters of `models.list`. */
export interface ModelListParams {
  readonly recommendedFor?: RecommendedFor | undefined;
  readonly category?: ModelCategory | undefined;
  readonly provider?: string | undefined;
  readonly tag?: string | undefined;
  readonly view?: 'full' | 'compact' | undefined;
}

/** What `realtimeSupport` concluded and why. */
export interface RealtimeSupport {
  readonly model: string;
  readonly supported: boolean;
  /** How sure: `endpoint` / `operation` / `capability` come from the model's metadata, `name` from its id only. */
  readonly basis: 'endpoint' | 'operation' | 'capability' | 'name' | 'none' | 'retired';
  /** A sentence saying what was found, suitable for an error message. */
  readonly reason: string;
  /** The realtime endpoint the metadata names, if any. */
  readonly endpoint: string | undefined;
}

const REALTIME_WORD = /(^|[^a-z])realtime([^a-z]|$)|(^|[^a-z])real[-_ ]time([^a-z]|$)/i;

/**
 * Decides from a model object whether it can open a realtime session. TokenLab documents no realtime flag, so
 * the evidence is read from strongest to weakest:
 * 1. an endpoint (`request_endpoint`, any `request_endpoint_by_operation` value, in the summary or the details,
 *    or the compact `request_endpoint`) whose path ends in `/realtime`;
 * 2. an operation (`supported_operations`, `public_operations`, `request_endpoint_by_operation` keys) naming realtime;
 * 3. a capability naming realtime (`realtime`, `realtime_audio`, `real-time` …, as a whole word);
 * 4. only when the model carries no operations or endpoints at all: an id naming realtime (`gpt-realtime`, `…-realtime-preview`).
 * A retired model is never supported. Metadata that lists operations without any realtime one is a "no".
 */
export function realtimeSupportOf(model: Model | CompactModel): RealtimeSupport {
  const id = model.id;
  const tl = ('tokenlab' in model && model.tokenlab ? model.tokenlab : model) as ModelTokenLabInfo;
  const stage = tl.lifecycle?.stage ?? (typeof (model as CompactModel).status === 'string' ? (model as CompactModel).status : undefined);
  if (stage === 'retired') {
    const repl = tl.lifecycle?.replacement_model;
    return { model: id, supported: false, basis: 'retired', reason: `Model "${id}" is retired${repl ? `; use "${repl}"` : ''}.`, endpoint: undefined };
  }
  const formats = [tl.request_format_summary, tl.request_format_details].filter((f): f is ModelRequestFormat => !!f && typeof f === 'object');
  const endpoints: string[] = [];
  const operations: string[] = [];
  const compact = model as CompactModel;
  if (typeof compact.request_endpoint === 'string') endpoints.push(compact.request_endpoint);
  if (Array.isArray(compact.supported_operations)) operations.push(...compact.supported_operations);
  if (Array.isArray(tl.supported_operations)) operations.push(...tl.supported_operations);
  for (const f of formats) {
    if (typeof f.request_endpoint === 'string') endpoints.push(f.request_endpoint);
    if (Array.isArray(f.public_operations)) operations.push(...f.public_operations);
    if (f.request_endpoint_by_operation && typeof f.request_endpoint_by_operation === 'object') {
      for (const [op, ep] of Object.entries(f.request_endpoint_by_operation)) {
        operations.push(op);
        if (typeof ep === 'string') endpoints.push(ep);
      }
    }
  }
  const realtimeEndpoint = endpoints.find((ep) => /\/realtime\/?$/i.test(ep.split('?')[0] ?? ''));
  if (realtimeEndpoint) {
    return { model: id, supported: true, basis: 'endpoint', reason: `Model "${id}" names the realtime endpoint ${realtimeEndpoint}.`, endpoint: realtimeEndpoint };
  }
  const op = operations.find((o) => REALTIME_WORD.test(o));
  if (op) return { model: id, supported: true, basis: 'operation', reason: `Model "${id}" lists the operation "${op}".`, endpoint: undefined };
  const capabilities = Array.isArray(tl.capabilities) ? tl.capabilities : Array.isArray(compact.capabilities) ? compact.capabilities : [];
  const cap = capabilities.find((c) => typeof c === 'string' && REALTIME_WORD.test(c));
  if (cap) return { model: id, supported: true, basis: 'capability', reason: `Model "${id}" has the capability "${cap}".`, endpoint: undefined };
  if (operations.length === 0 && endpoints.length === 0 && REALTIME_WORD.test(id)) {
    return { model: id, supported: true, basis: 'name', reason: `Model "${id}" carries no operation metadata; its name says realtime.`, endpoint: undefined };
  }
  const listed = operations.length ? ` (its operations: ${[...new Set(operations)].slice(0, 6).join(', ')})` : '';
  return {
    model: id,
    supported: false,
    basis: 'none',
    reason: `Model "${id}" does not support realtime sessions${listed}. Pick one with client.models.list() whose operations include realtime.`,
    endpoint: undefined,
  };
}

/** `client.models`. */
export class Models {
  readonly #http: HttpTransport;

  constructor(http: HttpTransport) {
    this.#http = http;
  }

  /**
   * Lists models (`GET /models`), filtered by task recommendation, category, provider or tag.
   * @throws ApiError subclasses (401, 429, 5xx), TimeoutError, ConnectionError.
   */
  list(params: ModelListParams & { view: 'compact' }, options?: RequestOptions): Promise<WithRequestId<CompactModelList>>;
  list(params?: ModelListParams & { view?: 'full' | undefined }, options?: RequestOptions): Promise<WithRequestId<ModelList>>;
  list(params?: ModelListParams, options?: RequestOptions): Promise<WithRequestId<ModelList | CompactModelList>>;
  async list(params: ModelListParams = {}, options: RequestOptions = {}): Promise<WithRequestId<ModelList | CompactModelList>> {
    const res = await this.#http.request({
      ...options,
      defaults: MODELS_DEFAULTS,
      method: 'GET',
      path: '/models',
      query: {
        recommended_for: params.recommendedFor,
        category: params.category,
        provider: params.provider,
        tag: params.tag,
        view: params.view,
      },
    });
    return withRequestId(await this.#http.json<ModelList | CompactModelList>(res, options.signal), res.requestId);
  }

  /**
   * One model's details (`GET /models/{id}`).
   * @throws NotFoundError with the server's suggestions (`didYouMean`, `suggestions`) for an unknown id.
   */
  async retrieve(id: string, options: RequestOptions = {}): Promise<WithRequestId<Model>> {
    const res = await this.#http.request({ ...options, defaults: MODELS_DEFAULTS, method: 'GET', path: `/models/${encodeModelId(id)}` });
    return withRequestId(await this.#http.json<Model>(res, options.signal), res.requestId);
  }

  /** Pricing detail of one model (`GET /models/{id}/pricing`). @throws NotFoundError for an unknown id. */
  async pricing(id: string, options: RequestOptions = {}): Promise<WithRequestId<ModelPricing>> {
    const res = await this.#http.request({ ...options, defaults: MODELS_DEFAULTS, method: 'GET', path: `/models/${encodeModelId(id)}/pricing` });
    return withRequestId(await this.#http.json<ModelPricing>(res, options.signal), res.requestId);
  }

  /** What the model's metadata says about realtime sessions, and why (see {@link realtimeSupportOf}). */
  async realtimeSupport(id: string, options: RequestOptions = {}): Promise<RealtimeSupport> {
    return realtimeSupportOf(await this.retrieve(id, options));
  }

  /** True when the model can open a realtime session (see {@link realtimeSupportOf}). @throws NotFoundError. */
  async supportsRealtime(id: string, options: RequestOptions = {}): Promise<boolean> {
    return (await this.realtimeSupport(id, options)).supported;
  }
}

function encodeModelId(id: string): string {
  if (typeof id !== 'string' || id.trim() === '') throw new InputError('A model id is required, e.g. "gpt-4o-mini-tts".', 'TLA_ERR_INPUT_MODEL');
  // Ids like "openai/tts-1" keep their slash: the gateway routes them as one path parameter.
  const segments = id.split('/');
  // URL parsing resolves "." and ".." segments (even percent-encoded): "../audio/speech" would call another endpoint.
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InputError(`${JSON.stringify(id)} is not a model id (empty, "." or ".." path segments); use an id from client.models.list().`, 'TLA_ERR_INPUT_MODEL');
  }
  return segments.map(encodeURIComponent).join('/');
}
