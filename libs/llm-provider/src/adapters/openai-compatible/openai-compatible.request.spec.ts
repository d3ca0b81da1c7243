import { ProviderRequest } from '../llm-provider.adapter';
import { providerRequest } from '../shared/provider-request.fixture';
import { openAiRequestBody } from './openai-compatible.request';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => providerRequest('gpt-4o-mini', extra);

describe('openAiRequestBody', () => {
  it('sends the model, the messages and only the parameters the request carries, never stream', () => {
    expect(openAiRequestBody(ask({ temperature: 0, stream: true }))).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
      temperature: 0,
    });
  });

  it('passes response_format through natively', () => {
    const format = {
      type: 'json_schema' as const,
      json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
    };
    expect(openAiRequestBody(ask({ response_format: format })).response_format).toEqual(format);
  });

  it("forwards OpenAI's other fields and vendor extensions as sent, never the caller's stream_options", () => {
    const extra = {
      logprobs: true,
      top_logprobs: 2,
      parallel_tool_calls: false,
      service_tier: 'flex',
      store: true,
      metadata: { team: 'a' },
      logit_bias: { '50256': -100 },
      reasoning_effort: 'low',
      verbosity: 'low',
      prediction: { type: 'content', content: 'x' },
      modalities: ['text'],
      provider: { order: ['openai'], allow_fallbacks: false },
      thinking: { type: 'enabled' },
    };
    const request = { ...ask({ stream: true, stream_options: { include_usage: false } }), ...extra };
    expect(openAiRequestBody(request)).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello' }],
      ...extra,
    });
  });

  it('sends max_tokens as max_completion_tokens to a reasoning model and leaves out what it refuses', () => {
    const request = providerRequest('o3-mini', {
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.5,
      presence_penalty: 1,
      frequency_penalty: 1,
      logprobs: true,
      top_logprobs: 2,
      logit_bias: { '1': 1 },
      reasoning_effort: 'high',
      seed: 3,
    });
    expect(openAiRequestBody(request)).toEqual({
      model: 'o3-mini',
      messages: [{ role: 'user', content: 'hello' }],
      max_completion_tokens: 100,
      reasoning_effort: 'high',
      seed: 3,
    });
    const both = providerRequest('gpt-5-mini', { max_tokens: 100, max_completion_tokens: 80 });
    expect(openAiRequestBody(both)).toMatchObject({ max_completion_tokens: 80 });
    expect(openAiRequestBody(both)).not.toHaveProperty('max_tokens');
  });

  it('leaves a non-reasoning model and a vendor-prefixed name (OpenRouter) as sent', () => {
    for (const model of ['gpt-4o', 'gpt-5-chat-latest', 'openai/o3-mini']) {
      expect(openAiRequestBody(providerRequest(model, { max_tokens: 9, temperature: 0.1 }))).toMatchObject({
        max_tokens: 9,
        temperature: 0.1,
      });
    }
  });
});
