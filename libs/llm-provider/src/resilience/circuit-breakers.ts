import { Injectable } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { AppConfig } from '@breakwater/config';
import { PROVIDER_IDS, ProviderId } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { ProviderError } from '../provider-error';

export type CircuitState = 'closed' | 'open' | 'half_open';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

type Call<T> = () => Promise<T>;

/**
 * One opossum breaker per provider. Only transient failures (timeouts, 5xx, 429, connection errors)
 * count against a provider: a 400 or 401 says nothing about its health. opossum's own timeout is off:
 * each attempt carries its AbortSignal timeout. While a breaker is open, `fire` rejects at once and
 * `retryAfterMs` says how long until it half-opens.
 */
@Injectable()
export class CircuitBreakers {
  private readonly breakers = new Map<ProviderId, CircuitBreaker<[Call<unknown>], unknown>>();
  private readonly openedAt = new Map<ProviderId, number>();
  private readonly resetTimeoutMs: number;

  constructor(config: AppConfig, metrics: Metrics) {
    const { errorThresholdPercent, volumeThreshold, resetTimeoutMs } = config.resilience.breaker;
    this.resetTimeoutMs = resetTimeoutMs;
    for (const provider of PROVIDER_IDS) {
      const breaker = new CircuitBreaker((call: Call<unknown>) => call(), {
        timeout: false,
        errorThresholdPercentage: errorThresholdPercent,
        volumeThreshold,
        resetTimeout: resetTimeoutMs,
        errorFilter: (error: unknown) => !(error instanceof ProviderError && error.retryable),
      });
      const report = (state: CircuitState) =>
        metrics.circuitBreakerState.set({ provider }, STATE_VALUE[state]);
      breaker.on('open', () => (this.openedAt.set(provider, Date.now()), report('open')));
      breaker.on('halfOpen', () => report('half_open'));
      breaker.on('close', () => (this.openedAt.delete(provider), report('closed')));
      report('closed');
      this.breakers.set(provider, breaker);
    }
  }

  fire<T>(provider: ProviderId, call: Call<T>): Promise<T> {
    return this.breaker(provider).fire(call) as Promise<T>;
  }

  state(provider: ProviderId): CircuitState {
    const breaker = this.breaker(provider);
    if (breaker.opened) return 'open';
    return breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** Milliseconds until an open breaker lets a trial call through (0 when it is not open). */
  retryAfterMs(provider: ProviderId): number {
    const openedAt = this.openedAt.get(provider);
    if (openedAt === undefined || this.state(provider) !== 'open') return 0;
    return Math.max(0, openedAt + this.resetTimeoutMs - Date.now());
  }

  /** Stops every breaker's timers, so a closing process is not held open. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private breaker(provider: ProviderId): CircuitBreaker<[Call<unknown>], unknown> {
    const breaker = this.breakers.get(provider);
    if (!breaker) throw new Error(`no breaker for ${provider}`);
    return breaker;
  }
}
