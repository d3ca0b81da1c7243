import { ProviderRequest } from '../llm-provider.adapter';
import { THING_SCHEMA, providerRequest, thingSchemaRequest } from '../shared/provider-request.fixture';
import { deepSeekRequest } from './deepseek.adapter';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => providerRequest('gpt-4o-mini', extra);

describe('deepSeekRequest', () => {
  it('turns json_schema into json_object with the schema in a leading system message', () => {
    const request = deepSeekRequest(thingSchemaRequest('gpt-4o-mini'));
    expect(request.response_format).toEqual({ type: 'json_object' });
    expect(request.messages[0]).toEqual({
      role: 'system',
      content: `Reply with one JSON object only, "thing" (A thing), valid against this JSON Schema:\n${JSON.stringify(THING_SCHEMA)}`,
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
