/**
 * Errors of the TokenLab API client. Every class has a stable `code` (`TLA_ERR_API_…`) and answers
 * `instanceof` across two installed copies of the package (brand checks from `TokenLabAudioError`).
 *
 * Both error bodies are parsed: OpenAI's `{ error: { type, message, param, code } }` and TokenLab's extended
 * one (`retryable`, `retry_after`, `did_you_mean`, `suggestions`, `balance_usd`, `hint`, and `validation_errors`
 * either inside `error` or beside it).
 */
import { TokenLabAudioError } from '../core/errors.js';
import type { ErrorCode } from '../core/error-codes.js';

/** One entry of TokenLab's `validation_errors`. */
export interface ApiValidationError {
  readonly field?: string;
  readonly message?: string;
  readonly code?: string;
}

/** What we know about a failed HTTP exchange, as given to the `ApiError` constructors. */
export interface ApiErrorInit {
  readonly status: number;
  readonly requestId?: string | undefined;
  /** The parsed JSON body, or the body text when it was not JSON. */
  readonly body?: unknown;
  readonly retryAfterMs?: number | undefined;
  /** Overrides the message built from the body. */
  readonly message?: string;
  readonly cause?: unknown;
}

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The `error` object of a body in either shape, or undefined. */
export function errorObjectOf(body: unknown): Dict | undefined {
  if (!isDict(body)) return undefined;
  if (isDict(body.error)) return body.error;
  // Some gateways answer `{ message, type }` at the top level.
  if (typeof body.message === 'string') return body;
  return undefined;
}

/** Base class of every error that came from (or on the way to) the TokenLab API. */
export class ApiError extends TokenLabAudioError {
  static override brandName = 'ApiError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API';
  /** HTTP status; 0 when no response arrived (timeouts, connection failures). */
  readonly status: number;
  /** `error.type` (e.g. `invalid_request_error`, `insufficient_balance`). */
  readonly type: string | undefined;
  /** The server's own `error.code` (distinct from our `code`, which is `TLA_ERR_API_…`). */
  readonly apiCode: string | undefined;
  readonly param: string | undefined;
  /** `x-request-id` of the response (or `error.request_id`): quote it to support. */
  readonly requestId: string | undefined;
  /** Whether retrying the same request may succeed (the server's `error.retryable` when given). */
  readonly retryable: boolean;
  /** How long the server asked us to wait, in ms, from `retry-after-ms`, `Retry-After`, `error.retry_after` or `X-RateLimit-Reset`. */
  readonly retryAfterMs: number | undefined;
  readonly didYouMean: string | undefined;
  /** Model ids the server suggested instead (from `did_you_mean`, `suggestions` and `alternatives`). */
  readonly suggestions: readonly string[];
  /** Remaining balance in USD on a 402. */
  readonly balanceUsd: number | undefined;
  readonly estimatedCostUsd: number | undefined;
  readonly validationErrors: readonly ApiValidationError[];
  readonly hint: string | undefined;
  /** The parsed response body (JSON) or its text; never contains the API key (redacted before we keep it). */
  readonly raw: unknown;

