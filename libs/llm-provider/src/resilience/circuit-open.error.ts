import { ProviderHeldError } from './provider-held.error';

/** The provider's breaker refuses calls: nothing was sent. */
export class CircuitOpenError extends ProviderHeldError {
  constructor(provider: string, retryAfterMs: number) {
    super(`provider "${provider}" is unavailable: its circuit breaker is open`, retryAfterMs);
  }
}
