import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ChatCompletion, ChatCompletionChunk } from '@breakwater/contracts';
import { ChunkAssembler } from '@breakwater/llm-provider';
import { callerKey, writeLimitedCallersFile } from './helpers/callers';
import { TestGateway, completionOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';

// Streamed chat completions end to end, on the mock provider: the official SDK reads them, the headers
// come before the first chunk, the cache stores the assembled answer and replays it, identical streams
// in flight on two replicas make one provider call, the limits hold a slot for the stream's life and
// settle on its real usage. The provider-stub suites (test/streaming-providers.e2e-spec.ts) cover the
// wire formats, failures midway and the client leaving.

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'mock/echo',
  messages: [{ role: 'user', content }],
  ...extra,
});

type StreamEvent = ChatCompletionChunk | '[DONE]' | { error: Record<string, unknown> };

/** The `data:` events of an SSE body, parsed; `[DONE]` kept as the string. */
function eventsOf(text: string): StreamEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as StreamEvent)));
}

function assembled(events: ReturnType<typeof eventsOf>): ChatCompletion {
  const assembler = new ChunkAssembler();
  for (const event of events) if (typeof event === 'object' && 'choices' in event) assembler.add(event);
  return assembler.completion({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
}

async function metric(gateway: TestGateway, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('streamed chat completions on one gateway (mock provider)', () => {
  let gateway: TestGateway;
  let sdk: OpenAI;
  const url = () => `${gateway.url}/v1/chat/completions`;

  beforeAll(async () => {
    gateway = await startGateway({ MOCK_LATENCY_MS: '400' });
    sdk = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'dev-key', maxRetries: 0 });
  });
  afterAll(() => gateway.close());

  it('is read by the official SDK chunk by chunk: role first, the content, finish_reason, then the usage chunk', async () => {
    const question = 'stream me a sentence of several words, please, so it comes in pieces';
    const stream = await sdk.chat.completions.create({
      ...ask(question),
      stream: true,
      stream_options: { include_usage: true },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.every((chunk) => chunk.model === 'mock/echo')).toBe(true);
    const withChoices = chunks.filter((chunk) => chunk.choices.length > 0);
    expect(withChoices.at(-1)?.choices[0].finish_reason).toBe('stop');
    expect(withChoices.slice(0, -1).every((chunk) => chunk.choices[0].finish_reason === null)).toBe(true);
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    const text = withChoices.map((chunk) => chunk.choices[0].delta.content ?? '').join('');
    // The same request answered whole (a cache hit of the stream just stored) says the same.
    const whole = await completionOf(await postJson(url(), ask(question)));
    expect(text).toBe(whole.choices[0].message.content);
    expect(usageChunk?.usage).toEqual(whole.usage);
  });

  it('sends no usage chunk unless stream_options.include_usage asks for one', async () => {
    const stream = await sdk.chat.completions.create({
      ...ask('no usage chunk'),
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.choices.length > 0 && !chunk.usage)).toBe(true);
  });

  it('sends every header before the first chunk, while the provider is still answering', async () => {
    const started = Date.now();
    const response = await postJson(url(), ask('headers first please', { stream: true }));
    const headersAfter = Date.now() - started;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    for (const name of ['x-request-id', 'x-cache', 'x-provider', 'x-model', 'x-ratelimit-limit']) {
      expect(response.headers.get(name)).toBeTruthy();
    }
    expect(response.headers.get('x-cache')).toBe('MISS');
    expect(response.headers.get('x-provider')).toBe('mock');
    const text = await response.text();
    const endedAfter = Date.now() - started;
    // MOCK_LATENCY_MS (400) is spread over the chunks: the headers came with the first of them.
    expect(endedAfter - headersAfter).toBeGreaterThan(150);
    expect(eventsOf(text).at(-1)).toBe('[DONE]');
  });

  it('stores the completed stream once and replays it as chunks to a later stream (HIT), same content', async () => {
    const body = ask('cache this stream', { stream: true });
    const first = await postJson(url(), body);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const live = assembled(eventsOf(await first.text()));
    const again = await postJson(url(), body);
    expect(again.headers.get('x-cache')).toBe('HIT');
    const replayedEvents = eventsOf(await again.text());
    expect(replayedEvents.at(-1)).toBe('[DONE]');
    expect(assembled(replayedEvents).choices[0].message.content).toBe(live.choices[0].message.content);
  });

  it('answers a stream from an entry a whole answer stored', async () => {
    const whole = await postJson(url(), ask('stored whole, read as a stream'));
    expect(whole.headers.get('x-cache')).toBe('MISS');
    const content = (await completionOf(whole)).choices[0].message.content;
    const streamed = await postJson(url(), ask('stored whole, read as a stream', { stream: true }));
    expect(streamed.headers.get('x-cache')).toBe('HIT');
    expect(assembled(eventsOf(await streamed.text())).choices[0].message.content).toBe(content);
  });

  it('never serves a stream from the cache when the request bypasses it', async () => {
    const body = ask('fresh sample each time', { stream: true });
    await (await postJson(url(), body)).text();
    const bypassed = await postJson(url(), body, {
      authorization: 'Bearer dev-key',
      'x-cache-mode': 'bypass',
    });
    expect(bypassed.headers.get('x-cache')).toBe('BYPASS');
    await bypassed.text();
  });

  it('checks a streamed json_schema answer when it ends and streams JSON that parses to the schema', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 1 } },
      required: ['city', 'population'],
      additionalProperties: false,
    };
    const response = await postJson(
      url(),
      ask('a city', {
        stream: true,
        response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
      }),
    );
    const events = eventsOf(await response.text());
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = JSON.parse(assembled(events).choices[0].message.content ?? '') as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['city', 'population']);
  });

  it('answers a batch item that asks for a stream whole', async () => {
    const response = await postJson(`${gateway.url}/v1/batch`, {
      requests: [ask('batch item streamed?', { stream: true })],
    });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: { status: number; body: ChatCompletion }[] };
    expect(results[0].status).toBe(200);
    expect(results[0].body.object).toBe('chat.completion');
  });

  it('replays a streamed answer under the same Idempotency-Key as the same stream', async () => {
    const headers = { authorization: 'Bearer dev-key', 'idempotency-key': 'stream-key-0001' };
    const body = ask('idempotent stream', { stream: true, temperature: 1 });
    const first = assembled(eventsOf(await (await postJson(url(), body, headers)).text()));
    const second = await postJson(url(), body, headers);
    expect(second.status).toBe(200);
    const replayed = assembled(eventsOf(await second.text()));
    expect(replayed.id).toBe(first.id);
    expect(replayed.choices[0].message.content).toBe(first.choices[0].message.content);
  });

  it('logs a streamed request with stream, ttft_ms, tokens and cost', async () => {
    const response = await postJson(url(), ask('log me', { stream: true }));
    const requestId = response.headers.get('x-request-id');
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = gateway.logs.find((entry) => entry.request_id === requestId && entry.route);
    expect(line).toMatchObject({ stream: true, provider: 'mock', model: 'echo', status: 200, cache: 'miss' });
    expect(line?.ttft_ms).toEqual(expect.any(Number));
    expect(line?.tokens_out).toBeGreaterThan(0);
    expect(line?.cost_usd).toBe(0);
    expect(
      await metric(gateway, /^llm_time_to_first_token_seconds_count\{provider="mock"\}/),
    ).toBeGreaterThan(0);
    expect(await metric(gateway, /^llm_stream_chunks_total\{provider="mock"\}/)).toBeGreaterThan(3);
  });
});

