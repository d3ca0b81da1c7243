import { GatewayError } from '@breakwater/contracts';

/**
 * PROVIDER_UNAVAILABLE because the provider's breaker refuses calls: nothing was sent. A queued job that
 * meets it waits for the breaker (without spending an attempt) instead of counting a failure.
 */
export class CircuitOpenError extends GatewayError {
  constructor(
    provider: string,
    readonly retryAfterMs: number,
  ) {
    super('PROVIDER_UNAVAILABLE', `provider "${provider}" is unavailable: its circuit breaker is open`, {
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  }
}
