import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import {
  ChatCompletion,
  ChatCompletionRequest,
  GatewayError,
  PROVIDER_IDS,
  ProviderId,
  isProviderId,
} from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';
import { ProviderError } from './provider-error';

/** Where a request goes: the provider, its own model name, and the adapter that calls it. */
export interface ModelRoute {
  provider: ProviderId;
  model: string;
  adapter: LlmProviderAdapter;
}

/** A provider's answer, as the gateway returns it (model `provider/model`), with what it cost. */
export interface ProviderAnswer {
  completion: ChatCompletion;
  provider: ProviderId;
  model: string;
  costUsd: number;
}

/**
 * Resolves `provider/model` (or a bare name, routed to DEFAULT_MODEL's provider) and calls providers,
 * translating their failures into the contract's errors and counting every call in the metrics.
 */
@Injectable()
export class ProviderRegistry {
  private readonly adapters: Map<ProviderId, LlmProviderAdapter>;
  private readonly defaultProvider: string;

  constructor(
    private readonly config: AppConfig,
    @Inject(LLM_PROVIDER_ADAPTERS) adapters: LlmProviderAdapter[],
    private readonly metrics: Metrics,
  ) {
    this.adapters = new Map(adapters.map((adapter) => [adapter.id, adapter]));
    this.defaultProvider = config.models.defaultModel.split('/')[0];
  }

  resolve(model: string): ModelRoute {
    const slash = model.indexOf('/');
    const provider = slash === -1 ? this.defaultProvider : model.slice(0, slash);
    const name = slash === -1 ? model : model.slice(slash + 1);
    if (!isProviderId(provider)) {
      throw GatewayError.invalid(
        'model',
        `model: unknown provider "${provider}"; use one of ${PROVIDER_IDS.join(', ')}`,
      );
    }
    if (!name) throw GatewayError.invalid('model', `model: "${model}" names no model after the provider`);
    const adapter = this.adapters.get(provider);
    if (!adapter?.configured) {
      throw new GatewayError(
        'PROVIDER_NOT_CONFIGURED',
        `provider "${provider}" is not configured: set ${provider.toUpperCase()}_API_KEY`,
        { param: 'model' },
      );
    }
    return { provider, model: name, adapter };
  }

  async complete(
    route: ModelRoute,
    request: ChatCompletionRequest,
    signal?: AbortSignal,
  ): Promise<ProviderAnswer> {
    const labels = { provider: route.provider, model: route.model };
    const timeout = AbortSignal.timeout(this.config.resilience.llmTimeoutMs);
    const stopTimer = this.metrics.llmRequestDuration.startTimer(labels);
    try {
      const completion = await route.adapter.complete(
        { ...request, model: route.model },
        signal ? AbortSignal.any([timeout, signal]) : timeout,
      );
      stopTimer();
      this.metrics.llmRequests.inc({ ...labels, outcome: 'success' });
      this.metrics.llmTokens.inc({ ...labels, type: 'input' }, completion.usage.prompt_tokens);
      this.metrics.llmTokens.inc({ ...labels, type: 'output' }, completion.usage.completion_tokens);
      return {
        completion: { ...completion, model: `${route.provider}/${route.model}` },
        provider: route.provider,
        model: route.model,
        costUsd: 0,
      };
    } catch (error) {
      stopTimer();
      throw this.translated(error, route, labels);
    }
  }

  private translated(
    error: unknown,
    route: ModelRoute,
    labels: { provider: string; model: string },
  ): unknown {
    if (!(error instanceof ProviderError)) {
      this.metrics.llmRequests.inc({ ...labels, outcome: 'error' });
      return error;
    }
    if (error.retryable) {
      this.metrics.llmRequests.inc({ ...labels, outcome: 'unavailable' });
      return new GatewayError(
        'PROVIDER_UNAVAILABLE',
        `provider "${route.provider}" is unavailable: ${error.message}`,
        {
          retryAfterSeconds: Math.max(1, Math.ceil((error.options.retryAfterMs ?? 1000) / 1000)),
          cause: error,
        },
      );
    }
    this.metrics.llmRequests.inc({ ...labels, outcome: 'error' });
    return new GatewayError(
      'PROVIDER_ERROR',
      `provider "${route.provider}" rejected the request: ${error.message}`,
      {
        cause: error,
      },
    );
  }
}
