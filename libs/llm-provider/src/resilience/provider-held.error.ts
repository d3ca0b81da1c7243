import { GatewayError } from '@breakwater/contracts';

/**
 * PROVIDER_UNAVAILABLE where nothing was sent: the gateway itself holds the call back (an open breaker,
 * the gateway's own `<P>_RPM` quota used up). Unlike a provider failure it says nothing new about the
 * provider, so a queued job that meets it waits `retryAfterMs` without spending an attempt, and a
 * synchronous request moves straight on to its fallbacks.
 */
export class ProviderHeldError extends GatewayError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('PROVIDER_UNAVAILABLE', message, {
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    });
  }
}
