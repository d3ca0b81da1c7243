import { ApiError, BlockedReason, FinishReason, GenerateContentResponse } from '@google/genai';
import { ProviderRequest } from './llm-provider.adapter';
import {
  fromGeminiResponse,
  geminiFinishReason,
  geminiProviderError,
  toGeminiRequest,
} from './gemini.adapter';

const ask = (extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: 'gemini-2.5-flash',
  messages: [{ role: 'user', content: 'hello' }],
  ...extra,
});

const response = (fields: Partial<GenerateContentResponse>): GenerateContentResponse =>
  Object.assign(new GenerateContentResponse(), fields);

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
    expect(model).toBe('gemini-2.5-flash');
    expect(config?.systemInstruction).toBe('Be terse.\n\nUse metric units.');
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'one' }] },
      { role: 'model', parts: [{ text: 'two' }] },
      { role: 'user', parts: [{ text: 'three' }] },
    ]);
  });

  it('merges consecutive turns of one role', () => {
    const { contents } = toGeminiRequest(
      ask({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      }),
    );
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
      ask({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            ],
          },
        ],
      }),
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
      ask({
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'cold' },
        ],
      }),
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

describe('fromGeminiResponse', () => {
  it('maps text, model, id and usage, counting thinking tokens as completion tokens', () => {
    const completion = fromGeminiResponse(
      response({
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ text: 'thinking…', thought: true }, { text: 'Hello ' }, { text: 'there' }],
            },
            finishReason: FinishReason.STOP,
            index: 0,
          },
        ],
        usageMetadata: {
          promptTokenCount: 9,
          candidatesTokenCount: 4,
          thoughtsTokenCount: 20,
          totalTokenCount: 33,
        },
        modelVersion: 'gemini-2.5-flash-001',
        responseId: 'resp-1',
      }),
      ask(),
    );
    expect(completion).toMatchObject({
      id: 'resp-1',
      object: 'chat.completion',
      model: 'gemini-2.5-flash-001',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 24, total_tokens: 33 },
    });
  });

  it('returns every candidate as a choice', () => {
    const completion = fromGeminiResponse(
      response({
        candidates: [
          { content: { parts: [{ text: 'a' }] }, finishReason: FinishReason.STOP, index: 0 },
          { content: { parts: [{ text: 'b' }] }, finishReason: FinishReason.MAX_TOKENS, index: 1 },
        ],
      }),
      ask({ n: 2 }),
    );
    expect(completion.choices.map((choice) => [choice.message.content, choice.finish_reason])).toEqual([
      ['a', 'stop'],
      ['b', 'length'],
    ]);
  });

  it('maps functionCall parts to tool_calls with finish_reason tool_calls', () => {
    const completion = fromGeminiResponse(
      response({
        candidates: [
          {
            content: { parts: [{ functionCall: { id: 'fc-1', name: 'w', args: { city: 'Oslo' } } }] },
            finishReason: FinishReason.STOP,
          },
        ],
      }),
      ask(),
    );
    expect(completion.choices[0]).toMatchObject({
      message: {
        content: null,
        tool_calls: [{ id: 'fc-1', type: 'function', function: { name: 'w', arguments: '{"city":"Oslo"}' } }],
      },
      finish_reason: 'tool_calls',
    });
  });

  it('answers a blocked prompt (no candidates) with content_filter', () => {
    const completion = fromGeminiResponse(
      response({
        promptFeedback: { blockReason: BlockedReason.PROHIBITED_CONTENT },
        usageMetadata: { promptTokenCount: 5 },
      }),
      ask(),
    );
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null },
        finish_reason: 'content_filter',
        logprobs: null,
      },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 });
  });

  it('estimates usage when Gemini reports none', () => {
    const completion = fromGeminiResponse(
      response({ candidates: [{ content: { parts: [{ text: 'abcdefgh' }] } }] }),
      ask(),
    );
    expect(completion.usage.completion_tokens).toBe(2);
    expect(completion.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['OTHER', 'stop'],
    [undefined, 'stop'],
  ])('maps finishReason %s to %s', (reason, expected) => {
    expect(geminiFinishReason(reason)).toBe(expected);
  });
});

describe('geminiProviderError', () => {
  const apiError = (status: number, body: unknown) => new ApiError({ status, message: JSON.stringify(body) });

  it('sorts 429 as rate_limited with the wait from RetryInfo', () => {
    const error = geminiProviderError(
      apiError(429, {
        error: {
          code: 429,
          message: 'You exceeded your current quota.',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '17.5s' }],
        },
      }),
    );
    expect(error).toMatchObject({
      kind: 'rate_limited',
      message: '429 gemini: You exceeded your current quota.',
      options: { status: 429, retryAfterMs: 17500 },
    });
  });

  it('sorts 400 API_KEY_INVALID as auth and any other 400 as bad_request', () => {
    const invalidKey = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      },
    };
    expect(geminiProviderError(apiError(400, invalidKey))).toMatchObject({
      kind: 'auth',
      options: { status: 400 },
    });
    expect(geminiProviderError(apiError(400, { error: { code: 400, message: 'bad schema' } })).kind).toBe(
      'bad_request',
    );
  });

  it('sorts 500 and 503 as transient', () => {
    expect(geminiProviderError(apiError(500, { error: { code: 500, message: 'internal' } })).kind).toBe(
      'transient',
    );
    expect(geminiProviderError(apiError(503, { error: { code: 503, message: 'overloaded' } })).kind).toBe(
      'transient',
    );
  });

  it('masks the key and keeps no cause for HTTP failures', () => {
    const error = geminiProviderError(
      apiError(403, { error: { code: 403, message: 'key AIza-secret is blocked' } }),
      'AIza-secret',
    );
    expect(error).toMatchObject({ kind: 'auth', message: '403 gemini: key [redacted] is blocked' });
    expect(error.options.cause).toBeUndefined();
  });

  it('sorts aborts, timeouts and network failures as transient', () => {
    expect(geminiProviderError(new DOMException('This operation was aborted', 'AbortError')).kind).toBe(
      'transient',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(geminiProviderError(new TypeError('fetch failed', { cause: refused }))).toMatchObject({
      kind: 'transient',
      message: 'gemini: connection failed (ECONNREFUSED)',
    });
  });
});
