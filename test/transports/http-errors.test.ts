import { afterEach, describe, expect, it } from 'vitest';
import { TokenLab } from '../../src/client.js';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InsufficientBalanceError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
  apiErrorFromResponse,
} from '../../src/transports/http-errors.js';
import { TokenLabAudioError } from '../../src/core/errors.js';
import { startLoopback, sendJson, type LoopbackServer } from '../transports/loopback-server.js';

let server: LoopbackServer | undefined;
let client: TokenLab | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

const CASES: [number, unknown, Record<string, string>, new (...a: never[]) => ApiError, string][] = [
  [400, { error: { message: 'input too long', type: 'invalid_request_error', param: 'input', code: 'string_above_max_length' }, validation_errors: [{ field: 'input', message: 'must be at most 4096 characters', code: 'too_long' }] }, {}, BadRequestError, 'TLA_ERR_API_BAD_REQUEST'],
  [401, { error: { message: 'Invalid API key', type: 'invalid_api_key' } }, {}, AuthenticationError, 'TLA_ERR_API_AUTHENTICATION'],
  [402, { error: { message: 'Insufficient balance', type: 'insufficient_balance', balance_usd: 0.01, estimated_cost_usd: 0.5 } }, {}, InsufficientBalanceError, 'TLA_ERR_API_INSUFFICIENT_BALANCE'],
  [403, { error: { message: 'Organization inactive', type: 'permission_error' } }, {}, PermissionDeniedError, 'TLA_ERR_API_PERMISSION_DENIED'],
  [404, { error: { message: "The model 'tts-2' does not exist", type: 'model_not_found', did_you_mean: 'tts-1', suggestions: [{ id: 'tts-1' }, { id: 'tts-1-hd' }] } }, {}, NotFoundError, 'TLA_ERR_API_NOT_FOUND'],
  [413, { error: { message: 'Maximum content size limit (26214400) exceeded', type: 'invalid_request_error', code: 'request_too_large' } }, {}, PayloadTooLargeError, 'TLA_ERR_API_PAYLOAD_TOO_LARGE'],
  [429, { error: { message: 'Rate limit exceeded', type: 'rate_limit_exceeded' } }, { 'retry-after': '7' }, RateLimitError, 'TLA_ERR_API_RATE_LIMIT'],
  [500, { error: { message: 'boom', type: 'server_error', code: null, param: null } }, {}, ServerError, 'TLA_ERR_API_SERVER'],
  [502, { error: { message: 'all channels failed', type: 'all_channels_failed', retryable: false } }, {}, ServerError, 'TLA_ERR_API_SERVER'],
];

describe('API errors from real responses', () => {
  it('maps each status and body shape to its class, code and fields, with the request id', async () => {
    server = await startLoopback((req, res) => {
      const status = Number(req.url!.split('/').pop());
      const c = CASES.find(([s]) => s === status)!;
      sendJson(res, status, c[1], { 'x-request-id': `req_${status}`, ...c[2] });
    });
    client = new TokenLab({ apiKey: 'sk-test-abcdefghijklmnop123456', baseURL: server.url, maxRetries: 0 });
    for (const [status, , , Cls, code] of CASES) {
      const err = (await client.models.retrieve(String(status)).catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(Cls);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toBeInstanceOf(TokenLabAudioError);
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(err.requestId).toBe(`req_${status}`);
      expect(err.message).toContain(`req_${status}`);
    }
    const e400 = (await client.models.retrieve('400').catch((e: unknown) => e)) as BadRequestError;
    expect(e400.param).toBe('input');
    expect(e400.apiCode).toBe('string_above_max_length');
    expect(e400.validationErrors).toEqual([{ field: 'input', message: 'must be at most 4096 characters', code: 'too_long' }]);
    expect(e400.message).toContain('must be at most 4096 characters');
    expect(e400.retryable).toBe(false);
    const e402 = (await client.models.retrieve('402').catch((e: unknown) => e)) as InsufficientBalanceError;
    expect(e402.balanceUsd).toBe(0.01);
    expect(e402.estimatedCostUsd).toBe(0.5);
    const e404 = (await client.models.retrieve('404').catch((e: unknown) => e)) as NotFoundError;
    expect(e404.didYouMean).toBe('tts-1');
    expect(e404.suggestions).toEqual(['tts-1', 'tts-1-hd']);
    expect(e404.message).toMatch(/tts-1-hd/);
    const e429 = (await client.models.retrieve('429').catch((e: unknown) => e)) as RateLimitError;
    expect(e429.retryAfterMs).toBe(7000);
    expect(e429.retryable).toBe(true);
    const e502 = (await client.models.retrieve('502').catch((e: unknown) => e)) as ServerError;
    expect(e502.retryable).toBe(false);
  });

  it('parses a non-JSON error body and an OpenAI-shaped one', () => {
    const html = apiErrorFromResponse({ status: 502, body: '<html>Bad gateway</html>' });
    expect(html).toBeInstanceOf(ServerError);
    expect(html.message).toContain('Bad gateway');
    const oa = apiErrorFromResponse({ status: 400, body: { error: { type: 'invalid_request_error', message: 'bad voice', param: 'voice', code: null } } });
    expect(oa.type).toBe('invalid_request_error');
    expect(oa.param).toBe('voice');
    expect(oa.apiCode).toBeUndefined();
    expect(apiErrorFromResponse({ status: 418, body: undefined }).code).toBe('TLA_ERR_API');
  });

  it('instanceof holds across two copies of the package (brand check, not prototype)', () => {
    // A class from "another copy": unrelated prototype chain, same brand names.
    class OtherCopyBase extends Error {}
    const foreign = new OtherCopyBase('x');
    for (const brand of ['TokenLabAudioError', 'ApiError', 'RateLimitError']) (foreign as unknown as Record<symbol, boolean>)[Symbol.for(`tokenlab-audio.error.${brand}`)] = true;
    expect(foreign).toBeInstanceOf(RateLimitError);
    expect(foreign).toBeInstanceOf(ApiError);
    expect(foreign).not.toBeInstanceOf(ServerError);
    const t = new TimeoutError('slow', { requestSent: true });
    expect(t).toBeInstanceOf(ApiError);
    expect(t).not.toBeInstanceOf(ConnectionError);
    expect(t.code).toBe('TLA_ERR_API_TIMEOUT');
    expect(new ConnectionError('reset', { requestSent: false }).retryable).toBe(true);
  });
});
