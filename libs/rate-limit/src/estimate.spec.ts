import { ChatCompletionRequest } from '@breakwater/contracts';
import { estimatePromptTokens } from '@breakwater/llm-provider';
import { DEFAULT_COMPLETION_TOKENS_ESTIMATE, estimateOf } from './estimate';

const request = (over: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'How many tokens is this prompt?' }],
  ...over,
});

describe('estimateOf', () => {
  const prompt = estimatePromptTokens(request().messages);

  it('is the prompt plus max_completion_tokens, else max_tokens, else the default', () => {
    expect(estimateOf(request({ max_completion_tokens: 50, max_tokens: 999 })).tokens).toBe(prompt + 50);
    expect(estimateOf(request({ max_tokens: 20 })).tokens).toBe(prompt + 20);
    expect(estimateOf(request()).tokens).toBe(prompt + DEFAULT_COMPLETION_TOKENS_ESTIMATE);
  });

  it('counts every choice when n asks for several', () => {
    expect(estimateOf(request({ max_tokens: 20, n: 3 })).tokens).toBe(prompt + 60);
  });

  it('prices prompt and completion at the model price, and is free without one', () => {
    const estimate = estimateOf(request({ max_tokens: 100 }), { input: 0.15, output: 0.6 });
    expect(estimate.costUsd).toBeCloseTo((prompt * 0.15 + 100 * 0.6) / 1_000_000, 12);
    expect(estimateOf(request({ max_tokens: 100 })).costUsd).toBe(0);
  });
});
