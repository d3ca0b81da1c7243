import { ProviderRequest } from '../llm-provider.adapter';
import { providerRequest } from '../shared/provider-request.fixture';
import { deepSeekRequest } from './deepseek.adapter';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => providerRequest('gpt-4o-mini', extra);

describe('deepSeekRequest', () => {
  it('turns json_schema into json_object with the schema in a leading system message', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const request = deepSeekRequest(
      ask({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'thing', description: 'A thing', schema },
        },
      }),
    );
    expect(request.response_format).toEqual({ type: 'json_object' });
    expect(request.messages[0]).toEqual({
      role: 'system',
      content: `Reply with one JSON object only, "thing" (A thing), valid against this JSON Schema:\n${JSON.stringify(schema)}`,
    });
    expect(request.messages.slice(1)).toEqual(ask().messages);
  });

  it('leaves text requests and json_object prompts that say json alone', () => {
    const text = ask();
    expect(deepSeekRequest(text)).toBe(text);
    const saysJson = ask({
      messages: [{ role: 'user', content: 'answer in JSON' }],
      response_format: { type: 'json_object' },
    });
    expect(deepSeekRequest(saysJson).messages).toEqual(saysJson.messages);
  });
});
