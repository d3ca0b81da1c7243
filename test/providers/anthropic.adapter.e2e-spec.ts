import { ChatCompletionChunk } from '@breakwater/contracts';
import { AnthropicAdapter } from '@breakwater/llm-provider';
import { testConfig } from '@breakwater/testing';
import toolUseFixture from '../fixtures/anthropic/message-tool-use.json';
import { AnthropicStub, startAnthropicStub } from '../helpers/stubs/anthropic.stub';
import {
  AdapterFactory,
  RELAXED_TIMEOUT_SECONDS,
  describeAdapterContract,
  testKey,
} from './adapter-contract';
import { describeStreamContract } from './stream-contract';

const createAdapter: AdapterFactory = (baseUrl, env = {}) =>
  new AnthropicAdapter(
    testConfig({
      ANTHROPIC_API_KEY: testKey('anthropic'),
      ANTHROPIC_BASE_URL: baseUrl,
      LLM_TIMEOUT_SECONDS: RELAXED_TIMEOUT_SECONDS,
      ...env,
    }),
  );

describeAdapterContract('anthropic', createAdapter, startAnthropicStub, { model: 'claude-haiku-4-5' });
describeStreamContract('anthropic', createAdapter, startAnthropicStub, { model: 'claude-haiku-4-5' });

describe('AnthropicAdapter on the Messages API wire', () => {
  let stub: AnthropicStub;
  let adapter: AnthropicAdapter;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    stub = await startAnthropicStub();
    adapter = createAdapter(stub.baseUrl) as AnthropicAdapter;
  });
  afterAll(() => stub.stop());
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  it('posts to /v1/messages with x-api-key and anthropic-version, never a bearer token', async () => {
    await adapter.complete(
      { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] },
      signal,
    );
    const [request] = stub.server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(request.headers['x-api-key']).toBe(testKey('anthropic'));
    expect(request.headers['anthropic-version']).toBe('2023-06-01');
    expect(request.headers.authorization).toBeUndefined();
  });

  it('sends the system prompt top-level, defaults max_tokens, clamps temperature and maps stop', async () => {
    await adapter.complete(
      {
        model: 'claude-haiku-4-5',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'one' },
          { role: 'assistant', content: 'two' },
          { role: 'user', content: 'three' },
        ],
        temperature: 1.6,
        stop: 'END',
        user: 'end-user-7',
      },
      signal,
    );
    expect(stub.server.requests[0].body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      system: 'Be terse.',
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three' },
      ],
      temperature: 1,
      stop_sequences: ['END'],
      metadata: { user_id: 'end-user-7' },
    });
  });

  it('takes max_tokens from max_completion_tokens first, then max_tokens', async () => {
    const ask = { model: 'claude-haiku-4-5', messages: [{ role: 'user' as const, content: 'x' }] };
    await adapter.complete({ ...ask, max_tokens: 100 }, signal);
    await adapter.complete({ ...ask, max_tokens: 100, max_completion_tokens: 50 }, signal);
    expect(
      stub.server.requests.map((request) => (request.body as { max_tokens: number }).max_tokens),
    ).toEqual([100, 50]);
  });

  it('forces a tool named after the json_schema and answers its input as the content, finish stop', async () => {
    const schema = {
      type: 'object',
      properties: { verdict: { type: 'string', enum: ['yes', 'no'] } },
      required: ['verdict'],
    };
    const completion = await adapter.complete(
      {
        model: 'claude-haiku-4-5',
        messages: [{ role: 'user', content: 'Is water wet?' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'verdict', description: 'A yes or no', schema },
        },
      },
      signal,
    );
    expect(stub.server.requests[0].body).toMatchObject({
      tools: [{ name: 'verdict', description: 'A yes or no', input_schema: schema }],
      tool_choice: { type: 'tool', name: 'verdict' },
    });
    expect(JSON.parse(completion.choices[0].message.content ?? '')).toEqual({ verdict: 'yes' });
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.choices[0].message.tool_calls).toBeUndefined();
  });

  it('answers json_object through a generic object tool', async () => {
    const completion = await adapter.complete(
      {
        model: 'claude-haiku-4-5',
        messages: [{ role: 'user', content: 'json please' }],
        response_format: { type: 'json_object' },
      },
      signal,
    );
    expect(stub.server.requests[0].body).toMatchObject({
      tools: [{ name: 'json_object', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'json_object' },
    });
    expect(JSON.parse(completion.choices[0].message.content ?? '')).toEqual({});
  });

  it("maps a caller's tool use to tool_calls, and tool turns back to tool_use and tool_result blocks", async () => {
    stub.server.replyOnce(() => ({ body: structuredClone(toolUseFixture) }));
    const completion = await adapter.complete(
      {
        model: 'claude-haiku-4-5',
        messages: [{ role: 'user', content: 'Weather in SF?' }],
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
          },
        ],
        tool_choice: 'required',
      },
      signal,
    );
    expect(stub.server.requests[0].body).toMatchObject({ tool_choice: { type: 'any' } });
    const call = {
      id: 'toolu_01A09q90qw90lq917835lq9',
      type: 'function' as const,
      function: {
        name: 'get_weather',
        arguments: JSON.stringify({ location: 'San Francisco, CA', unit: 'celsius' }),
      },
    };
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [call] },
    });

    await adapter.complete(
      {
        model: 'claude-haiku-4-5',
        messages: [
          { role: 'user', content: 'Weather in SF?' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '15 degrees' },
        ],
      },
      signal,
    );
    expect((stub.server.requests[1].body as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'Weather in SF?' },
      {
        role: 'assistant',
        content: [
          {
            type: 'tool_use',
            id: call.id,
            name: 'get_weather',
            input: { location: 'San Francisco, CA', unit: 'celsius' },
          },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '15 degrees' }] },
    ]);
  });

  it('sorts 529 overloaded as transient, with one request', async () => {
    stub.server.replyOnce(stub.errors.overloaded());
    await expect(
      adapter.complete({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] }, signal),
    ).rejects.toMatchObject({
      kind: 'transient',
      options: { status: 529 },
      message: expect.stringContaining('Overloaded'),
    });
    expect(stub.server.requests).toHaveLength(1);
  });

  it("sorts Anthropic's real answer to a wrong key as auth", async () => {
    stub.server.replyOnce(stub.errors.invalidKey());
    await expect(
      adapter.complete({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] }, signal),
    ).rejects.toMatchObject({ kind: 'auth', message: '401 anthropic: invalid x-api-key' });
  });
  it('streams the same Messages request with stream: true, to /v1/messages with x-api-key', async () => {
    const request = {
      model: 'claude-haiku-4-5',
      messages: [
        { role: 'system' as const, content: 'Be terse.' },
        { role: 'user' as const, content: 'stream it' },
      ],
      temperature: 0.3,
    };
    await adapter.complete(request, signal);
    await drain(adapter.stream(request, signal));
    const [whole, streamed] = stub.server.requests;
    expect(streamed).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(streamed.body).toEqual({ ...(whole.body as object), stream: true });
    expect(streamed.headers['x-api-key']).toBe(testKey('anthropic'));
    expect(streamed.headers.accept).toBe('text/event-stream');
  });
});

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
