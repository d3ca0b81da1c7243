import { providerErrorFromStatus, retryAfterMs } from './provider-error';

describe('providerErrorFromStatus', () => {
  it.each([
    [408, 'transient'],
    [409, 'transient'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [503, 'transient'],
    [529, 'transient'],
    [400, 'bad_request'],
    [404, 'bad_request'],
    [422, 'bad_request'],
    [401, 'auth'],
    [403, 'auth'],
  ])('sorts %i as %s', (status, kind) => {
    const error = providerErrorFromStatus(status, 'x');
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(kind === 'transient' || kind === 'rate_limited');
  });

  it('carries Retry-After of a 429', () => {
    expect(providerErrorFromStatus(429, 'slow down', { 'retry-after': '7' }).options.retryAfterMs).toBe(7000);
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after-ms first, then seconds, then an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
