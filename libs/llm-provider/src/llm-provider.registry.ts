import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionRequest,
  ChatMessage,
  GatewayError,
  PROVIDER_IDS,
  ProviderId,
  isProviderId,
} from '@breakwater/contracts';
import { ReadinessDetail, ReadinessDetails } from '@breakwater/health';
import { Metrics } from '@breakwater/observability';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { ModelPrice, Pricing } from './pricing';
import { ProviderError } from './provider-error';
import { CircuitBreakers, CircuitState } from './resilience/circuit-breakers';
import { CircuitOpenError } from './resilience/circuit-open.error';
import { backoffDelayMs } from './resilience/retry-policy';
import { StructuredOutput } from './structured-output';

/** Where a request goes: the provider, its own model name, and the adapter that calls it. */
export interface ModelRoute {
  provider: ProviderId;
  model: string;
  adapter: LlmProviderAdapter;
}

/** A provider's answer as the gateway returns it (model `provider/model`), with what all its attempts cost. */
export interface ProviderAnswer {
  completion: ChatCompletion;
  provider: ProviderId;
  model: string;
  costUsd: number;
  attempts: number;
}

export interface CompletionOptions {
  /** Aborts everything (the client went away). */
  signal?: AbortSignal;
  /** Tried in order, synchronously, when the route before is unavailable. */
  fallbacks?: ModelRoute[];
  /**
   * Called before every attempt on a provider (retries and fallbacks included); may throw a
   * ProviderHeldError to hold the call back (the gateway's outbound quota lives in rate-limit).
   */
  beforeAttempt?: (provider: ProviderId) => Promise<void>;
}

export interface ProviderDescription {
  id: ProviderId;
  configured: boolean;
  circuit: CircuitState;
  models: { id: string; input_usd_per_million: number; output_usd_per_million: number }[];
}

/** opossum's rejection while a breaker is open (or half-open with its trial call under way). */
function isBreakerRejection(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'EOPENBREAKER';
}

/**
 * The provider step, in one place: resolve `provider/model`, then per route up to RETRY_MAX_ATTEMPTS
 * attempts through the provider's circuit breaker, each with its own LLM_TIMEOUT_SECONDS signal, all
 * inside REQUEST_TIMEOUT_SECONDS. Transient failures back off (full jitter, Retry-After as a floor);
 * permanent ones end at once as PROVIDER_ERROR (502); a structured answer that fails its schema is
 * retried with the validation errors in the conversation. A route that stays unavailable hands over
 * to the next fallback; the last one's PROVIDER_UNAVAILABLE (503) is what the caller (or the queue) sees.
 */
@Injectable()
export class ProviderRegistry implements ReadinessDetails, OnApplicationShutdown {
  private readonly adapters: Map<ProviderId, LlmProviderAdapter>;
  private readonly defaultProvider: string;

  constructor(
    private readonly config: AppConfig,
    @Inject(LLM_PROVIDER_ADAPTERS) adapters: LlmProviderAdapter[],
    private readonly metrics: Metrics,
    private readonly breakers: CircuitBreakers,
    private readonly structured: StructuredOutput,
    private readonly pricing: Pricing,
  ) {
    this.adapters = new Map(adapters.map((adapter) => [adapter.id, adapter]));
    this.defaultProvider = config.models.defaultModel.split('/')[0];
  }

  resolve(model: string, param = 'model'): ModelRoute {
    const slash = model.indexOf('/');
    const provider = slash === -1 ? this.defaultProvider : model.slice(0, slash);
    const name = slash === -1 ? model : model.slice(slash + 1);
    if (!isProviderId(provider)) {
      throw GatewayError.invalid(
        param,
        `${param}: unknown provider "${provider}"; use one of ${PROVIDER_IDS.join(', ')}`,
      );
    }
    if (!name) throw GatewayError.invalid(param, `${param}: "${model}" names no model after the provider`);
    const adapter = this.adapters.get(provider);
    if (!adapter?.configured) {
      const fix = provider === 'mock' ? 'MOCK_PROVIDER_ENABLED=true' : `${provider.toUpperCase()}_API_KEY`;
      throw new GatewayError(
        'PROVIDER_NOT_CONFIGURED',
        `provider "${provider}" is not configured: set ${fix}`,
        {
          param,
        },
      );
    }
    return { provider, model: name, adapter };
  }

  /** Throws 400 naming `response_format.json_schema.schema` when its schema is over budget or cannot be compiled. */
  assertResponseFormat(request: ChatCompletionRequest): void {
    this.structured.prepare(request.response_format);
  }

  async complete(
    route: ModelRoute,
    request: ChatCompletionRequest,
    options: CompletionOptions = {},
  ): Promise<ProviderAnswer> {
    const deadline = Date.now() + this.config.resilience.requestTimeoutMs;
    const routes = [route, ...(options.fallbacks ?? [])];
    for (let index = 0; ; index++) {
      try {
        return await this.completeOn(routes[index], request, deadline, options);
      } catch (error) {
        const unavailable = error instanceof GatewayError && error.code === 'PROVIDER_UNAVAILABLE';
        if (!unavailable || index === routes.length - 1 || options.signal?.aborted) throw error;
      }
    }
  }

