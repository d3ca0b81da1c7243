import { Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { ProviderId, REMOTE_PROVIDER_IDS, RemoteProviderId } from '@breakwater/contracts';
import { ProviderHeldError } from '@breakwater/llm-provider';
import { Metrics } from '@breakwater/observability';
import { retryAfterOf } from './rate-limit-headers';
import { WindowLimiters } from './window-limiters';

function isRemote(provider: ProviderId): provider is RemoteProviderId {
  return (REMOTE_PROVIDER_IDS as readonly string[]).includes(provider);
}

/**
 * The gateway's own request quota toward each provider (`<P>_RPM`, 0 = none), shared by every replica.
 * A used-up quota is the provider being unavailable for now: the request is never sent, and the
 * PROVIDER_UNAVAILABLE error (with Retry-After until the minute frees) lets the queue take it later.
 */
@Injectable()
export class OutboundLimits {
  constructor(
    private readonly config: AppConfig,
    private readonly windows: WindowLimiters,
    private readonly metrics: Metrics,
  ) {}

  /** Takes one request from the provider's quota, or throws ProviderHeldError (PROVIDER_UNAVAILABLE) with the wait. */
  async take(provider: ProviderId): Promise<void> {
    const rpm = isRemote(provider) ? this.config.providers[provider].rpm : 0;
    if (rpm <= 0) return;
    const states = await this.windows.consume([
      { scope: 'provider', window: 'minute', limit: rpm, key: provider },
    ]);
    if (!states[0].refused) return;
    this.metrics.rateLimitRejections.inc({ scope: 'provider' });
    throw new ProviderHeldError(
      `provider "${provider}" is unavailable: the gateway's quota of ${rpm} requests per minute (${provider.toUpperCase()}_RPM) is used up`,
      retryAfterOf(states) * 1000,
    );
  }
}
