import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@breakwater/config';
import { ChatCompletionUsage, ProviderId } from '@breakwater/contracts';
import { Metrics } from '@breakwater/observability';
import table from './pricing.json';

export interface ModelPrice {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

const MILLION = 1_000_000;
const FREE: ModelPrice = { input: 0, output: 0 };

/** The mock's names that keep their own `model` label; any other mock name is labelled `other`. */
const MOCK_MODELS = ['mock/echo'] as const;

/**
 * Unpriced names reported by a warning, at most: past this the log would grow with every name a caller
 * makes up, and `llm_requests_total{model="other"}` already shows the traffic.
 */
export const MAX_UNPRICED_REPORTED = 100;

/**
 * The price table and the cost of a call. The table is pricing.json (dated, with its source) with
 * PRICING_FILE's entries over it and the MODELS_FILE aliases' prices of their route targets over both
 * (an alias names a deployment the operator knows the price of, such as a fine-tune), keyed `provider/model` exactly as requested: a dated snapshot
 * (`gpt-4o-mini-2024-07-18`) has a price only when the table lists it, because a snapshot's price may
 * differ from its alias's (`gpt-4o-2024-05-13` costs twice `gpt-4o`) and guessing low would let budgets
 * under-count. An OpenRouter model without an entry of its own (`openrouter/<vendor>/<model>`) is priced as
 * the vendor model it names (`openrouter/openai/gpt-4o-mini` as `openai/gpt-4o-mini`). The mock is free
 * unless the table prices it. Any other model has no price: its cost counts as 0 (reported once), and a
 * caller under a USD budget may not use it (Limits.estimate).
 *
 * The table also decides which model names a metric `model` label may take (Metrics.knowModels): its
 * models, the same under `openrouter/`, DEFAULT_MODEL, MOCK_MODELS and the MODELS_FILE aliases' route models
 * (named by the operator, so bounded).
 */
@Injectable()
export class Pricing {
  private readonly logger = new Logger('Pricing');
  private readonly prices: Map<string, ModelPrice>;
  private readonly reported = new Set<string>();

  constructor(config: AppConfig, metrics: Metrics) {
    this.prices = new Map([
      ...Object.entries(table.models),
      ...Object.entries(config.pricing.models),
      ...Object.entries(config.pricing.aliasPrices),
    ]);
    const defaultModel: string | undefined = config.models.defaultModel;
    const listed = [...this.prices.keys()];
    metrics.knowModels([
      ...listed,
      ...listed.filter((name) => !name.startsWith('openrouter/')).map((name) => `openrouter/${name}`),
      ...MOCK_MODELS,
      ...(defaultModel ? [defaultModel] : []),
      ...[...config.models.aliases.values()].flatMap((alias) => alias.route),
    ]);
  }

  price(provider: ProviderId, model: string): ModelPrice | undefined {
    const listed = this.prices.get(`${provider}/${model}`);
    if (listed) return listed;
    if (provider === 'mock' || provider === 'replay') return FREE;
    return provider === 'openrouter' ? this.prices.get(model) : undefined;
  }

  costUsd(provider: ProviderId, model: string, usage: ChatCompletionUsage): number {
    const price = this.price(provider, model);
    if (!price) {
      this.reportUnpriced(`${provider}/${model}`);
      return 0;
    }
    return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / MILLION;
  }

  /** The priced models of one provider, `provider/model` each. */
  modelsOf(provider: ProviderId): { model: string; price: ModelPrice }[] {
    return [...this.prices.entries()]
      .filter(([name]) => name.startsWith(`${provider}/`))
      .map(([model, price]) => ({ model, price }));
  }

  private reportUnpriced(name: string): void {
    if (this.reported.has(name) || this.reported.size >= MAX_UNPRICED_REPORTED) return;
    this.reported.add(name);
    const last =
      this.reported.size === MAX_UNPRICED_REPORTED
        ? `; that makes ${MAX_UNPRICED_REPORTED} unpriced models, further ones are not reported`
        : '';
    this.logger.warn(`no price for ${name} in pricing.json or PRICING_FILE: its cost is counted as 0${last}`);
  }
}
