import { Injectable, Logger } from '@nestjs/common';
import { ChatCompletionUsage, ProviderId } from '@breakwater/contracts';
import table from './pricing.json';

export interface ModelPrice {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

const MILLION = 1_000_000;

/**
 * The price table (pricing.json, with its date and source) and the cost of a call. The mock is free;
 * an OpenRouter model is priced as the vendor model it names (`openrouter/openai/gpt-4o-mini`); a model
 * not in the table costs 0 and is reported once, so a missing price is visible rather than invented.
 */
@Injectable()
export class Pricing {
  private readonly logger = new Logger('Pricing');
  private readonly prices = new Map<string, ModelPrice>(Object.entries(table.models));
  private readonly unpriced = new Set<string>();
  readonly updated = table.updated;

  price(provider: ProviderId, model: string): ModelPrice | undefined {
    if (provider === 'mock') return { input: 0, output: 0 };
    return (
      this.prices.get(`${provider}/${model}`) ??
      (provider === 'openrouter' ? this.prices.get(model) : undefined)
    );
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
    if (this.unpriced.has(name)) return;
    this.unpriced.add(name);
    this.logger.warn(`no price for ${name} in pricing.json: its cost is counted as 0`);
  }
}
