import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig, PriceEntry } from '@breakwater/config';
import { Metrics } from '@breakwater/observability';
import { testConfig } from '@breakwater/testing';
import { MAX_UNPRICED_REPORTED, Pricing } from './pricing';

const usage = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

function setUp(
  pricingFile: Record<string, PriceEntry> = {},
  env: Record<string, string> = {},
  aliasPrices: Record<string, PriceEntry> = {},
) {
  const loaded = testConfig(env);
  const config: AppConfig = {
    ...loaded,
    pricing: { file: 'prices.yaml', models: pricingFile, aliasPrices },
  };
  const metrics = new Metrics();
  return { pricing: new Pricing(config, metrics), metrics };
}

describe('Pricing', () => {
  const { pricing, metrics } = setUp();

  it('prices a call per million input and output tokens', () => {
    // gpt-4o-mini: $0.15 in, $0.60 out per million
    expect(pricing.costUsd('openai', 'gpt-4o-mini', usage(1_000_000, 1_000_000))).toBeCloseTo(0.75, 10);
    expect(pricing.costUsd('openai', 'gpt-4o-mini', usage(1000, 500))).toBeCloseTo(0.00045, 10);
    // claude-sonnet-4-5: $3 in, $15 out
    expect(pricing.costUsd('anthropic', 'claude-sonnet-4-5', usage(2000, 1000))).toBeCloseTo(0.021, 10);
  });

  it('prices OpenRouter models as the vendor model they name, and the mock as free', () => {
    expect(pricing.costUsd('openrouter', 'openai/gpt-4o-mini', usage(1000, 500))).toBeCloseTo(0.00045, 10);
    expect(pricing.costUsd('mock', 'anything', usage(1000, 500))).toBe(0);
  });

  it('has no price for a model it does not list, and counts its cost as 0', () => {
    expect(pricing.price('openai', 'gpt-unknown')).toBeUndefined();
    expect(pricing.costUsd('openai', 'gpt-unknown', usage(1000, 500))).toBe(0);
    // OpenRouter's router picks any model, and a variant suffix may change the price: neither is guessed.
    expect(pricing.price('openrouter', 'openrouter/auto')).toBeUndefined();
    expect(pricing.price('openrouter', 'openai/gpt-4o-mini:online')).toBeUndefined();
  });

  it('prices a dated snapshot only when the table lists it, never as its alias', () => {
    expect(pricing.price('openai', 'gpt-4o-mini-2024-07-18')).toEqual(pricing.price('openai', 'gpt-4o-mini'));
    // The first gpt-4o snapshot costs twice the alias: inheriting would under-count budgets.
    expect(pricing.price('openai', 'gpt-4o-2024-05-13')).toEqual({ input: 5, output: 15 });
    expect(pricing.price('openai', 'gpt-4o')).toEqual({ input: 2.5, output: 10 });
    expect(pricing.price('openai', 'gpt-4o-mini-2099-01-01')).toBeUndefined();
    expect(pricing.price('openrouter', 'openai/gpt-4o-mini-2024-07-18')).toEqual({
      input: 0.15,
      output: 0.6,
    });
  });

  it('merges PRICING_FILE over the shipped table: overrides, new models, a priced mock, OpenRouter entries', () => {
    const custom = setUp({
      'openai/gpt-4o-mini': { input: 0.2, output: 0.8 },
      'openai/gpt-5-pro': { input: 15, output: 120 },
      'mock/metered': { input: 1, output: 1 },
      'openrouter/openai/gpt-4o': { input: 3, output: 12 },
    }).pricing;
    expect(custom.price('openai', 'gpt-4o-mini')).toEqual({ input: 0.2, output: 0.8 });
    expect(custom.price('openai', 'gpt-5-pro')).toEqual({ input: 15, output: 120 });
    expect(custom.price('openai', 'gpt-4.1')).toEqual({ input: 2, output: 8 });
    expect(custom.costUsd('mock', 'metered', usage(1_000_000, 0))).toBe(1);
    expect(custom.price('mock', 'echo')).toEqual({ input: 0, output: 0 });
    expect(custom.price('openrouter', 'openai/gpt-4o')).toEqual({ input: 3, output: 12 });
    expect(custom.modelsOf('openai').map((m) => m.model)).toContain('openai/gpt-5-pro');
  });

  it('lists the models of a provider', () => {
    expect(pricing.modelsOf('gemini').map((m) => m.model)).toContain('gemini/gemini-2.5-flash');
  });

  it('gives a model label only to priced models, their OpenRouter names, DEFAULT_MODEL and mock/echo', () => {
    expect(metrics.modelLabel('openai', 'gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(metrics.modelLabel('openrouter', 'anthropic/claude-sonnet-4-5')).toBe(
      'anthropic/claude-sonnet-4-5',
    );
    expect(metrics.modelLabel('mock', 'echo')).toBe('echo');
    expect(metrics.modelLabel('mock', 'm-1')).toBe('other');
    expect(metrics.modelLabel('openai', 'gpt-unknown')).toBe('other');
    expect(metrics.modelLabel('openrouter', 'openrouter/auto')).toBe('other');
    const custom = setUp({ 'openai/gpt-5-pro': { input: 15, output: 120 } }, { DEFAULT_MODEL: 'mock/house' });
    expect(custom.metrics.modelLabel('openai', 'gpt-5-pro')).toBe('gpt-5-pro');
    expect(custom.metrics.modelLabel('mock', 'house')).toBe('house');
  });

  it('warns once per unpriced model, and about at most MAX_UNPRICED_REPORTED of them', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const fresh = setUp().pricing;
      for (let i = 0; i < 3; i++) fresh.costUsd('openai', 'gpt-made-up', usage(1, 1));
      expect(warn).toHaveBeenCalledTimes(1);
      for (let i = 0; i < MAX_UNPRICED_REPORTED * 3; i++) fresh.costUsd('openai', `gpt-${i}`, usage(1, 1));
      expect(warn).toHaveBeenCalledTimes(MAX_UNPRICED_REPORTED);
    } finally {
      warn.mockRestore();
    }
  });

  it('prices an alias target at the alias price, over the shipped table and PRICING_FILE', () => {
    const { pricing: aliased } = setUp(
      { 'openai/gpt-4o-mini': { input: 1, output: 1 } },
      {},
      { 'openai/gpt-4o-mini': { input: 2, output: 4 }, 'openai/my-finetune': { input: 3, output: 6 } },
    );
    expect(aliased.costUsd('openai', 'gpt-4o-mini', usage(1_000_000, 1_000_000))).toBeCloseTo(6, 10);
    expect(aliased.price('openai', 'my-finetune')).toEqual({ input: 3, output: 6 });
  });

  it('gives the alias route models their own metric label, priced or not', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bw-pricing-')), 'models.yaml');
    writeFileSync(file, 'models:\n  support: [openai/ft:gpt-4o-mini:acme:support:abc]\n');
    const { metrics: labelled } = setUp({}, { MODELS_FILE: file });
    expect(labelled.modelLabel('openai', 'ft:gpt-4o-mini:acme:support:abc')).toBe(
      'ft:gpt-4o-mini:acme:support:abc',
    );
    expect(labelled.modelLabel('openai', 'ft:gpt-4o-mini:acme:other:def')).toBe('other');
  });
});
