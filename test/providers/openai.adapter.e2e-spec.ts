import { ChatCompletionChunk } from '@breakwater/contracts';
import { OpenAiAdapter } from '@breakwater/llm-provider';
import { testConfig } from '@breakwater/testing';
import toolCallsFixture from '../fixtures/openai/chat-completion-tool-calls.json';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';
import {
  AdapterFactory,
  RELAXED_TIMEOUT_SECONDS,
  describeAdapterContract,
  testKey,
} from './adapter-contract';
import { describeStreamContract } from './stream-contract';

const createAdapter: AdapterFactory = (baseUrl, env = {}) =>
  new OpenAiAdapter(
    testConfig({
      OPENAI_API_KEY: testKey('openai'),
      OPENAI_BASE_URL: baseUrl,
      LLM_TIMEOUT_SECONDS: RELAXED_TIMEOUT_SECONDS,
      ...env,
    }),
  );

describeAdapterContract('openai', createAdapter, () => startOpenAiStub(), { model: 'gpt-4o-mini' });
describeStreamContract('openai', createAdapter, () => startOpenAiStub(), { model: 'gpt-4o-mini' });

describe('OpenAiAdapter on the OpenAI wire', () => {
  let stub: OpenAiStub;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    stub = await startOpenAiStub();
  });
  afterAll(() => stub.stop());
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  it('posts to <OPENAI_BASE_URL>/chat/completions', async () => {
    await createAdapter(stub.baseUrl).complete(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      signal,
    );
    expect(stub.server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
  });

  it('passes every OpenAI generation parameter the request carries, and nothing it does not', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather now',
          parameters: { type: 'object', properties: {} },
        },
      },
    ];
    await createAdapter(stub.baseUrl).complete(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'parts survive' }] }],
        temperature: 1.7,
        top_p: 0.9,
        n: 2,
        max_tokens: 64,
        max_completion_tokens: 128,
        stop: ['END'],
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        seed: 42,
        user: 'end-user-7',
        tools,
        tool_choice: 'auto',
        stream: true,
      },
      signal,
    );
    expect(stub.server.requests[0].body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'parts survive' }] }],
      temperature: 1.7,
      top_p: 0.9,
      n: 2,
      max_tokens: 64,
      max_completion_tokens: 128,
      stop: ['END'],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 42,
      user: 'end-user-7',
      tools,
      tool_choice: 'auto',
    });
  });

  it('passes json_object through natively', async () => {
    const completion = await createAdapter(stub.baseUrl).complete(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'in json' }],
        response_format: { type: 'json_object' },
      },
      signal,
    );
    expect(stub.server.requests[0].body).toMatchObject({ response_format: { type: 'json_object' } });
    expect(JSON.parse(completion.choices[0].message.content ?? '')).toMatchObject({ answer: 'in json' });
  });

  it('maps a tool call answer to tool_calls', async () => {
    stub.server.replyOnce(() => ({ body: structuredClone(toolCallsFixture) }));
    const completion = await createAdapter(stub.baseUrl).complete(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather in Boston?' }] },
      signal,
    );
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather' } }],
      },
    });
    expect(completion.usage).toEqual({ prompt_tokens: 82, completion_tokens: 17, total_tokens: 99 });
  });

  it("sorts OpenAI's real answer to a wrong key as auth, with its masked message", async () => {
    stub.server.replyOnce(stub.errors.invalidKey());
    await expect(
      createAdapter(stub.baseUrl).complete(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
        signal,
      ),
    ).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('Incorrect API key provided') });
  });

  it('reaches nothing when the base URL lacks the /v1 the SDK expects (the stub answers OpenAI 404)', async () => {
    await expect(
      createAdapter(stub.server.url).complete(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
        signal,
      ),
    ).rejects.toMatchObject({ kind: 'bad_request', options: { status: 404 } });
    expect(stub.server.requests[0].path).toBe('/chat/completions');
  });

  it('streams with stream: true and usage always asked for, whatever the caller said, the rest as complete() sends', async () => {
    const adapter = createAdapter(stub.baseUrl);
    const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'x' }], seed: 7 };
    await adapter.complete(request, signal);
    await drain(adapter.stream?.({ ...request, stream_options: { include_usage: false } }, signal));
    const [whole, streamed] = stub.server.requests.map((sent) => sent.body as Record<string, unknown>);
    expect(streamed).toEqual({ ...whole, stream: true, stream_options: { include_usage: true } });
    expect(stub.server.requests[1].headers.accept).toBe('text/event-stream');
  });

  it('reads events whose bytes arrive split anywhere, inside a character too', async () => {
    const text = 'Grüße aus Genova: ✓ 日本語のテキスト 🙂 done';
    const reply = stub.streaming.content(text);
    stub.server.replyOnce(async (request) => {
      const streamed = await reply(request);
      return { ...streamed, stream: { events: streamed.stream?.events ?? [], bytesPerWrite: 7, delayMs: 1 } };
    });
    const chunks = await drain(
      createAdapter(stub.baseUrl).stream?.(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
        signal,
      ),
    );
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text);
  });

  it('refuses a streamed event larger than the transport bound (1 MiB) without waiting for its end', async () => {
    stub.server.replyOnce(() => ({ stream: { events: [`data: {"pad": "${'x'.repeat(2 * 1024 * 1024)}`] } }));
    await expect(
      drain(
        createAdapter(stub.baseUrl).stream?.(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
          signal,
        ),
      ),
    ).rejects.toMatchObject({ kind: 'bad_request', message: expect.stringContaining('larger than') });
  });
});

async function drain(stream: AsyncIterable<ChatCompletionChunk> | undefined): Promise<ChatCompletionChunk[]> {
  if (!stream) throw new Error('the adapter has no stream()');
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
