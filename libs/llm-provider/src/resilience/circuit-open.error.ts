import { ProviderHeldError } from './provider-held.error';

/** The provider's breaker refuses calls: nothing was sent. The message may say what opened it and until when. */
export class CircuitOpenError extends ProviderHeldError {
  constructor(
    readonly provider: string,
    retryAfterMs: number,
    message = `provider "${provider}" is unavailable: its circuit breaker is open`,
  ) {
    super(message, retryAfterMs);
  }
}
