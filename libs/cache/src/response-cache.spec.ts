import { setTimeout as sleep } from 'node:timers/promises';
import { Caller, ChatCompletionRequest, EmbeddingRequest, GatewayError } from '@breakwater/contracts';
import { EmbeddingAnswer, ProviderAnswer, StructuredOutput } from '@breakwater/llm-provider';
import { Metrics, Tracing } from '@breakwater/observability';
import { RedisConnections } from '@breakwater/redis';
import { asPlainData, testConfig } from '@breakwater/testing';
import { CacheDirectives } from './cache-directives';
import { ResponseCache } from './response-cache';

/**
 * Redis down for good (the connections are never opened, so every operation takes the local path): these
 * specs cover the first tier and in-process single flight alone.
 */
function cacheWith(env: Record<string, string> = {}): { cache: ResponseCache; metrics: Metrics } {
  const metrics = new Metrics();
  const config = testConfig(env);
  const noRedis = new RedisConnections(config);
  return {
    cache: new ResponseCache(config, noRedis, metrics, new StructuredOutput(config), new Tracing(config)),
    metrics,
  };
}

function callerOf(enabled: boolean, namespace = 'ns'): Caller {
  return {
    id: namespace,
    keySha256: '',
    role: 'caller',
    limits: {},
    endUserLimits: {},
    cache: { enabled, namespace },
  };
}

const request: ChatCompletionRequest = { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] };
const route = { provider: 'mock' as const, model: 'echo' };
let calls = 0;

function answer(content: string, provider: 'mock' | 'openai' = 'mock', model = 'echo'): ProviderAnswer {
  calls++;
  return {
    completion: {
      id: `chatcmpl-${calls}`,
      object: 'chat.completion',
      created: 1,
      model: `${provider}/${model}`,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    },
    provider,
    model,
    costUsd: 0.25,
    attempts: 1,
  };
}

const slowly = (content: string) => async () => {
  await sleep(50);
  return answer(content);
};

const unavailable = () => Promise.reject(new GatewayError('PROVIDER_UNAVAILABLE', 'down'));

beforeEach(() => (calls = 0));