describe('streamed chat completions and the limits (mock provider)', () => {
  let redis: RedisServer;
  let dir: string;
  let gateway: TestGateway;
  const chat = (caller: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${callerKey(caller)}` },
      body: JSON.stringify(body),
      signal,
    });

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-stream-limits-'));
    gateway = await startGateway({
      REDIS_URL: redis.url,
      MOCK_LATENCY_MS: '1500',
      CALLERS_FILE: writeLimitedCallersFile(dir, [
        { id: 'single', limits: { concurrency: 1 } },
        { id: 'metered', limits: { tokens_per_day: 100000 } },
      ]),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the concurrency slot for the stream and frees it when the client leaves midway', async () => {
    const leaving = new AbortController();
    const first = await chat('single', ask('a long stream', { stream: true }), leaving.signal);
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    await reader.read();
    // The stream is live (its provider still writing): a second request of this caller waits for no slot.
    const refused = await chat('single', ask('while streaming'));
    expect(refused.status).toBe(429);
    await refused.text();
    const requestId = first.headers.get('x-request-id');
    leaving.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await chat('single', ask('after the client left'));
    expect(after.status).toBe(200);
    await after.text();
    // Its request still has its log line, saying the client left.
    expect(gateway.logs.find((line) => line.request_id === requestId && line.route)).toMatchObject({
      status: 499,
      client_gone: true,
      stream: true,
      provider: 'mock',
    });
  });

  it('settles the budget and usage on the real usage of the stream', async () => {
    const response = await chat(
      'metered',
      ask('count my streamed tokens', {
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const events = eventsOf(await response.text());
    const usage = (events.at(-2) as ChatCompletionChunk).usage!;
    expect(usage.total_tokens).toBeGreaterThan(0);
    const report = (await (
      await fetch(`${gateway.url}/v1/usage`, { headers: { authorization: `Bearer ${callerKey('metered')}` } })
    ).json()) as { day: { tokens_in: number; tokens_out: number; requests: number } };
    expect(report.day).toMatchObject({
      requests: 1,
      tokens_in: usage.prompt_tokens,
      tokens_out: usage.completion_tokens,
    });
  });
});

describe('identical streams on two replicas (mock provider, one Redis)', () => {
  let redis: RedisServer;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, MOCK_LATENCY_MS: '600' };
    a = await startGateway(env);
    b = await startGateway(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('make one provider call; the follower receives the same answer as chunks', async () => {
    const body = ask('one call for both replicas', { stream: true });
    const calls = async () =>
      (await metric(a, /^llm_requests_total\{provider="mock"/)) +
      (await metric(b, /^llm_requests_total\{provider="mock"/));
    const before = await calls();
    const [left, right] = await Promise.all([
      postJson(`${a.url}/v1/chat/completions`, body),
      postJson(`${b.url}/v1/chat/completions`, body),
    ]);
    const [leftText, rightText] = await Promise.all([left.text(), right.text()]);
    expect([left.headers.get('x-cache'), right.headers.get('x-cache')].sort()).toEqual(['HIT', 'MISS']);
    expect(assembled(eventsOf(leftText)).choices[0].message.content).toBe(
      assembled(eventsOf(rightText)).choices[0].message.content,
    );
    expect((await calls()) - before).toBe(1);
  });
});
