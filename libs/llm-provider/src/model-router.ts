import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { GatewayError, PROVIDER_IDS, ProviderId, isProviderId } from '@breakwater/contracts';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';

/** Where a request goes: the provider, its own model name, and the adapter that calls it. */
export interface ModelRoute {
  provider: ProviderId;
  model: string;
  adapter: LlmProviderAdapter;
}

/**
 * Turns a requested `provider/model` (or a bare model name, on DEFAULT_MODEL's provider) into a route.
 * Every name a caller sends (`model`, each of `x-fallback-models`) passes here, so an unknown or
 * unconfigured provider is a 4xx naming that field before anything is counted or sent.
 */
@Injectable()
export class ModelRouter {
  private readonly adapters: Map<ProviderId, LlmProviderAdapter>;
  private readonly defaultProvider: string;

  constructor(config: AppConfig, @Inject(LLM_PROVIDER_ADAPTERS) adapters: LlmProviderAdapter[]) {
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

  isConfigured(provider: ProviderId): boolean {
    return this.adapters.get(provider)?.configured ?? false;
  }
}
