import { usageIncrements, usagePeriodOf } from './usage-report';

describe('usage hashes', () => {
  it('increments each counter in total and per model, leaving zero counters out', () => {
    const fields = Object.fromEntries(
      usageIncrements('openai/gpt-4o-mini', { tokensIn: 10, tokensOut: 5, costUsd: 0.25, cacheHit: false }),
    );
    expect(fields).toEqual({
      requests: 1,
      'requests:openai/gpt-4o-mini': 1,
      tokens_in: 10,
      'tokens_in:openai/gpt-4o-mini': 10,
      tokens_out: 5,
      'tokens_out:openai/gpt-4o-mini': 5,
      cost_usd: 0.25,
      'cost_usd:openai/gpt-4o-mini': 0.25,
    });
  });

  it('reads a period back, models with colons included, summing Redis and in-process sources', () => {
    const model = 'openrouter/meta-llama/llama-3:free';
    const shared = {
      requests: '3',
      cache_hits: '1',
      tokens_in: '30',
      tokens_out: '12',
      cost_usd: '0.1',
      [`requests:${model}`]: '2',
      [`cache_hits:${model}`]: '1',
      [`tokens_in:${model}`]: '20',
      [`cost_usd:${model}`]: '0.1',
      'requests:mock/echo': '1',
      'tokens_in:mock/echo': '10',
      'tokens_out:mock/echo': '12',
    };
    const local = { requests: 1, cost_usd: 0.2, [`requests:${model}`]: 1, [`cost_usd:${model}`]: 0.2 };
    const period = usagePeriodOf(shared, local);
    expect(period).toMatchObject({
      requests: 4,
      cache_hits: 1,
      tokens_in: 30,
      tokens_out: 12,
      cost_usd: 0.3,
    });
    expect(period.by_model[model]).toEqual({
      requests: 3,
      cache_hits: 1,
      tokens_in: 20,
      tokens_out: 0,
      cost_usd: 0.3,
    });
    expect(period.by_model['mock/echo']).toMatchObject({ requests: 1, tokens_in: 10, tokens_out: 12 });
  });

  it('is all zeros for an empty period', () => {
    expect(usagePeriodOf({})).toEqual({
      requests: 0,
      cache_hits: 0,
      tokens_in: 0,
      tokens_out: 0,
      cost_usd: 0,
      by_model: {},
    });
  });
});
