import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { openAiProviderError } from './openai-compatible.base';

describe('openAiProviderError', () => {
  const generated = (status: number, message: string, headers: Record<string, string> = {}) =>
    openAiProviderError(
      'openai',
      APIError.generate(
        status,
        { error: { message, type: 'x', param: null, code: null } },
        undefined,
        new Headers(headers),
      ),
      'sk-secret',
    );

  it.each([
    [400, 'bad_request'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'bad_request'],
    [408, 'transient'],
    [409, 'transient'],
    [422, 'bad_request'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [503, 'transient'],
  ])('sorts HTTP %i as %s', (status, kind) => {
    expect(generated(status, 'why').kind).toBe(kind);
  });

  it("takes the provider's message from the body, masks the key, and keeps no cause", () => {
    const error = generated(401, 'Incorrect API key provided: sk-secret.');
    expect(error.message).toBe('401 openai: Incorrect API key provided: [redacted].');
    expect(error.options.cause).toBeUndefined();
  });

  it('reads retry-after-ms and Retry-After on a 429', () => {
    expect(generated(429, 'slow', { 'retry-after-ms': '1500' }).options.retryAfterMs).toBe(1500);
    expect(generated(429, 'slow', { 'retry-after': '3' }).options.retryAfterMs).toBe(3000);
  });

  it('sorts aborts, timeouts and connection failures as transient', () => {
    expect(openAiProviderError('openai', new APIUserAbortError())).toMatchObject({ kind: 'transient' });
    expect(openAiProviderError('openai', new APIConnectionTimeoutError())).toMatchObject({
      kind: 'transient',
      message: 'openai: request timed out',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(
      openAiProviderError(
        'deepseek',
        new APIConnectionError({ message: 'Connection error.', cause: refused }),
      ),
    ).toMatchObject({
      kind: 'transient',
      message: 'deepseek: connection failed (ECONNREFUSED)',
    });
  });
});
