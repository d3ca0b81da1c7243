import OpenAI from 'openai';
import { ChatCompletion, ChatCompletionChunk } from '@breakwater/contracts';
import { ChunkAssembler } from '@breakwater/llm-provider';
import { callerKey, writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { TestGateway, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { AnthropicStub, startAnthropicStub } from './helpers/stubs/anthropic.stub';
import { GeminiStub, startGeminiStub } from './helpers/stubs/gemini.stub';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// Streamed chat completions through the gateway to stubs that speak each provider's streaming wire
// format: the official SDK reads every provider's stream, a failure midway ends the stream with an error
// event (and is not cached), the client leaving closes the provider's connection, an outage before the
// first chunk is a 202 (or a 503 in immediate mode), a fallback answers before the first chunk, and the
// budget is settled on the provider's usage.

type StreamEvent = ChatCompletionChunk | '[DONE]' | { error: { code: string; message: string } };

function eventsOf(text: string): StreamEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as StreamEvent)));
}

function assembled(events: StreamEvent[]): ChatCompletion {
  const assembler = new ChunkAssembler();
  for (const event of events) if (typeof event === 'object' && 'choices' in event) assembler.add(event);
  return assembler.completion({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
}

/** `streamer` has a day budget and its cache off; `cached` has its cache on. */
const CALLERS = [
  {
    id: 'streamer',
    key: callerKey('streamer'),
    limits: { tokens_per_day: 1_000_000 },
    cache: { enabled: false },
  },
  { id: 'cached', key: callerKey('cached'), cache: { enabled: true } },
];

describe('streamed chat completions to provider stubs', () => {
  let redis: RedisServer;
  let openai: OpenAiStub;
  let anthropic: AnthropicStub;
  let gemini: GeminiStub;
  let gateway: TestGateway;

  const post = (body: Record<string, unknown>, caller = 'streamer', headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${callerKey(caller)}`,
        ...headers,
      },
      body: JSON.stringify({ stream: true, ...body }),
    });
  const ask = (model: string, content: string, extra: Record<string, unknown> = {}) => ({
    model,
    messages: [{ role: 'user', content }],
    ...extra,
  });

  beforeAll(async () => {
    redis = await startRedis();
    [openai, anthropic, gemini] = await Promise.all([
      startOpenAiStub(),
      startAnthropicStub(),
      startGeminiStub(),
    ]);
    const callersFile = writeCallersFile(CALLERS);
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: callersFile,
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: openai.baseUrl,
      ANTHROPIC_API_KEY: 'sk-test-anthropic-secret',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      GEMINI_API_KEY: 'sk-test-gemini-secret',
      GEMINI_BASE_URL: gemini.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '100',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([openai?.stop(), anthropic?.stop(), gemini?.stop()]);
    await redis?.stop();
  });
  beforeEach(() => {
    openai.server.reply(openai.streaming.reply({}));
  });

  it.each([
    ['openai', 'openai/gpt-4o-mini'],
    ['anthropic', 'anthropic/claude-haiku-4-5'],
    ['gemini', 'gemini/gemini-2.5-flash'],
  ])(
    'streams %s to the official SDK: chunks that assemble to the whole answer, usage last',
    async (provider, model) => {
      const sdk = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: callerKey('streamer'), maxRetries: 0 });
      const question = `what does a breakwater protect, asked of ${provider}`;
      const stream = await sdk.chat.completions.create({
        ...ask(model, question),
        stream: true,
        stream_options: { include_usage: true },
      } as OpenAI.ChatCompletionCreateParamsStreaming);
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.every((chunk) => chunk.model === model)).toBe(true);
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(text).toContain(question);
      expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
      // The same request answered whole says the same.
      const whole = (await sdk.chat.completions.create(
        ask(model, question) as OpenAI.ChatCompletionCreateParamsNonStreaming,
      )) as OpenAI.ChatCompletion;
      expect(whole.choices[0].message.content).toBe(text);
    },
  );

  it('passes a streamed tool call through as tool_calls pieces', async () => {
    openai.server.replyOnce(openai.streaming.toolCall.reply);
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_current_weather',
          parameters: { type: 'object', properties: { location: { type: 'string' } } },
        },
      },
    ];
    const response = await post(ask('openai/gpt-4o-mini', 'weather in Boston?', { tools }));
    const completion = assembled(eventsOf(await response.text()));
    const [call] = completion.choices[0].message.tool_calls ?? [];
    expect(call.function.name).toBe(openai.streaming.toolCall.call.name);
    expect(JSON.parse(call.function.arguments)).toEqual(openai.streaming.toolCall.call.arguments);
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
  });

  it('ends a stream broken midway with an error event then [DONE], logs it, caches nothing, retries nothing', async () => {
    const before = openai.server.requests.length;
    openai.server.replyOnce(openai.streaming.reply({ cutAfter: 3 }));
    const body = ask('openai/gpt-4o-mini', 'this stream breaks', {});
    const response = await post(body, 'cached');
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    const events = eventsOf(await response.text());
    expect(events.at(-1)).toBe('[DONE]');
    const error = events.at(-2) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(events.filter((event) => typeof event === 'object' && 'choices' in event).length).toBeGreaterThan(
      0,
    );
    expect(openai.server.requests.length - before).toBe(1);
    await eventually(() => gateway.logs.some((line) => line.request_id === requestId && line.route));
    expect(gateway.logs.find((line) => line.request_id === requestId && line.route)).toMatchObject({
      stream: true,
      error_code: 'PROVIDER_UNAVAILABLE',
      stream_error: expect.stringContaining('failed midway'),
    });
    // Nothing was stored: the same request again is a MISS that reaches the provider.
    const again = await post(body, 'cached');
    expect(again.headers.get('x-cache')).toBe('MISS');
    expect(eventsOf(await again.text()).at(-1)).toBe('[DONE]');
    expect(openai.server.requests.length - before).toBe(2);
  });

  it('through the SDK, an error event midway is raised as an APIError after the first chunks', async () => {
    openai.server.replyOnce(openai.streaming.reply({ cutAfter: 3 }));
    const sdk = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: callerKey('streamer'), maxRetries: 0 });
    const stream = await sdk.chat.completions.create({
      ...ask('openai/gpt-4o-mini', 'break under the SDK'),
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(received.length).toBeGreaterThan(0);
  });

  it('ends a stream whose structured answer fails its schema with a PROVIDER_ERROR event, and stores nothing', async () => {
    openai.server.reply(openai.streaming.content('this is not json'));
    const body = ask('openai/gpt-4o-mini', 'a json answer please', {
      response_format: { type: 'json_object' },
    });
    const events = eventsOf(await (await post(body, 'cached')).text());
    expect((events.at(-2) as { error: { code: string } }).error.code).toBe('PROVIDER_ERROR');
    const again = await post(body, 'cached');
    expect(again.headers.get('x-cache')).toBe('MISS');
    await again.text();
  });

  it('closes the provider connection when the client leaves midway', async () => {
    openai.server.reply(openai.streaming.reply({ delayMs: 150 }));
    const closedBefore = openai.server.closedEarly;
    const leaving = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${callerKey('streamer')}` },
      body: JSON.stringify(ask('openai/gpt-4o-mini', 'a long answer I will not wait for', { stream: true })),
      signal: leaving.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    leaving.abort();
    await openai.server.untilClosedEarly(closedBefore + 1);
    expect(openai.server.closedEarly).toBe(closedBefore + 1);
  });

  it('hands over to x-fallback-models before the first chunk while the first provider is down', async () => {
    openai.server.reply(openai.errors.serverError());
    const response = await post(ask('openai/gpt-4o-mini', 'fall back please'), 'streamer', {
      'x-fallback-models': 'anthropic/claude-haiku-4-5',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('anthropic');
    expect(assembled(eventsOf(await response.text())).choices[0].message.content).toContain(
      'fall back please',
    );
  });

  it('answers 503 in immediate mode and 202 otherwise when the provider is down before the first chunk; the job ends whole', async () => {
    openai.server.reply(openai.errors.serverError());
    const immediate = await post(ask('openai/gpt-4o-mini', 'now or never'), 'streamer', {
      'x-processing-mode': 'immediate',
    });
    expect(immediate.status).toBe(503);
    expect(((await immediate.json()) as { error: { code: string } }).error.code).toBe('PROVIDER_UNAVAILABLE');

    const queued = await post(ask('openai/gpt-4o-mini', 'queue my stream'));
    expect(queued.status).toBe(202);
    const { result_url: resultUrl } = (await queued.json()) as { result_url: string };
    openai.server.reply(openai.streaming.reply({}));
    const result = await eventually(async () => {
      const look = await fetch(`${gateway.url}${resultUrl}`, {
        headers: { authorization: `Bearer ${callerKey('streamer')}` },
      });
      return look.status === 200 ? ((await look.json()) as ChatCompletion) : undefined;
    }, 20_000);
    expect(result.object).toBe('chat.completion');
    expect(result.choices[0].message.content).toContain('queue my stream');
  }, 30_000);

  it("settles the caller's usage on the provider's own usage numbers", async () => {
    openai.server.reply(openai.streaming.recorded.reply);
    const usage = async () =>
      (
        (await (
          await fetch(`${gateway.url}/v1/usage`, {
            headers: { authorization: `Bearer ${callerKey('cached')}` },
          })
        ).json()) as { day: { by_model: Record<string, { tokens_in: number; tokens_out: number }> } }
      ).day.by_model['openai/gpt-4o-mini'] ?? { tokens_in: 0, tokens_out: 0 };
    const before = await usage();
    const response = await post(
      ask('openai/gpt-4o-mini', 'the recorded stream', { temperature: 0.3 }),
      'cached',
      {
        'x-cache-mode': 'bypass',
      },
    );
    expect(assembled(eventsOf(await response.text())).choices[0].message.content).toBe(
      openai.streaming.recorded.content,
    );
    const after = await usage();
    expect(after.tokens_in - before.tokens_in).toBe(openai.streaming.recorded.usage.prompt);
    expect(after.tokens_out - before.tokens_out).toBe(openai.streaming.recorded.usage.completion);
  });
});
