import { ChatCompletionChunk } from '@breakwater/contracts';
import { GeminiAdapter } from '@breakwater/llm-provider';
import { testConfig } from '@breakwater/testing';
import resourceExhaustedFixture from '../fixtures/gemini/error-resource-exhausted.json';
import safetyFixture from '../fixtures/gemini/generate-content-safety.json';
import unavailableFixture from '../fixtures/gemini/error-unavailable.json';
import { GeminiStub, startGeminiStub } from '../helpers/stubs/gemini.stub';
import { recordedEvents } from '../helpers/stubs/stub-server';
import {
  AdapterFactory,
  RELAXED_TIMEOUT_SECONDS,
  describeAdapterContract,
  testKey,
} from './adapter-contract';
import { describeStreamContract } from './stream-contract';

const createAdapter: AdapterFactory = (baseUrl, env = {}) =>
  new GeminiAdapter(
    testConfig({
      GEMINI_API_KEY: testKey('gemini'),
      GEMINI_BASE_URL: baseUrl,
      LLM_TIMEOUT_SECONDS: RELAXED_TIMEOUT_SECONDS,
      ...env,
    }),
  );

describeAdapterContract('gemini', createAdapter, startGeminiStub, { model: 'gemini-2.5-flash' });
// An error Google writes into the stream is dropped by the SDK's reader (see the test below).
describeStreamContract('gemini', createAdapter, startGeminiStub, {
  model: 'gemini-2.5-flash',
  inStreamError: false,
});

