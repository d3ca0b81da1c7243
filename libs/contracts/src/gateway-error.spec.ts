import { GatewayError } from './gateway-error';

describe('GatewayError.retryingWithin', () => {
  it('caps Retry-After at the given seconds, sets it when there was none, and keeps the rest', () => {
    const cause = new Error('breaker open');
    const error = new GatewayError('PROVIDER_UNAVAILABLE', 'openai: circuit open', {
      retryAfterSeconds: 30,
      cause,
    });
    const capped = error.retryingWithin(2);
    expect(capped).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status: 503,
      message: 'openai: circuit open',
      retryAfterSeconds: 2,
      cause,
    });
    expect(
      new GatewayError('PROVIDER_UNAVAILABLE', 'down', { retryAfterSeconds: 1 }).retryingWithin(2),
    ).toMatchObject({ retryAfterSeconds: 1 });
    expect(new GatewayError('PROVIDER_UNAVAILABLE', 'down').retryingWithin(2).retryAfterSeconds).toBe(2);
    expect(GatewayError.invalid('model', 'bad').retryingWithin(5)).toMatchObject({ param: 'model' });
  });
});
