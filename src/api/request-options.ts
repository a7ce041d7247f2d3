/** Per-call options every client method takes as its last argument. */
export interface RequestOptions {
  /** Aborts the call (and the response body stream) at once; the promise rejects with an `AbortError`. */
  readonly signal?: AbortSignal | undefined;
  /** Overrides the client's `timeoutMs` for this call (time to response headers, and each gap in the body), ms. */
  readonly timeoutMs?: number | undefined;
  /**
   * Overall time for this call, ms: every attempt, the waits between retries (Retry-After included) and the response
   * body. Overrides the client's `deadlineMs` and the operation's default (models 60 s, speech 15 min per request,
   * transcription 1 h).
   */
  readonly deadlineMs?: number | undefined;
  /** Overrides the client's `maxRetries` for this call. */
  readonly maxRetries?: number | undefined;
  /** Resend a billable create (speech, transcription) even after its body was sent and the connection then failed. */
  readonly retryBillable?: boolean | undefined;
}

/** A value carrying the `x-request-id` of the response it came from (a non-enumerable property). */
export type WithRequestId<T> = T & { readonly requestId?: string | undefined };

/** Attaches `requestId` to an object as a non-enumerable property (kept out of `JSON.stringify`). */
export function withRequestId<T extends object>(value: T, requestId: string | undefined): WithRequestId<T> {
  Object.defineProperty(value, 'requestId', { value: requestId, enumerable: false, configurable: true });
  return value as WithRequestId<T>;
}

/** Only the defined entries, so `exactOptionalPropertyTypes` callers can spread partial options. */
export function pickDefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