  describe(): ProviderDescription[] {
    return PROVIDER_IDS.map((id) => ({
      id,
      configured: this.adapters.get(id)?.configured ?? false,
      circuit: this.breakers.state(id),
      models: this.pricing.modelsOf(id).map(({ model, price }) => priced(model, price)),
    }));
  }

  /** Readiness shows each configured provider's circuit; an open one is not unreadiness (202s then). */
  readinessDetails(): Record<string, ReadinessDetail> {
    const circuits: Record<string, string> = {};
    for (const provider of this.describe()) if (provider.configured) circuits[provider.id] = provider.circuit;
    return { providers: { status: 'up', circuits } };
  }

  onApplicationShutdown(): void {
    this.breakers.shutdown();
  }

  private async completeOn(
    route: ModelRoute,
    request: ChatCompletionRequest,
    deadline: number,
    { signal, beforeAttempt }: CompletionOptions,
  ): Promise<ProviderAnswer> {
    const { retryMaxAttempts, retryBaseDelayMs } = this.config.resilience;
    let messages: ChatMessage[] = request.messages;
    let costUsd = 0;
    for (let attempt = 1; ; attempt++) {
      if (this.breakers.state(route.provider) === 'open') throw this.circuitOpen(route);
      await beforeAttempt?.(route.provider);
      let completion: ChatCompletion;
      try {
        completion = await this.attempt(route, { ...request, messages }, deadline, signal);
      } catch (error) {
        if (isBreakerRejection(error)) throw this.circuitOpen(route);
        if (!(error instanceof ProviderError) || signal?.aborted) throw error;
        if (!error.retryable) {
          throw new GatewayError(
            'PROVIDER_ERROR',
            `provider "${route.provider}" rejected the request: ${error.message}`,
            {
              cause: error,
            },
          );
        }
        const delay = backoffDelayMs(attempt, retryBaseDelayMs, error.options.retryAfterMs);
        if (attempt >= retryMaxAttempts || Date.now() + delay >= deadline) {
          throw new GatewayError(
            'PROVIDER_UNAVAILABLE',
            `provider "${route.provider}" is unavailable after ${attempt} attempt(s): ${error.message}`,
            { retryAfterSeconds: seconds(error.options.retryAfterMs ?? retryBaseDelayMs), cause: error },
          );
        }
        await sleep(delay, undefined, { signal });
        continue;
      }
      costUsd += this.pricing.costUsd(route.provider, route.model, completion.usage);
      const content = completion.choices[0]?.message.content ?? null;
      const check = this.structured.check(request.response_format, content);
      if (check.ok) {
        const model = `${route.provider}/${route.model}`;
        return {
          completion: { ...completion, model },
          provider: route.provider,
          model: route.model,
          costUsd,
          attempts: attempt,
        };
      }
      this.metrics.llmRequests.inc({
        provider: route.provider,
        model: this.metrics.modelLabel(route.provider, route.model),
        outcome: 'invalid_output',
      });
      if (attempt >= retryMaxAttempts || Date.now() >= deadline) {
        throw new GatewayError(
          'PROVIDER_ERROR',
          `provider "${route.provider}" answered ${attempt} time(s) without matching response_format: ${check.problem}`,
        );
      }
      messages = [
        ...messages,
        { role: 'assistant', content },
        {
          role: 'user',
          content: `Your answer was invalid: ${check.problem}. Reply again with only JSON that satisfies the required format.`,
        },
      ];
    }
  }

  /** One call through the breaker, timed out by LLM_TIMEOUT_SECONDS or the request's deadline, whichever is first. */
  private async attempt(
    route: ModelRoute,
    request: ChatCompletionRequest,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<ChatCompletion> {
    const labels = { provider: route.provider, model: this.metrics.modelLabel(route.provider, route.model) };
    const budget = Math.max(1, Math.min(this.config.resilience.llmTimeoutMs, deadline - Date.now()));
    const timeout = AbortSignal.timeout(budget);
    const stopTimer = this.metrics.llmRequestDuration.startTimer(labels);
    try {
      const completion = await this.breakers.fire(route.provider, () =>
        route.adapter.complete(
          { ...request, model: route.model },
          signal ? AbortSignal.any([timeout, signal]) : timeout,
        ),
      );
      this.metrics.llmRequests.inc({ ...labels, outcome: 'success' });
      this.metrics.llmTokens.inc({ ...labels, type: 'input' }, completion.usage.prompt_tokens);
      this.metrics.llmTokens.inc({ ...labels, type: 'output' }, completion.usage.completion_tokens);
      this.metrics.llmCost.inc(labels, this.pricing.costUsd(route.provider, route.model, completion.usage));
      return completion;
    } catch (error) {
      const outcome = isBreakerRejection(error)
        ? 'circuit_open'
        : error instanceof ProviderError
          ? error.kind
          : 'error';
      this.metrics.llmRequests.inc({ ...labels, outcome });
      throw error;
    } finally {
      stopTimer();
    }
  }

  private circuitOpen(route: ModelRoute): CircuitOpenError {
    return new CircuitOpenError(route.provider, this.breakers.retryAfterMs(route.provider));
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function priced(model: string, price: ModelPrice): ProviderDescription['models'][number] {
  return { id: model, input_usd_per_million: price.input, output_usd_per_million: price.output };
}
