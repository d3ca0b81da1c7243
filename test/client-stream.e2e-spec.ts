import { BreakwaterClient, BreakwaterError, ChatCompletionChunk } from '@breakwater/client';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { TestGateway, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// BreakwaterClient.chatStream against the real gateway: live chunks from the mock provider, and a request
// queued while the provider is down, waited for and handed over as chunks once a worker has answered it.

const ASSESSOR_KEY = 'assessor-key-0001';

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const textOf = (chunks: ChatCompletionChunk[]) =>
  chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

describe('BreakwaterClient.chatStream', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let gateway: TestGateway;
  const client = () =>
    new BreakwaterClient({ baseUrl: gateway.url, apiKey: ASSESSOR_KEY, poll: { initialDelayMs: 100 } });

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      MOCK_PROVIDER_ENABLED: 'true',
      MOCK_LATENCY_MS: '200',
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '2',
      BREAKER_RESET_TIMEOUT_SECONDS: '1',
      QUEUE_MAX_RETRIES: '10',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await stub?.stop();
    await redis?.stop();
  });

  it('yields the chunks as the gateway streams them, the usage chunk last when asked for', async () => {
    const chunks = await collect(
      client().chatStream({
        model: 'mock/echo',
        messages: [{ role: 'user', content: 'a streamed answer for the client' }],
        stream_options: { include_usage: true },
      }),
    );
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(textOf(chunks)).toContain('a streamed answer for the client');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it('waits for a request queued while the provider was down and yields its completion as chunks', async () => {
    stub.server.reply(stub.errors.serverError());
    const recovery = setTimeout(
      () => stub.server.reply(() => stub.completion('answered after the outage')),
      1_000,
    );
    try {
      const chunks = await collect(
        client().chatStream({
          model: 'openai/gpt-4o-mini',
          messages: [{ role: 'user', content: 'queued stream' }],
        }),
      );
      expect(textOf(chunks)).toBe('answered after the outage');
      expect(chunks.at(-1)?.choices[0].finish_reason).toBe('stop');
    } finally {
      clearTimeout(recovery);
    }
  }, 30_000);

  it('throws the gateway refusal as a BreakwaterError before any chunk', async () => {
    const refused = new BreakwaterClient({ baseUrl: gateway.url, apiKey: 'not-a-key-of-anyone' });
    const error = await collect(
      refused.chatStream({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }),
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(BreakwaterError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });
});
