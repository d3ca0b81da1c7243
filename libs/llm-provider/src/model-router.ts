import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, ModelAlias } from '@breakwater/config';
import {
  GatewayError,
  PROVIDER_IDS,
  ProviderId,
  REMOTE_PROVIDER_IDS,
  isProviderId,
} from '@breakwater/contracts';
import { LLM_PROVIDER_ADAPTERS, LlmProviderAdapter } from './adapters/llm-provider.adapter';

/** Where a request goes: the provider, its own model name, and the adapter that calls it. */
export interface ModelRoute {
  provider: ProviderId;
  model: string;
  adapter: LlmProviderAdapter;
}

/** The providers a bare model name is routed to by how it starts, as OpenAI-compatible clients name models. */
export const BARE_MODEL_PREFIXES: readonly (readonly [string, ProviderId])[] = [
  ['gpt-', 'openai'],
  ['o1', 'openai'],
  ['o3', 'openai'],
  ['o4', 'openai'],
  ['chatgpt-', 'openai'],
  ['claude-', 'anthropic'],
  ['gemini-', 'gemini'],
  ['deepseek-', 'deepseek'],
];

/**
 * Turns a requested `provider/model`, an alias of MODELS_FILE, or a bare model name, into a route. An
 * alias goes to the first model of its route (the gateway adds the rest as fallbacks), and wins over the
 * bare-name rules below, so an operator can name `gpt-4o` whatever they route it to. A bare name goes to
 * DEFAULT_MODEL's provider when that is set; otherwise to the mock while no real provider is
 * configured (a fresh machine answers), else to the provider its prefix names. Every name a caller
 * sends (`model`, each of `x-fallback-models`) passes here, so an unknown or unconfigured provider is a
 * 4xx naming that field before anything is counted or sent.
 */
@Injectable()
export class ModelRouter implements OnApplicationBootstrap {
  private readonly logger = new Logger('Providers');
  private readonly adapters: Map<ProviderId, LlmProviderAdapter>;
  private readonly defaultProvider?: string;
  private readonly anyRealProvider: boolean;
  private readonly aliases: ReadonlyMap<string, ModelAlias>;

  constructor(config: AppConfig, @Inject(LLM_PROVIDER_ADAPTERS) adapters: LlmProviderAdapter[]) {
    this.adapters = new Map(adapters.map((adapter) => [adapter.id, adapter]));
    this.defaultProvider = config.models.defaultModel?.split('/')[0];
    this.anyRealProvider = REMOTE_PROVIDER_IDS.some((id) => this.isConfigured(id));
    this.aliases = config.models.aliases;
  }

  /** One line, so that where bare names go can be read from the first lines of a start. */
  onApplicationBootstrap(): void {
    const configured = PROVIDER_IDS.filter((id) => this.isConfigured(id));
    this.logger.log(`providers: ${configured.length > 0 ? configured.join(', ') : 'none'}`);
    for (const [name, alias] of this.aliases) {
      const unconfigured = alias.route.filter((target) => {
        const provider = target.slice(0, target.indexOf('/'));
        return !isProviderId(provider) || !this.isConfigured(provider);
      });
      if (unconfigured.length > 0) {
        this.logger.warn(`alias ${name}: ${unconfigured.join(', ')} will answer PROVIDER_NOT_CONFIGURED`);
      }
    }
  }

  resolve(model: string, param = 'model'): ModelRoute {
    const alias = this.aliases.get(model);
    if (alias) return this.resolve(alias.route[0], param);
    const slash = model.indexOf('/');
    const provider = slash === -1 ? this.providerOfBareName(model, param) : model.slice(0, slash);
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
      const fix =
        provider === 'mock'
          ? 'MOCK_PROVIDER_ENABLED=true'
          : provider === 'replay'
            ? 'RECORD_DIR'
            : `${provider.toUpperCase()}_API_KEY`;
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

  private providerOfBareName(model: string, param: string): string {
    if (this.defaultProvider) return this.defaultProvider;
    if (!this.anyRealProvider && this.isConfigured('mock')) return 'mock';
    const match = BARE_MODEL_PREFIXES.find(([prefix]) => model.startsWith(prefix));
    if (match) return match[1];
    const prefixes = BARE_MODEL_PREFIXES.map(([prefix, provider]) => `${prefix}* (${provider})`).join(', ');
    throw GatewayError.invalid(
      param,
      `${param}: "${model}" has no provider; write provider/model or a name starting with one of ${prefixes}`,
    );
  }
}
