import { ApiError } from '@google/genai';
import { geminiProviderError } from './gemini.adapter';

describe('geminiProviderError', () => {
  const apiError = (status: number, body: unknown) => new ApiError({ status, message: JSON.stringify(body) });

  it('sorts 429 as rate_limited with the wait from RetryInfo', () => {
    const error = geminiProviderError(
      apiError(429, {
        error: {
          code: 429,
          message: 'You exceeded your current quota.',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17.5s' }],
        },
      }),
    );
    expect(error).toMatchObject({
      kind: 'rate_limited',
      message: '429 gemini: You exceeded your current quota.',
      options: { status: 429, retryAfterMs: 17500 },
    });
  });

  it('sorts 400 API_KEY_INVALID as auth and any other 400 as bad_request', () => {
    const invalidKey = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      },
    };
    expect(geminiProviderError(apiError(400, invalidKey))).toMatchObject({
      kind: 'auth',
      options: { status: 400 },
    });
    expect(geminiProviderError(apiError(400, { error: { code: 400, message: 'bad schema' } })).kind).toBe(
      'bad_request',
    );
  });

  it('sorts 500 and 503 as transient', () => {
    expect(geminiProviderError(apiError(500, { error: { code: 500, message: 'internal' } })).kind).toBe(
      'transient',
    );
    expect(geminiProviderError(apiError(503, { error: { code: 503, message: 'overloaded' } })).kind).toBe(
      'transient',
    );
  });

  it('masks the key and keeps no cause for HTTP failures', () => {
    const error = geminiProviderError(
      apiError(403, { error: { code: 403, message: 'key AIza-secret is blocked' } }),
      'AIza-secret',
    );
    expect(error).toMatchObject({ kind: 'auth', message: '403 gemini: key [redacted] is blocked' });
    expect(error.options.cause).toBeUndefined();
  });

  it('sorts aborts, timeouts and network failures as transient', () => {
    expect(geminiProviderError(new DOMException('This operation was aborted', 'AbortError')).kind).toBe(
      'transient',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(geminiProviderError(new TypeError('fetch failed', { cause: refused }))).toMatchObject({
      kind: 'transient',
      message: 'gemini: connection failed (ECONNREFUSED)',
    });
  });
});
