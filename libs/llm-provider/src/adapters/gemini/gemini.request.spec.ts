import { ProviderRequest } from '../llm-provider.adapter';
import * as fixture from '../shared/provider-request.fixture';
import { toGeminiRequest } from './gemini.request';

const MODEL = 'gemini-2.5-flash';
const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => fixture.providerRequest(MODEL, extra);

describe('toGeminiRequest', () => {
  it('puts system and developer messages in systemInstruction and maps user to user, assistant to model', () => {
    const { model, contents, config } = toGeminiRequest(
      ask({
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'developer', content: 'Use metric units.' },
          { role: 'user', content: 'one' },
          { role: 'assistant', content: 'two' },
          { role: 'user', content: [{ type: 'text', text: 'three' }] },
        ],
      }),
    );
    expect(model).toBe(MODEL);
    expect(config?.systemInstruction).toBe('Be terse.\n\nUse metric units.');
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'one' }] },
      { role: 'model', parts: [{ text: 'two' }] },
      { role: 'user', parts: [{ text: 'three' }] },
    ]);
  });

  it('merges consecutive turns of one role', () => {
    const turns = ['a', 'b'].map((content) => ({ role: 'user' as const, content }));
    const { contents } = toGeminiRequest(ask({ messages: turns }));
    expect(contents).toEqual([{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }]);
  });

  it('maps the generation parameters and the abort signal into config', () => {
    const signal = new AbortController().signal;
    const { config } = toGeminiRequest(
      ask({
        temperature: 1.2,
        top_p: 0.9,
        max_tokens: 100,
        stop: 'END',
        n: 3,
        seed: 7,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
      }),
      signal,
    );
    expect(config).toEqual({
      abortSignal: signal,
      temperature: 1.2,
      topP: 0.9,
      maxOutputTokens: 100,
      stopSequences: ['END'],
      candidateCount: 3,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
    });
  });

  it('prefers max_completion_tokens for maxOutputTokens', () => {
    expect(toGeminiRequest(ask({ max_tokens: 100, max_completion_tokens: 50 })).config?.maxOutputTokens).toBe(
      50,
    );
  });

  it('asks for JSON with the plain JSON Schema as responseJsonSchema for json_schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const { config } = toGeminiRequest(
      ask({ response_format: { type: 'json_schema', json_schema: { name: 'thing', schema } } }),
    );
    expect(config).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('asks for JSON without a schema for json_object, and for nothing special for text', () => {
    expect(toGeminiRequest(ask({ response_format: { type: 'json_object' } })).config).toEqual({
      responseMimeType: 'application/json',
    });
    expect(toGeminiRequest(ask({ response_format: { type: 'text' } })).config).toEqual({});
  });

  it('maps image data URLs to inlineData and other URLs to fileData', () => {
    const { contents } = toGeminiRequest(
      fixture.partsRequest(MODEL, [
        fixture.imageUrlPart('data:image/jpeg;base64,/9j/4AAQ'),
        fixture.imageUrlPart('https://example.com/a.png'),
      ]),
    );
    expect(contents).toEqual([
      {
        role: 'user',
        parts: [
          { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
          { fileData: { fileUri: 'https://example.com/a.png' } },
        ],
      },
    ]);
  });

  it('declares tools with their JSON Schema and maps tool_choice to the function calling mode', () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'f', description: 'F', parameters: { type: 'object' } },
      },
    ];
    const config = (tool_choice?: unknown) => toGeminiRequest(ask({ tools, tool_choice })).config;
    expect(config()?.tools).toEqual([
      { functionDeclarations: [{ name: 'f', description: 'F', parametersJsonSchema: { type: 'object' } }] },
    ]);
    expect(config()?.toolConfig).toBeUndefined();
    expect(config('auto')?.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(config('required')?.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(config('none')?.toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(config({ type: 'function', function: { name: 'f' } })?.toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] },
    });
  });

  it('replays tool calls as functionCall parts and tool results as functionResponse parts named after the call', () => {
    const { contents } = toGeminiRequest(
      fixture.toolTurnsRequest(MODEL, null, [{ id: 'c1', arguments: '{"city":"Oslo"}', result: 'cold' }]),
    );
    expect((contents as unknown[]).slice(1)).toEqual([
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'w', args: { city: 'Oslo' } },
            thoughtSignature: 'skip_thought_signature_validator',
          },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'w', response: { output: 'cold' } } }] },
    ]);
  });
});