describe('ResponseCache without Redis', () => {
  const directives: CacheDirectives = { mode: 'default' };

  it('misses, then hits with the same answer, its id kept and its cost counted as saved', async () => {
    const { cache, metrics } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, directives);
    const first = await cache.through(plan, slowly('one'));
    const second = await cache.through(plan, slowly('two'));
    expect(first.status).toBe('MISS');
    expect(second.status).toBe('HIT');
    expect(second.answer.completion.id).toBe(first.answer.completion.id);
    expect(second.answer.completion.choices[0].message.content).toBe('one');
    expect(second.answer).toMatchObject({ costUsd: 0, attempts: 0 });
    expect(calls).toBe(1);
    expect((await metrics.cacheSavedCost.get()).values[0].value).toBe(0.25);
    const results = (await metrics.cacheRequests.get()).values.map((v) => [v.labels.result, v.value]);
    expect(results).toEqual(
      expect.arrayContaining([
        ['miss', 1],
        ['hit', 1],
      ]),
    );
  });

  it('makes one provider call for identical concurrent misses in the process', async () => {
    const { cache } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, directives);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => cache.through(plan, slowly('shared'))),
    );
    expect(calls).toBe(1);
    expect(results.filter((r) => r.status === 'MISS')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'HIT')).toHaveLength(9);
    expect(new Set(results.map((r) => r.answer.completion.id)).size).toBe(1);
  });

  it('gives a cache-off caller its own provider call every time, concurrent ones included', async () => {
    const { cache } = cacheWith();
    const warm = cache.plan(callerOf(true), request, route, directives);
    await cache.through(warm, slowly('cached'));
    calls = 0;
    const plan = cache.plan(callerOf(false), request, route, { mode: 'default', customKey: 'k' });
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.through(plan, slowly('fresh'))));
    expect(calls).toBe(10);
    expect(results.every((r) => r.status === 'BYPASS')).toBe(true);
    expect(new Set(results.map((r) => r.answer.completion.id)).size).toBe(10);
  });

  it('does not coalesce bypass or refresh requests', async () => {
    const { cache } = cacheWith();
    for (const mode of ['bypass', 'refresh'] as const) {
      calls = 0;
      const plan = cache.plan(callerOf(true), request, route, { mode });
      await Promise.all(Array.from({ length: 5 }, () => cache.through(plan, slowly(mode))));
      expect(calls).toBe(5);
    }
  });

  it('shares a provider refusal with the twins, and never stores an error', async () => {
    const { cache } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, directives);
    const refused = () => sleep(30).then(() => Promise.reject(new GatewayError('PROVIDER_ERROR', 'no')));
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => cache.through(plan, refused)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((await cache.through(plan, slowly('after'))).status).toBe('MISS');
  });

  it('lets twins call for themselves when the flight died for its own reasons (client gone)', async () => {
    const { cache } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, directives);
    const aborted = () => sleep(30).then(() => Promise.reject(new Error('aborted')));
    const [first, second] = await Promise.allSettled([
      cache.through(plan, aborted),
      cache.through(plan, slowly('mine')),
    ]);
    expect(first.status).toBe('rejected');
    expect(second).toMatchObject({ status: 'fulfilled', value: { status: 'MISS' } });
  });

  it('does not store a fallback model answer under the requested model key', async () => {
    const { cache } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, directives);
    await cache.through(plan, () => Promise.resolve(answer('from fallback', 'openai', 'gpt-4o-mini')));
    expect((await cache.through(plan, slowly('primary'))).status).toBe('MISS');
  });

  it('expires entries after their TTL', async () => {
    const { cache } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, { mode: 'default', ttlSeconds: 1 });
    await cache.through(plan, slowly('one'));
    expect((await cache.through(plan, slowly('two'))).status).toBe('HIT');
    await sleep(1100);
    expect((await cache.through(plan, slowly('three'))).status).toBe('MISS');
  });

  it('answers STALE within the stale window while the provider is unavailable, and only then', async () => {
    const { cache } = cacheWith({ CACHE_STALE_IF_ERROR_SECONDS: '30' });
    const plan = cache.plan(callerOf(true), request, route, { mode: 'default', ttlSeconds: 1 });
    const original = await cache.through(plan, slowly('old'));
    await sleep(1100);
    const stale = await cache.through(plan, unavailable);
    expect(stale.status).toBe('STALE');
    expect(stale.answer.completion.id).toBe(original.answer.completion.id);
    await expect(
      cache.through(plan, () => Promise.reject(new GatewayError('PROVIDER_ERROR', 'rejected'))),
    ).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    const refresh = cache.plan(callerOf(true), request, route, { mode: 'refresh' });
    await expect(cache.through(refresh, unavailable)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    const recovered = await cache.through(plan, slowly('new'));
    expect(recovered.status).toBe('MISS');
    expect(recovered.answer.completion.choices[0].message.content).toBe('new');
  });

  it('never answers stale without CACHE_STALE_IF_ERROR_SECONDS', async () => {
    const { cache } = cacheWith();
    const plan = cache.plan(callerOf(true), request, route, { mode: 'default', ttlSeconds: 1 });
    await cache.through(plan, slowly('old'));
    await sleep(1100);
    await expect(cache.through(plan, unavailable)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
  });

  it('treats a json_schema hit that fails the schema as a miss', async () => {
    const { cache } = cacheWith();
    const text = cache.plan(callerOf(true), request, route, { mode: 'default', customKey: 'doc-1' });
    await cache.through(text, slowly('plain words'));
    const schema = { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] };
    const structured: ChatCompletionRequest = {
      ...request,
      response_format: { type: 'json_schema', json_schema: { name: 'g', schema } },
    };
    const plan = cache.plan(callerOf(true), structured, route, { mode: 'default', customKey: 'doc-1' });
    expect((await cache.through(plan, slowly('{"score": 4}'))).status).toBe('MISS');
    expect(
      (await cache.through(plan, slowly('{"score": 5}'))).answer.completion.choices[0].message.content,
    ).toBe('{"score": 4}');
    const wrong = cache.plan(
      callerOf(true),
      {
        ...structured,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'g', schema: { ...schema, required: ['verdict'] } },
        },
      },
      route,
      { mode: 'default', customKey: 'doc-1' },
    );
    expect((await cache.through(wrong, slowly('{"verdict": "pass"}'))).status).toBe('MISS');
  });

  it('keeps namespaces apart', async () => {
    const { cache } = cacheWith();
    await cache.through(cache.plan(callerOf(true, 'a'), request, route, directives), slowly('a'));
    expect(
      (await cache.through(cache.plan(callerOf(true, 'b'), request, route, directives), slowly('b'))).status,
    ).toBe('MISS');
  });

  it('invalidates the first tier when Redis is down, counting its entries', async () => {
    const { cache } = cacheWith();
    const a = cache.plan(callerOf(true, 'a'), request, route, directives);
    const b = cache.plan(callerOf(true, 'b'), request, route, directives);
    await cache.through(a, slowly('a'));
    await cache.through(b, slowly('b'));
    expect(await cache.invalidate({ namespace: 'a' })).toBe(1);
    expect((await cache.through(a, slowly('a2'))).status).toBe('MISS');
    expect((await cache.through(b, slowly('b2'))).status).toBe('HIT');
    expect(await cache.invalidate({})).toBe(2);
    expect((await cache.through(b, slowly('b3'))).status).toBe('MISS');
  });

  it('runs a queued job through its plan as plain data: stored, and nothing for a plan that does not write', async () => {
    const { cache } = cacheWith();
    const plan = asPlainData(cache.plan(callerOf(true), request, route, directives));
    await cache.through(plan, () => Promise.resolve(answer('from the worker')));
    expect((await cache.through(plan, slowly('x'))).answer.completion.choices[0].message.content).toBe(
      'from the worker',
    );
    const off = asPlainData(cache.plan(callerOf(false), request, route, directives));
    const other = cache.plan(callerOf(true, 'other'), request, route, directives);
    await cache.through(off, () => Promise.resolve(answer('never')));
    expect((await cache.through(other, slowly('y'))).status).toBe('MISS');
  });
});