describe('GeminiAdapter on the generateContent wire', () => {
  let stub: GeminiStub;
  let adapter: GeminiAdapter;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    stub = await startGeminiStub();
    adapter = createAdapter(stub.baseUrl) as GeminiAdapter;
  });
  afterAll(() => stub.stop());
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  it('posts to /v1beta/models/<model>:generateContent with x-goog-api-key, not a ?key= query', async () => {
    await adapter.complete(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] },
      signal,
    );
    const [request] = stub.server.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v1beta/models/gemini-2.5-flash:generateContent',
    });
    expect(request.headers['x-goog-api-key']).toBe(testKey('gemini'));
    expect(request.headers.authorization).toBeUndefined();
  });

  it('maps roles to user and model, system to systemInstruction, and the generation parameters', async () => {
    await adapter.complete(
      {
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'one' },
          { role: 'assistant', content: 'two' },
          { role: 'user', content: 'three' },
        ],
        temperature: 1.5,
        top_p: 0.8,
        max_completion_tokens: 256,
        stop: ['END'],
        n: 2,
        seed: 42,
        presence_penalty: 0.5,
        frequency_penalty: 0.25,
      },
      signal,
    );
    expect(stub.server.requests[0].body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'one' }] },
        { role: 'model', parts: [{ text: 'two' }] },
        { role: 'user', parts: [{ text: 'three' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be terse.' }], role: 'user' },
      generationConfig: {
        temperature: 1.5,
        topP: 0.8,
        maxOutputTokens: 256,
        stopSequences: ['END'],
        candidateCount: 2,
        seed: 42,
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
      },
    });
  });

  it('asks for JSON with the schema as responseJsonSchema, and json_object as JSON without a schema', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 3 } }, required: ['n'] };
    const structured = await adapter.complete(
      {
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'a number' }],
        response_format: { type: 'json_schema', json_schema: { name: 'number', schema } },
      },
      signal,
    );
    const loose = await adapter.complete(
      {
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'any json' }],
        response_format: { type: 'json_object' },
      },
      signal,
    );
    const configs = stub.server.requests.map(
      (request) => (request.body as { generationConfig: unknown }).generationConfig,
    );
    expect(configs).toEqual([
      { responseMimeType: 'application/json', responseJsonSchema: schema },
      { responseMimeType: 'application/json' },
    ]);
    expect(JSON.parse(structured.choices[0].message.content ?? '')).toEqual({ n: 3 });
    expect(JSON.parse(loose.choices[0].message.content ?? '')).toMatchObject({ answer: 'any json' });
  });

  it('reads the 429 wait from RetryInfo in the body, since the SDK does not expose headers', async () => {
    const body = structuredClone(resourceExhaustedFixture);
    body.error.details[2] = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.5s' };
    stub.server.replyOnce(() => ({ status: 429, body }));
    await expect(
      adapter.complete({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }, signal),
    ).rejects.toMatchObject({ kind: 'rate_limited', options: { status: 429, retryAfterMs: 2500 } });
  });

  it("sorts Google's 400 API_KEY_INVALID as auth, not as a bad request", async () => {
    stub.server.replyOnce(stub.errors.invalidKey());
    await expect(
      adapter.complete({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }, signal),
    ).rejects.toMatchObject({
      kind: 'auth',
      options: { status: 400 },
      message: expect.stringContaining('API key not valid'),
    });
  });

  it('sorts 503 UNAVAILABLE as transient with one request', async () => {
    stub.server.replyOnce(() => ({ status: 503, body: structuredClone(unavailableFixture) }));
    await expect(
      adapter.complete({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }, signal),
    ).rejects.toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('The model is overloaded'),
    });
    expect(stub.server.requests).toHaveLength(1);
  });

  it('maps a SAFETY stop to content_filter', async () => {
    stub.server.replyOnce(() => ({ body: structuredClone(safetyFixture) }));
    const completion = await adapter.complete(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] },
      signal,
    );
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'content_filter',
      message: { content: '' },
    });
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 0, total_tokens: 12 });
  });

  it('maps a functionCall answer to tool_calls, and sends tool turns as functionCall and functionResponse', async () => {
    stub.server.replyOnce(() => ({
      body: {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ functionCall: { name: 'get_weather', args: { city: 'Genoa' } } }],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 5, totalTokenCount: 25 },
        modelVersion: 'gemini-2.5-flash',
        responseId: 'resp-1',
      },
    }));
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const completion = await adapter.complete(
      {
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Weather in Genoa?' }],
        tools,
        tool_choice: 'required',
      },
      signal,
    );
    expect(stub.server.requests[0].body).toMatchObject({
      tools: [
        {
          functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: tools[0].function.parameters }],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
    const [call] = completion.choices[0].message.tool_calls ?? [];
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Genoa"}' });

    await adapter.complete(
      {
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'user', content: 'Weather in Genoa?' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '{"celsius":21}' },
        ],
      },
      signal,
    );
    expect((stub.server.requests[1].body as { contents: unknown }).contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Genoa?' }] },
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'get_weather', args: { city: 'Genoa' } },
            thoughtSignature: 'skip_thought_signature_validator',
          },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { celsius: 21 } } }] },
    ]);
  });
  it('streams from :streamGenerateContent?alt=sse with the same body and x-goog-api-key, no SDK option in it', async () => {
    const request = {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system' as const, content: 'Be terse.' },
        { role: 'user' as const, content: 'stream it' },
      ],
      temperature: 0.3,
    };
    await adapter.complete(request, signal);
    await drain(adapter.stream(request, signal));
    const [whole, streamed] = stub.server.requests;
    expect(streamed).toMatchObject({
      method: 'POST',
      path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    });
    expect(streamed.body).toEqual(whole.body);
    expect(streamed.headers['x-goog-api-key']).toBe(testKey('gemini'));
  });

  it('ends as transient, its status lost, when Google writes an error into the stream (the SDK drops it)', async () => {
    const [first] = recordedEvents('gemini/stream-generate-content.txt');
    const error = {
      error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' },
    };
    stub.server.replyOnce(() => ({ stream: { events: [first, `data: ${JSON.stringify(error)}\r\n\r\n`] } }));
    const chunks: ChatCompletionChunk[] = [];
    const failure = await (async () => {
      for await (const chunk of adapter.stream(
        { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] },
        signal,
      )) {
        chunks.push(chunk);
      }
    })().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(chunks.length).toBeGreaterThan(0);
    expect(failure).toMatchObject({ kind: 'transient', message: expect.stringContaining('finishReason') });
  });
});

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
