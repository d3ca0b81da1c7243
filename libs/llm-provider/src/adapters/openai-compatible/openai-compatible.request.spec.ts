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
});
