import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { anthropicProviderError } from './anthropic.adapter';

describe('anthropicProviderError', () => {
  const body = (type: string, text: string) => ({
    type: 'error',
    error: { type, message: text },
    request_id: 'req_1',
  });
  const generated = (status: number, type: string, text: string, headers: Record<string, string> = {}) =>
    anthropicProviderError(
      APIError.generate(status, body(type, text), undefined, new Headers(headers)),
      'sk-secret',
    );

  it('sorts 529 overloaded as transient', () => {
    expect(generated(529, 'overloaded_error', 'Overloaded')).toMatchObject({
      kind: 'transient',
      message: '529 anthropic: Overloaded',
      options: { status: 529 },
    });
  });

  it('sorts 429 as rate_limited with retry-after', () => {
    expect(generated(429, 'rate_limit_error', 'slow down', { 'retry-after': '12' })).toMatchObject({
      kind: 'rate_limited',
      options: { retryAfterMs: 12000 },
    });
  });

  it("sorts 401 as auth and masks the key should Anthropic's message contain it", () => {
    const error = generated(401, 'authentication_error', 'invalid x-api-key sk-secret');
    expect(error).toMatchObject({ kind: 'auth', message: '401 anthropic: invalid x-api-key [redacted]' });
    expect(error.options.cause).toBeUndefined();
  });

  it('sorts 400 and 404 as bad_request', () => {
    expect(generated(400, 'invalid_request_error', 'max_tokens: Field required').kind).toBe('bad_request');
    expect(generated(404, 'not_found_error', 'model: claude-x').kind).toBe('bad_request');
  });

  it('sorts aborts and connection failures as transient', () => {
    expect(anthropicProviderError(new APIUserAbortError()).kind).toBe('transient');
    expect(anthropicProviderError(new APIConnectionError({ message: 'Connection error.' })).kind).toBe(
      'transient',
    );
    expect(anthropicProviderError(new Error('surprise')).kind).toBe('transient');
  });
});
