import { randomUUID } from 'node:crypto';
import { AcceptedBody, ChatCompletion, EmbeddingList, EncodedEmbeddingList } from '@breakwater/contracts';
import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// POST /v1/embeddings through the response cache (both tiers, on a real Redis) and the queue (BullMQ,
// drained by the gateway's own worker), against the OpenAI stub.

const KEYS = {
  app: 'app-key-0000-0000-0001',
  judge: 'judge-key-0000-0000-01',
  ops: 'ops-key-0000-0000-0001',
} as const;
type Who = keyof typeof KEYS;

const MODEL = 'openai/text-embedding-3-small';
/** Small enough that 3072 floats (about 60 KB as JSON) do not fit, while a few dozen do. */
const MAX_ENTRY_BYTES = 16 * 1024;

/** What the OpenAI stub reports: about four characters a token. */
const stubTokens = (input: string[]) => input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);

interface UsageCounts {
  requests: number;
  cache_hits: number;
  tokens_in: number;
  cost_usd: number;
}

describe('POST /v1/embeddings: cache and queue', () => {
  let redis: RedisServer;
  let openai: OpenAiStub;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    openai = await startOpenAiStub();
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile([
        { id: 'app', key: KEYS.app },
        { id: 'judge', key: KEYS.judge, cache: { enabled: false } },
        { id: 'ops', key: KEYS.ops, role: 'admin' },
      ]),
      OPENAI_API_KEY: 'sk-test-embeddings-cache',
      OPENAI_BASE_URL: openai.baseUrl,
      MOCK_PROVIDER_ENABLED: 'true',
      RETRY_MAX_ATTEMPTS: '1',
      CACHE_MAX_ENTRY_BYTES: String(MAX_ENTRY_BYTES),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await openai?.stop();
    await redis?.stop();
  });
  beforeEach(() => {
    openai.server.requests.length = 0;
  });

  const embed = (body: Record<string, unknown>, who: Who = 'app', headers: Record<string, string> = {}) =>
    postJson(
      `${gateway.url}/v1/embeddings`,
      { model: MODEL, encoding_format: 'float', ...body },
      { authorization: `Bearer ${KEYS[who]}`, ...headers },
    );
  const chat = (text: string, headers: Record<string, string> = {}) =>
    postJson(
      `${gateway.url}/v1/chat/completions`,
      { model: MODEL, messages: [{ role: 'user', content: text }] },
      { authorization: `Bearer ${KEYS.app}`, ...headers },
    );
  const embeddingCalls = () => openai.server.requests.filter((r) => r.path === '/v1/embeddings').length;
  const vectorsOf = async (response: Response) =>
    ((await response.json()) as EmbeddingList).data.map((item) => item.embedding);
  const decoded = (text: string) => {
    const bytes = Buffer.from(text, 'base64');
    return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  };
  const metric = async (name: string, labels: string) => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((row) => row.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const usage = async (who: Who) => {
    const response = await fetch(`${gateway.url}/v1/usage`, {
      headers: { authorization: `Bearer ${KEYS[who]}` },
    });
    return ((await response.json()) as { day: { by_model: Record<string, UsageCounts> } }).day.by_model[
      MODEL
    ];
  };
  const resultOf = (queueId: string, who: Who = 'app') =>
    eventually(async () => {
      const response = await fetch(`${gateway.url}/v1/results/${queueId}`, {
        headers: { authorization: `Bearer ${KEYS[who]}` },
      });
      return response.status === 202 ? undefined : response;
    });

  it('answers a repeated request from the cache with the same vectors, no second call, at no cost', async () => {
    const input = [`repeat ${randomUUID()}`, 'second text'];
    const hitsBefore = await metric('cache_requests_total', 'result="hit"');
    const before = (await usage('app')) ?? { requests: 0, cache_hits: 0, tokens_in: 0, cost_usd: 0 };

    const first = await embed({ input, dimensions: 4 });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const vectors = await vectorsOf(first);
    const second = await embed({ input, dimensions: 4 });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('x-provider')).toBe('openai');
    expect(await vectorsOf(second)).toEqual(vectors);
    expect(embeddingCalls()).toBe(1);

    expect(await metric('cache_requests_total', 'result="hit"')).toBe(hitsBefore + 1);
    const after = await usage('app');
    expect(after.requests - before.requests).toBe(2);
    expect(after.cache_hits - before.cache_hits).toBe(1);
    // Both counted their tokens; only the call was paid for.
    expect(after.tokens_in - before.tokens_in).toBe(2 * stubTokens(input));
    expect(after.cost_usd - before.cost_usd).toBeCloseTo((stubTokens(input) * 0.02) / 1e6, 12);
  });

  it('answers a base64 request from the float entry, encoded for it (the encoding is not in the key)', async () => {
    const input = `encoding ${randomUUID()}`;
    const [floats] = await vectorsOf(await embed({ input, dimensions: 8 }));
    const encoded = await embed({ input, dimensions: 8, encoding_format: 'base64' });
    expect(encoded.headers.get('x-cache')).toBe('HIT');
    const [item] = ((await encoded.json()) as EncodedEmbeddingList).data;
    expect(typeof item.embedding).toBe('string');
    decoded(item.embedding).forEach((value, index) => expect(value).toBeCloseTo(floats[index], 6));
    expect(embeddingCalls()).toBe(1);
  });

  it('never serves a caller whose cache is off, whatever it sends, and never stores for it', async () => {
    const input = `judge ${randomUUID()}`;
    const headers = { 'x-cache-key': 'same-every-time', 'x-cache-mode': 'default' };
    for (let round = 0; round < 2; round++) {
      const response = await embed({ input, dimensions: 4 }, 'judge', headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-cache')).toBe('BYPASS');
    }
    expect(embeddingCalls()).toBe(2);
    // Nor did it leave an entry another caller's identical request could find.
    expect((await embed({ input, dimensions: 4 })).headers.get('x-cache')).toBe('MISS');
  });

  it('misses for other dimensions, another text order, and in bypass and refresh modes', async () => {
    const input = [`dims ${randomUUID()}`, 'b'];
    expect((await embed({ input, dimensions: 4 })).headers.get('x-cache')).toBe('MISS');
    expect((await embed({ input, dimensions: 5 })).headers.get('x-cache')).toBe('MISS');
    expect((await embed({ input: [...input].reverse(), dimensions: 4 })).headers.get('x-cache')).toBe('MISS');
    expect(
      (await embed({ input, dimensions: 4 }, 'app', { 'x-cache-mode': 'bypass' })).headers.get('x-cache'),
    ).toBe('BYPASS');
    expect(
      (await embed({ input, dimensions: 4 }, 'app', { 'cache-control': 'no-cache' })).headers.get('x-cache'),
    ).toBe('MISS');
    expect(embeddingCalls()).toBe(5);
    expect((await embed({ input, dimensions: 4 })).headers.get('x-cache')).toBe('HIT');
    expect(embeddingCalls()).toBe(5);
  });

  it('keeps chat and embeddings of the same text apart, under the request hash and a shared x-cache-key', async () => {
    const text = `collide ${randomUUID()}`;
    expect((await chat(text)).headers.get('x-cache')).toBe('MISS');
    const embedded = await embed({ input: text });
    expect(embedded.headers.get('x-cache')).toBe('MISS');
    expect(((await embedded.json()) as EmbeddingList).object).toBe('list');
    const chatAgain = await chat(text);
    expect(chatAgain.headers.get('x-cache')).toBe('HIT');
    expect(((await chatAgain.json()) as ChatCompletion).object).toBe('chat.completion');

    // One caller key for both kinds: the entry there answers only a request of its own kind.
    const headers = { 'x-cache-key': `shared-${randomUUID()}` };
    expect((await chat(text, headers)).headers.get('x-cache')).toBe('MISS');
    const overKey = await embed({ input: text }, 'app', headers);
    expect(overKey.headers.get('x-cache')).toBe('MISS');
    expect(((await overKey.json()) as EmbeddingList).data[0].embedding.length).toBeGreaterThan(0);
    expect((await embed({ input: text }, 'app', headers)).headers.get('x-cache')).toBe('HIT');
    const chatOverKey = await chat(text, headers);
    expect(chatOverKey.headers.get('x-cache')).toBe('MISS');
    expect(((await chatOverKey.json()) as ChatCompletion).choices).toHaveLength(1);
  });

  it('does not store an answer larger than CACHE_MAX_ENTRY_BYTES', async () => {
    const input = `large ${randomUUID()}`;
    const large = await embed({ input, dimensions: 3072 });
    expect(large.status).toBe(200);
    expect(JSON.stringify(await large.json()).length).toBeGreaterThan(MAX_ENTRY_BYTES);
    expect((await embed({ input, dimensions: 3072 })).headers.get('x-cache')).toBe('MISS');
    expect(embeddingCalls()).toBe(2);
  });

  it("is cleared by DELETE /v1/cache with the caller's namespace", async () => {
    const input = `invalidate ${randomUUID()}`;
    await embed({ input });
    expect((await embed({ input })).headers.get('x-cache')).toBe('HIT');
    const deleted = await fetch(`${gateway.url}/v1/cache?namespace=app`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${KEYS.ops}` },
    });
    expect(deleted.status).toBe(200);
    expect(((await deleted.json()) as { deleted: number }).deleted).toBeGreaterThan(0);
    expect((await embed({ input })).headers.get('x-cache')).toBe('MISS');
    expect(embeddingCalls()).toBe(2);
  });

  it('queues a request the provider fails, and the worker answers its vectors on /v1/results', async () => {
    const input = [`queued ${randomUUID()}`, 'and another'];
    openai.server.replyOnce(openai.errors.serverError());
    const response = await embed({ input, dimensions: 6 }, 'judge');
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as AcceptedBody;
    expect(accepted).toMatchObject({ status: 'queued', durable: true });
    expect(response.headers.get('location')).toBe(`/v1/status/${accepted.queue_id}`);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    // The 202's log line names the route, as an answer's does.
    const line = gateway.logs.find((entry) => entry.queue_id === accepted.queue_id && entry.status === 202);
    expect(line).toMatchObject({
      route: '/v1/embeddings',
      provider: 'openai',
      model: MODEL.replace(/^openai\//, ''),
    });

    const result = await resultOf(accepted.queue_id, 'judge');
    expect(result.status).toBe(200);
    const list = (await result.json()) as EmbeddingList;
    expect(list).toMatchObject({ object: 'list', model: MODEL, usage: { prompt_tokens: stubTokens(input) } });
    expect(list.data.map((item) => item.index)).toEqual([0, 1]);
    // The stub's vectors are a function of the text: the same as a direct call's.
    const direct = await vectorsOf(await embed({ input, dimensions: 6 }, 'judge'));
    expect(list.data.map((item) => item.embedding)).toEqual(direct);
    // Another caller cannot read it.
    const foreign = await fetch(`${gateway.url}/v1/results/${accepted.queue_id}`, {
      headers: { authorization: `Bearer ${KEYS.app}` },
    });
    expect(foreign.status).toBe(404);
  });

  it("writes a queued base64 request's result in base64, and stores floats in the cache as planned", async () => {
    const input = `queued base64 ${randomUUID()}`;
    openai.server.replyOnce(openai.errors.serverError());
    const response = await embed({ input, dimensions: 4, encoding_format: 'base64' });
    expect(response.status).toBe(202);
    const { queue_id: queueId } = (await response.json()) as AcceptedBody;
    const result = await resultOf(queueId);
    expect(result.status).toBe(200);
    const [item] = ((await result.json()) as EncodedEmbeddingList).data;
    expect(typeof item.embedding).toBe('string');
    expect(decoded(item.embedding)).toHaveLength(4);

    const cached = await embed({ input, dimensions: 4 });
    expect(cached.headers.get('x-cache')).toBe('HIT');
    const [floats] = await vectorsOf(cached);
    decoded(item.embedding).forEach((value, index) => expect(value).toBeCloseTo(floats[index], 6));
    expect(embeddingCalls()).toBe(2);
  });

  it('queues at once with x-processing-mode: async', async () => {
    const input = `async ${randomUUID()}`;
    const response = await embed({ input, dimensions: 3 }, 'judge', { 'x-processing-mode': 'async' });
    expect(response.status).toBe(202);
    const { queue_id: queueId, reason } = (await response.json()) as AcceptedBody;
    expect(reason).toContain('async');
    const result = await resultOf(queueId, 'judge');
    expect(result.status).toBe(200);
    expect(((await result.json()) as EmbeddingList).data[0].embedding).toHaveLength(3);
  });

  it('answers 503 with a short Retry-After in immediate mode, queueing nothing', async () => {
    const jobsBefore = await metric('queue_jobs_total', 'outcome="enqueued"');
    openai.server.replyOnce(openai.errors.serverError());
    const response = await embed({ input: `immediate ${randomUUID()}` }, 'judge', {
      'x-processing-mode': 'immediate',
    });
    expect(response.status).toBe(503);
    expect((await errorOf(response)).error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(await metric('queue_jobs_total', 'outcome="enqueued"')).toBe(jobsBefore);
  });
});

describe('POST /v1/embeddings without Redis (embedded mode)', () => {
  it('caches in process memory and queues into the local queue, whose worker answers the list', async () => {
    const openai = await startOpenAiStub();
    const gateway = await startGateway({
      REDIS_URL: UNREACHABLE_REDIS,
      OPENAI_API_KEY: 'sk-test-embeddings-local',
      OPENAI_BASE_URL: openai.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    });
    try {
      const embed = (input: string) =>
        postJson(`${gateway.url}/v1/embeddings`, { model: MODEL, input, encoding_format: 'float' });
      openai.server.replyOnce(openai.errors.serverError());
      const queued = await embed('local');
      expect(queued.status).toBe(202);
      const accepted = (await queued.json()) as AcceptedBody;
      expect(accepted.durable).toBe(false);
      const result = await eventually(async () => {
        const response = await fetch(`${gateway.url}/v1/results/${accepted.queue_id}`, {
          headers: { authorization: 'Bearer dev-key' },
        });
        return response.status === 200 ? ((await response.json()) as EmbeddingList) : undefined;
      });
      expect(result.data).toHaveLength(1);
      // The job stored its answer in the first tier, as its request planned.
      const again = await embed('local');
      expect(again.headers.get('x-cache')).toBe('HIT');
      expect(((await again.json()) as EmbeddingList).data).toEqual(result.data);
      expect(openai.server.requests.filter((r) => r.path === '/v1/embeddings')).toHaveLength(2);
    } finally {
      await gateway.close();
      await openai.stop();
    }
  });
});