describe('ResponseCache for embeddings, without Redis', () => {
  const embeddingRequest: EmbeddingRequest = { model: 'mock/echo', input: ['hi'] };
  const vectors = (value: number) => async (): Promise<EmbeddingAnswer> => {
    await sleep(50);
    calls++;
    return {
      embeddings: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [value, -value] }],
        model: 'mock/echo',
        usage: { prompt_tokens: 1, total_tokens: 1 },
      },
      provider: 'mock',
      model: 'echo',
      costUsd: 0.5,
      attempts: 1,
    };
  };

  it('makes one provider call for identical concurrent misses, and hits after it at no cost', async () => {
    const { cache } = cacheWith();
    const plan = cache.planEmbeddings(callerOf(true), embeddingRequest, route, { mode: 'default' });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) => cache.embeddingsThrough(plan, vectors(index + 1))),
    );
    expect(calls).toBe(1);
    expect(results.filter((r) => r.status === 'MISS')).toHaveLength(1);
    expect(new Set(results.map((r) => r.answer.embeddings.data[0].embedding[0]))).toEqual(new Set([1]));
    const later = await cache.embeddingsThrough(plan, vectors(9));
    expect(later.status).toBe('HIT');
    expect(later.answer).toMatchObject({ costUsd: 0, attempts: 0 });
    expect(later.answer.embeddings.data[0].embedding).toEqual([1, -1]);
  });

  it("never answers a chat request with embeddings (or the reverse) under one caller's x-cache-key", async () => {
    const { cache } = cacheWith();
    const directives: CacheDirectives = { mode: 'default', customKey: 'shared' };
    const chatPlan = cache.plan(callerOf(true), request, route, directives);
    const embeddingsPlan = cache.planEmbeddings(callerOf(true), embeddingRequest, route, directives);
    expect(embeddingsPlan.key).toBe(chatPlan.key);
    await cache.through(chatPlan, slowly('chat'));
    const embedded = await cache.embeddingsThrough(embeddingsPlan, vectors(3));
    expect(embedded.status).toBe('MISS');
    expect(embedded.answer.embeddings.data[0].embedding).toEqual([3, -3]);
    const chatted = await cache.through(chatPlan, slowly('chat again'));
    expect(chatted.status).toBe('MISS');
    expect(chatted.answer.completion.choices[0].message.content).toBe('chat again');
    // Concurrent twins of the two kinds do not share a flight either.
    const [chatTwin, embeddingsTwin] = await Promise.all([
      cache.through(
        cache.plan(callerOf(true), request, route, { mode: 'refresh', customKey: 'other' }),
        slowly('x'),
      ),
      cache.embeddingsThrough(
        cache.planEmbeddings(callerOf(true), embeddingRequest, route, {
          mode: 'default',
          customKey: 'other',
        }),
        vectors(4),
      ),
    ]);
    expect(chatTwin.answer.completion.choices[0].message.content).toBe('x');
    expect(embeddingsTwin.answer.embeddings.data[0].embedding).toEqual([4, -4]);
  });

  it('stores nothing for a cache-off caller', async () => {
    const { cache } = cacheWith();
    const plan = cache.planEmbeddings(callerOf(false), embeddingRequest, route, { mode: 'default' });
    expect(plan).toMatchObject({ read: false, write: false, shared: false });
    expect(plan.key).toBeUndefined();
    expect((await cache.embeddingsThrough(plan, vectors(1))).status).toBe('BYPASS');
    expect((await cache.embeddingsThrough(plan, vectors(2))).answer.embeddings.data[0].embedding).toEqual([
      2, -2,
    ]);
    expect(calls).toBe(2);
  });
});
