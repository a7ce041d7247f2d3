import { describe, expect, it } from 'vitest';
import { FormatError, InputError, TokenLabAudioError } from '../../src/core/errors.js';
import { ApiError, BadRequestError, InsufficientBalanceError, RateLimitError, apiErrorFromResponse } from '../../src/transports/http-errors.js';
import { RealtimeClosedError, RealtimeError, RealtimeOverflowError, RealtimeProtocolError } from '../../src/api/realtime/realtime-errors.js';

describe('error codes by class (defaultCode)', () => {
  it('gives each class its own code when none is passed, and keeps a code that is passed', () => {
    expect(new TokenLabAudioError('x').code).toBe('TLA_ERR');
    expect(new InputError('x').code).toBe('TLA_ERR_INPUT');
    expect(new InputError('x', 'TLA_ERR_INPUT_SPEECH').code).toBe('TLA_ERR_INPUT_SPEECH');
    expect(new FormatError('x').code).toBe('TLA_ERR_FORMAT');
    expect(new RealtimeError('x').code).toBe('TLA_ERR_REALTIME');
    expect(new RealtimeClosedError('closed').code).toBe('TLA_ERR_REALTIME_CLOSED');
    expect(new RealtimeOverflowError('full').code).toBe('TLA_ERR_REALTIME_OVERFLOW');
    expect(new RealtimeProtocolError('bad').code).toBe('TLA_ERR_REALTIME_PROTOCOL');
  });

  it('maps statuses to the HTTP classes with their codes, and the classes stay distinct', () => {
    const rate = apiErrorFromResponse({ status: 429, body: { error: { message: 'slow down' } } });
    expect(rate).toBeInstanceOf(RateLimitError);
    expect(rate.code).toBe('TLA_ERR_API_RATE_LIMIT');
    expect(rate).not.toBeInstanceOf(BadRequestError);
    expect(new BadRequestError({ status: 400 }).code).toBe('TLA_ERR_API_BAD_REQUEST');
    const balance = new InsufficientBalanceError({ status: 402, body: { error: { retryable: true } } });
    expect(balance.code).toBe('TLA_ERR_API_INSUFFICIENT_BALANCE');
    expect(balance.retryable).toBe(false);
    expect(apiErrorFromResponse({ status: 418 }).code).toBe('TLA_ERR_API');
    expect(new ApiError({ status: 302 }, 'TLA_ERR_API_REDIRECT').code).toBe('TLA_ERR_API_REDIRECT');
    expect(new RealtimeClosedError('closed')).toBeInstanceOf(RealtimeError);
    expect(new RealtimeClosedError('closed').name).toBe('RealtimeClosedError');
  });
});
