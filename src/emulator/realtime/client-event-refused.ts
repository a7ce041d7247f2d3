/**
 * A client event the emulator refuses: becomes one `error` server event (the socket stays open), shaped
 * as the API's `{ type, code, message, param, event_id }`. Internal to the emulator.
 */
export class ClientEventRefused extends Error {
  override name = 'ClientEventRefused';
  constructor(
    message: string,
    readonly code: string,
    readonly param: string | null = null,
    readonly errorType = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** `Invalid value: 'x'. Supported values are: 'a', 'b'.` as the API words it. */
export function invalidValue(param: string, value: unknown, supported?: readonly string[]): ClientEventRefused {
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  const tail = supported ? ` Supported values are: ${supported.map((s) => `'${s}'`).join(', ')}.` : '';
  return new ClientEventRefused(`Invalid value: ${shown}.${tail}`, 'invalid_value', param);
}

/** `Invalid type for 'p': expected a string, but got a number instead.` */
export function invalidType(param: string, expected: string, value: unknown): ClientEventRefused {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return new ClientEventRefused(`Invalid type for '${param}': expected ${expected}, but got ${got} instead.`, 'invalid_type', param);
}

/** `Unknown parameter: 'session.foo'.` */
export function unknownParameter(param: string): ClientEventRefused {
  return new ClientEventRefused(`Unknown parameter: '${param}'.`, 'unknown_parameter', param);
}

/** `Missing required parameter: 'item_id'.` */
export function missingParameter(param: string): ClientEventRefused {
  return new ClientEventRefused(`Missing required parameter: '${param}'.`, 'missing_required_parameter', param);
}
