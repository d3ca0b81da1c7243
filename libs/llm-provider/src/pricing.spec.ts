import { Pricing } from './pricing';

const usage = (prompt: number, completion: number) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

describe('Pricing', () => {
  const pricing = new Pricing();

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

  it('counts an unknown model as 0', () => {
    expect(pricing.price('openai', 'gpt-unknown')).toBeUndefined();
    expect(pricing.costUsd('openai', 'gpt-unknown', usage(1000, 500))).toBe(0);
  });

  it('lists the models of a provider', () => {
    expect(pricing.modelsOf('gemini').map((m) => m.model)).toContain('gemini/gemini-2.5-flash');
  });
});