  /** @param code defaults to the class's `defaultCode` (`TLA_ERR_API_…` of its status). */
  constructor(init: ApiErrorInit, code?: ErrorCode) {
    const err = errorObjectOf(init.body);
    const suggestions = suggestionsOf(init.body);
    const validationErrors = validationErrorsOf(init.body);
    const serverMessage = str(err?.message) ?? (typeof init.body === 'string' ? init.body.slice(0, 500).trim() : undefined);
    const base = init.message ?? `${init.status ? `HTTP ${init.status}` : 'Request failed'}${serverMessage ? `: ${serverMessage}` : ''}`;
    const extras: string[] = [];
    if (validationErrors.length > 0 && !init.message) {
      extras.push(validationErrors.map((v) => `${v.field ?? '?'}: ${v.message ?? v.code ?? 'invalid'}`).join('; '));
    }
    const didYouMean = str(err?.did_you_mean);
    if (suggestions.length > 0 && !init.message) extras.push(`suggestions: ${suggestions.slice(0, 5).map((s) => `"${s}"`).join(', ')}`);
    const hint = str(err?.hint);
    if (hint && !init.message) extras.push(hint);
    const requestId = init.requestId ?? str(err?.request_id) ?? (isDict(init.body) ? str(init.body.request_id) : undefined);
    // Once: messages that already name the request (built by callers that had the id) are not tagged again.
    const tail = requestId && !base.includes(requestId) ? ` (request ${requestId})` : '';
    super(`${base}${extras.length ? ` (${extras.join('; ')})` : ''}${tail}`, code, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.type = str(err?.type);
    this.apiCode = str(err?.code) ?? (typeof err?.code === 'number' ? String(err.code) : undefined);
    this.param = str(err?.param);
    this.requestId = requestId;
    this.retryAfterMs = init.retryAfterMs ?? (typeof err?.retry_after === 'number' && err.retry_after >= 0 ? err.retry_after * 1000 : undefined);
    this.retryable = typeof err?.retryable === 'boolean' ? err.retryable : defaultRetryable(init.status);
    this.didYouMean = didYouMean;
    this.suggestions = suggestions;
    this.balanceUsd = typeof err?.balance_usd === 'number' ? err.balance_usd : undefined;
    this.estimatedCostUsd = typeof err?.estimated_cost_usd === 'number' ? err.estimated_cost_usd : undefined;
    this.validationErrors = validationErrors;
    this.hint = hint;
    this.raw = init.body;
  }

  /**
   * True when `code` is this error's toolkit code (`TLA_ERR_API_…`) or the server's own `error.code` (`apiCode`),
   * so code ported from the openai SDK (`err.code === 'invalid_api_key'`) becomes `err.hasCode('invalid_api_key')`.
   */
  hasCode(code: string): boolean {
    return this.code === code || this.apiCode === code;
  }

  /** The openai SDK's name for {@link requestId}, for code ported from it. */
  get requestID(): string | undefined {
    return this.requestId;
  }
}

/** Statuses worth retrying when the server does not say: 408, 409, 425, 429 and 5xx. Never 402. */
export function defaultRetryable(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

function suggestionsOf(body: unknown): string[] {
  const err = errorObjectOf(body);
  if (!err) return [];
  const out: string[] = [];
  const add = (v: unknown) => {
    const s = typeof v === 'string' ? v : isDict(v) ? str(v.id) : undefined;
    if (s && !out.includes(s)) out.push(s);
  };
  add(err.did_you_mean);
  for (const key of ['suggestions', 'alternatives']) {
    const list = err[key];
    if (Array.isArray(list)) list.forEach(add);
  }
  return out;
}

function validationErrorsOf(body: unknown): ApiValidationError[] {
  const err = errorObjectOf(body);
  const list = (isDict(body) && Array.isArray(body.validation_errors) ? body.validation_errors : undefined) ??
    (err && Array.isArray(err.validation_errors) ? err.validation_errors : undefined) ?? [];
  return list.filter(isDict).map((v) => {
    const out: { field?: string; message?: string; code?: string } = {};
    const field = str(v.field) ?? str(v.path) ?? str(v.param);
    if (field) out.field = field;
    const message = str(v.message);
    if (message) out.message = message;
    const code = str(v.code);
    if (code) out.code = code;
    return out;
  });
}

/** 400: the request was invalid; `validationErrors` says which fields. Fix the request; do not retry. */
export class BadRequestError extends ApiError {
  static override brandName = 'BadRequestError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_BAD_REQUEST';
}

/** 401: missing, invalid or expired API key. */
export class AuthenticationError extends ApiError {
  static override brandName = 'AuthenticationError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_AUTHENTICATION';
}

/** 402: the account balance does not cover the request (`balanceUsd`). Never retried. */
export class InsufficientBalanceError extends ApiError {
  static override brandName = 'InsufficientBalanceError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_INSUFFICIENT_BALANCE';
  constructor(init: ApiErrorInit) {
    super(init);
    (this as { retryable: boolean }).retryable = false;
  }
}

/** 403: the key may not do this (organisation inactive, model not allowed, …). */
export class PermissionDeniedError extends ApiError {
  static override brandName = 'PermissionDeniedError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_PERMISSION_DENIED';
}

/** 404: unknown model or route; `suggestions` / `didYouMean` name close matches. */
export class NotFoundError extends ApiError {
  static override brandName = 'NotFoundError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_NOT_FOUND';
}

/** 413: the upload is over the server's limit. Compress the audio or split it. */
export class PayloadTooLargeError extends ApiError {
  static override brandName = 'PayloadTooLargeError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_PAYLOAD_TOO_LARGE';
}

/** 429: rate limited; `retryAfterMs` says how long the server asked to wait. */
export class RateLimitError extends ApiError {
  static override brandName = 'RateLimitError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_RATE_LIMIT';
}

/** 5xx: the server or an upstream provider failed. */
export class ServerError extends ApiError {
  static override brandName = 'ServerError';
  static override defaultCode: ErrorCode = 'TLA_ERR_API_SERVER';
}

/** No response within `timeoutMs` (or the response body stalled for that long). `status` is 0. */
export class TimeoutError extends ApiError {
  static override brandName = 'TimeoutError';
  /** True when the request body had been fully or partly sent before the time ran out. */
  readonly requestSent: boolean;
  constructor(message: string, options: { requestSent: boolean; requestId?: string | undefined; cause?: unknown }) {
    super({ status: 0, message, requestId: options.requestId, cause: options.cause }, 'TLA_ERR_API_TIMEOUT');
    this.requestSent = options.requestSent;
    (this as { retryable: boolean }).retryable = !options.requestSent;
  }
}

/**
 * A response is larger than the client will hold in memory: a buffered body (JSON, a transcript, a model list) over
 * its limit, or one SSE line or event over the parser's. Never retried: the same request gets the same answer.
 */
export class ResponseTooLargeError extends ApiError {
  static override brandName = 'ResponseTooLargeError';
  /** Bytes (or, for SSE, characters) that had arrived when the limit was hit. */
  readonly receivedBytes: number;
  readonly limitBytes: number;
  /** The response's `content-length`, when it sent one. */
  readonly contentLength: number | undefined;
  constructor(message: string, init: { status: number; requestId?: string | undefined; receivedBytes: number; limitBytes: number; contentLength?: number | undefined }) {
    super({ status: init.status, requestId: init.requestId, message }, 'TLA_ERR_API_RESPONSE_TOO_LARGE');
    this.receivedBytes = init.receivedBytes;
    this.limitBytes = init.limitBytes;
    this.contentLength = init.contentLength;
    (this as { retryable: boolean }).retryable = false;
  }
}

/** The connection failed (refused, reset, DNS, TLS, cut mid-body). `status` is 0. */
export class ConnectionError extends ApiError {
  static override brandName = 'ConnectionError';
  /** True when the request body had been fully or partly sent before the connection failed. */
  readonly requestSent: boolean;
  constructor(message: string, options: { requestSent: boolean; requestId?: string | undefined; cause?: unknown }) {
    super({ status: 0, message, requestId: options.requestId, cause: options.cause }, 'TLA_ERR_API_CONNECTION');
    this.requestSent = options.requestSent;
    (this as { retryable: boolean }).retryable = !options.requestSent;
  }
}

/**
 * The right `ApiError` subclass for a non-2xx response.
 * `status` 3xx means a redirect we refused to follow (another origin): plain `ApiError` with code `TLA_ERR_API_REDIRECT`.
 */
export function apiErrorFromResponse(init: ApiErrorInit): ApiError {
  const s = init.status;
  if (s === 400 || s === 422) return new BadRequestError(init);
  if (s === 401) return new AuthenticationError(init);
  if (s === 402) return new InsufficientBalanceError(init);
  if (s === 403) return new PermissionDeniedError(init);
  if (s === 404) return new NotFoundError(init);
  if (s === 413) return new PayloadTooLargeError(init);
  if (s === 429) return new RateLimitError(init);
  if (s >= 500) return new ServerError(init);
  if (s >= 300 && s < 400) return new ApiError(init, 'TLA_ERR_API_REDIRECT');
  return new ApiError(init);
}
