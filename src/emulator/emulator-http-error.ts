/** One entry of TokenLab's `validation_errors` (400). */
export interface ValidationIssue {
  field: string;
  message: string;
  code: string;
}

/** The `error` object of TokenLab's `ApiError` schema (extended fields are optional). */
export interface ApiErrorObject {
  message: string;
  type: string;
  code?: string;
  param?: string;
  model?: string;
  did_you_mean?: string;
  suggestions?: { id: string }[];
  hint?: string;
  retry_after?: number;
  retryable?: boolean;
  request_id?: string;
  supported_parameters?: string[];
  supported_operations?: string[];
  request_endpoint?: string | null;
  [extra: string]: unknown;
}

/**
 * A failure the emulator answers with: HTTP status plus TokenLab's error body. Thrown inside request
 * handlers and turned into a response by the server.
 */
export class EmulatorHttpError extends Error {
  readonly status: number;
  readonly error: ApiErrorObject;
  readonly validationErrors: ValidationIssue[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    error: ApiErrorObject,
    options: { validationErrors?: ValidationIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(error.message);
    this.status = status;
    this.error = error;
    this.validationErrors = options.validationErrors;
    this.headers = options.headers ?? {};
  }

  /**
   * The JSON body. `validation_errors` sits at the top level as the spec's `ValidationError` schema and
   * example put it, and is repeated inside `error` where OpenAI-style clients look for extended fields.
   */
  body(requestId: string): Record<string, unknown> {
    const error: ApiErrorObject = { ...this.error, request_id: requestId };
    if (this.validationErrors) error['validation_errors'] = this.validationErrors;
    const body: Record<string, unknown> = { error };
    if (this.validationErrors) body['validation_errors'] = this.validationErrors;
    return body;
  }
}

/** 400 `invalid_request_error` for one or more invalid fields; the first names `param`. */
export function validationFailure(issues: ValidationIssue[]): EmulatorHttpError {
  const first = issues[0] ?? { field: 'body', message: 'Invalid request', code: 'invalid_value' };
  const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new EmulatorHttpError(
    400,
    { message, type: 'invalid_request_error', code: first.code, param: first.field, retryable: false },
    { validationErrors: issues },
  );
}
