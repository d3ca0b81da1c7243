import { Injectable, Logger } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { AppConfig } from '@breakwater/config';
import { PROVIDER_IDS, ProviderId } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { ProviderError } from '../provider-error';
import { CircuitOpenError } from './circuit-open.error';

export type CircuitState = 'closed' | 'open' | 'half_open';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

type Call<T> = () => Promise<T>;

/**
 * One opossum breaker per provider. Only transient failures (timeouts, 5xx, 429, connection errors)
 * count against a provider: a 400 or 401 says nothing about its health. opossum's own timeout is off:
 * each attempt carries its AbortSignal timeout. While a breaker is open, `fire` rejects at once and
 * `retryAfterMs` says how long until it half-opens.
 *
 * Every transition is a log line (provider, from, to, and on opening the failure that tripped it and
 * when it half-opens); opossum reports the failure before it opens, so the last counted failure is the
 * one that tripped it. `openError` says the same to whoever is refused: "openai: connection failed
 * (ECONNREFUSED); circuit open until 10:22:33 UTC".
 */
@Injectable()
export class CircuitBreakers {
  private readonly logger = new Logger('CircuitBreaker');
  private readonly breakers = new Map<ProviderId, CircuitBreaker<[Call<unknown>], unknown>>();
  private readonly openedAt = new Map<ProviderId, number>();
  private readonly lastFailure = new Map<ProviderId, string>();
  private readonly current = new Map<ProviderId, CircuitState>();
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
      const report = (state: CircuitState) => {
        metrics.circuitBreakerState.set({ provider }, STATE_VALUE[state]);
        const from = this.current.get(provider);
        this.current.set(provider, state);
        if (from !== undefined) this.logTransition(provider, from, state);
      };
      breaker.on('failure', (error: unknown) => this.lastFailure.set(provider, failureOf(provider, error)));
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

  /** The refusal of a call while the provider's breaker is open, saying why it opened and until when. */
  openError(provider: ProviderId): CircuitOpenError {
    const retryAfterMs = this.retryAfterMs(provider);
    return new CircuitOpenError(provider, retryAfterMs, this.whyOpen(provider, Date.now() + retryAfterMs));
  }

  /** Stops every breaker's timers, so a closing process is not held open. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private whyOpen(provider: ProviderId, until: number): string {
    const failure = this.lastFailure.get(provider) ?? `${provider}: failing`;
    return `${failure}; circuit open until ${clockOf(until)}`;
  }

  private logTransition(provider: ProviderId, from: CircuitState, to: CircuitState): void {
    const line = { provider, from, to };
    if (to === 'open') {
      const until = (this.openedAt.get(provider) ?? Date.now()) + this.resetTimeoutMs;
      const reason = this.lastFailure.get(provider);
      this.logger.warn({ ...line, reason, until: new Date(until).toISOString() }, 'circuit breaker opened');
    } else if (to === 'half_open') {
      this.logger.log(line, 'circuit breaker half-open: one trial call goes through');
    } else {
      this.logger.log(line, 'circuit breaker closed');
    }
  }

  private breaker(provider: ProviderId): CircuitBreaker<[Call<unknown>], unknown> {
    const breaker = this.breakers.get(provider);
    if (!breaker) throw new Error(`no breaker for ${provider}`);
    return breaker;
  }
}

/** A counted failure as the breaker's reason: the provider's message, led by the provider's name. */
function failureOf(provider: ProviderId, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${provider}:`) ? message : `${provider}: ${message}`;
}

/** `10:22:33 UTC`: the wall-clock time a breaker half-opens, as a person reads it in a status. */
function clockOf(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 19)} UTC`;
}
