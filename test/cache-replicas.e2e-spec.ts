import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheDirectives, ResponseCache, cacheKeyOf, lockKeyOf } from '@breakwater/cache';
import { ChatCompletion, ChatCompletionRequest } from '@breakwater/contracts';
import { Metrics, Tracing } from '@breakwater/observability';
import { StructuredOutput } from '@breakwater/llm-provider';
import { RedisConnections } from '@breakwater/redis';
import { asPlainData, testConfig } from '@breakwater/testing';
import { TestGateway, completionOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { RecordedRequest, StubReply } from './helpers/stubs/stub-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';
import { eventually } from './helpers/eventually';

const KEYS = {
  admin: 'admin-key-replicas-e2e',
  pipeline: 'pipeline-key-replicas-e2e',
  judge: 'judge-key-replicas-e2e',
};
type Who = keyof typeof KEYS;

function callersFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'breakwater-cache-')), 'callers.json');
  const callers = [
    { id: 'admin', key: KEYS.admin, role: 'admin' },
    { id: 'pipeline', key: KEYS.pipeline },
    { id: 'judge', key: KEYS.judge, cache: { enabled: false } },
  ];
  writeFileSync(file, JSON.stringify({ callers }));
  return file;
}

interface Answer {
  status: number;
  cache: string | null;
  content: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `replicas()` starts in its beforeAll; reading a part before then fails saying so. */
class Replicas {
  served = 0;
  latencyMs = 0;
  env: Record<string, string> = {};
  redisServer?: RedisServer;
  stubServer?: OpenAiStub;
  gatewayA?: TestGateway;
  gatewayB?: TestGateway;

  get redis(): RedisServer {
    return started(this.redisServer);
  }
  get stub(): OpenAiStub {
    return started(this.stubServer);
  }
  get a(): TestGateway {
    return started(this.gatewayA);
  }
  get b(): TestGateway {
    return started(this.gatewayB);
  }
}

function started<T>(part: T | undefined): T {
  if (part === undefined) throw new Error('replicas() starts its servers in beforeAll');
  return part;
}

/** Two gateway replicas on one Redis and one OpenAI stub whose every answer is new (a counter). */
function replicas(extraEnv: Record<string, string> = {}): Replicas {
  const state = new Replicas();
  const freshAnswer = (_request: RecordedRequest): StubReply => {
    state.served++;
    const reply = state.stub.completion(`answer #${state.served}`);
    return { ...reply, delayMs: state.latencyMs };
  };
  beforeAll(async () => {
    state.redisServer = await startRedis();
    state.stubServer = await startOpenAiStub();
    state.env = {
      ...state.redis.env,
      CALLERS_FILE: callersFile(),
      OPENAI_API_KEY: 'sk-replicas-e2e',
      OPENAI_BASE_URL: state.stub.baseUrl,
      RATE_LIMIT_PER_MINUTE: '100000',
      // No queue work here: these tests never queue, and in-process workers only slow shutdown.
      RUN_WORKERS: 'false',
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '10',
      BREAKER_VOLUME_THRESHOLD: '1000',
      ...extraEnv,
    };
    state.gatewayA = await startGateway(state.env);
    state.gatewayB = await startGateway(state.env);
  });
  afterAll(async () => {
    await state.gatewayA?.close();
    await state.gatewayB?.close();
    await state.stubServer?.stop();
    await state.redisServer?.stop();
  });
  beforeEach(() => {
    state.latencyMs = 0;
    state.stub.server.reply(freshAnswer);
  });
  return state;
}

async function ask(
  gateway: TestGateway,
  who: Who,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await postJson(`${gateway.url}/v1/chat/completions`, payload, {
    authorization: `Bearer ${KEYS[who]}`,
    ...headers,
  });
  const cache = response.headers.get('x-cache');
  if (response.status !== 200) return { status: response.status, cache, content: '' };
  return { status: 200, cache, content: (await completionOf(response)).choices[0].message.content ?? '' };
}

async function invalidate(gateway: TestGateway, query = ''): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${gateway.url}/v1/cache${query}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return { status: response.status, body: await response.json() };
}

const body = (text: string): ChatCompletionRequest => ({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: text }],
});

describe('response cache shared by two replicas', () => {
  const env = replicas();
  const calls = () => env.stub.server.requests.length;

  it('answers on one replica from the entry the other wrote', async () => {
    const question = body(`shared ${randomUUID()}`);
    const first = await ask(env.a, 'pipeline', question);
    const second = await ask(env.b, 'pipeline', question);
    expect(first.cache).toBe('MISS');
    expect(second).toMatchObject({ cache: 'HIT', content: first.content });
  });

  it('makes one provider call for 20 identical concurrent requests across two replicas', async () => {
    env.latencyMs = 300;
    const question = body(`stampede ${randomUUID()}`);
    const before = calls();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(i % 2 ? env.a : env.b, 'pipeline', question)),
    );
    expect(calls() - before).toBe(1);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.cache === 'MISS')).toHaveLength(1);
    expect(answers.filter((a) => a.cache === 'HIT')).toHaveLength(19);
    expect(new Set(answers.map((a) => a.content)).size).toBe(1);
  });

  it('never coalesces a cache-off caller across replicas: 20 concurrent requests, 20 calls', async () => {
    env.latencyMs = 300;
    const question = body(`judged stampede ${randomUUID()}`);
    const before = calls();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(i % 2 ? env.a : env.b, 'judge', question)),
    );
    expect(calls() - before).toBe(20);
    expect(answers.every((a) => a.cache === 'BYPASS')).toBe(true);
    expect(new Set(answers.map((a) => a.content)).size).toBe(20);
  });

  it('calls the provider itself when the lock holder died without an answer', async () => {
    const direct = env.redis.client();
    try {
      const question = body(`orphaned lock ${randomUUID()}`);
      const lock = lockKeyOf(cacheKeyOf('pipeline', 'openai', 'gpt-4o-mini', question));
      // A holder that took the lock and died: nobody renews it, nobody will write the entry.
      await direct.set(lock, 'dead-holder', 'PX', 800);
      const before = calls();
      const started = Date.now();
      const answer = await ask(env.a, 'pipeline', question);
      expect(answer).toMatchObject({ status: 200, cache: 'MISS' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(calls() - before).toBe(1);
    } finally {
      direct.disconnect();
    }
  });

  it('wakes the waiting replica at once when the holder fails, and it calls for itself', async () => {
    const question = body(`failing holder ${randomUUID()}`);
    const failure = env.stub.errors.serverError();
    env.stub.server.replyOnce(async (request) => ({ ...(await failure(request)), delayMs: 300 }));
    const before = calls();
    const started = Date.now();
    const answers = await Promise.all([
      ask(env.a, 'pipeline', question, { 'x-processing-mode': 'immediate' }),
      ask(env.b, 'pipeline', question, { 'x-processing-mode': 'immediate' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 503]);
    expect(answers.find((a) => a.status === 200)?.cache).toBe('MISS');
    expect(calls() - before).toBe(2);
    // Well under the 3 s lock TTL: the waiter heard the release instead of waiting the lock out.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('clears both tiers on both replicas when an admin invalidates on one', async () => {
    const direct = env.redis.client();
    try {
      const [byKey, byNamespace] = [body(`evict key ${randomUUID()}`), body(`evict ns ${randomUUID()}`)];
      const keyOf = (question: ChatCompletionRequest) =>
        cacheKeyOf('pipeline', 'openai', 'gpt-4o-mini', question);
      const old = new Map<ChatCompletionRequest, string>();
      for (const question of [byKey, byNamespace]) {
        old.set(question, (await ask(env.a, 'pipeline', question)).content);
        expect((await ask(env.b, 'pipeline', question)).cache).toBe('HIT');
      }
      // Gone from Redis behind the gateways' backs: both replicas still answer from their first tier.
      // One key at a time: on a Redis Cluster the two may be in different slots.
      expect((await direct.unlink(keyOf(byKey))) + (await direct.unlink(keyOf(byNamespace)))).toBe(2);
      for (const gateway of [env.a, env.b]) {
        for (const question of [byKey, byNamespace]) {
          expect(await ask(gateway, 'pipeline', question)).toMatchObject({
            cache: 'HIT',
            content: old.get(question),
          });
        }
      }
      await direct.set(keyOf(byKey), 'a stand-in for the entry');
      expect(await invalidate(env.a, `?key=${keyOf(byKey)}`)).toEqual({ status: 200, body: { deleted: 1 } });
      await sleep(100);
      // After invalidation no replica serves the old answer (a new one may come from the other's fresh write).
      expect((await ask(env.b, 'pipeline', byKey)).cache).toBe('MISS');
      for (const gateway of [env.b, env.a]) {
        expect((await ask(gateway, 'pipeline', byKey)).content).not.toBe(old.get(byKey));
        expect(await ask(gateway, 'pipeline', byNamespace)).toMatchObject({
          cache: 'HIT',
          content: old.get(byNamespace),
        });
      }

      const cleared = await invalidate(env.a, '?namespace=pipeline');
      expect(cleared.status).toBe(200);
      expect((cleared.body as { deleted: number }).deleted).toBeGreaterThanOrEqual(1);
      await sleep(100);
      expect((await ask(env.b, 'pipeline', byNamespace)).cache).toBe('MISS');
      for (const gateway of [env.b, env.a]) {
        expect((await ask(gateway, 'pipeline', byNamespace)).content).not.toBe(old.get(byNamespace));
      }
    } finally {
      direct.disconnect();
    }
  });

  it('serves an answer a worker stored under a queued request plan (a plain-data plan)', async () => {
    const config = testConfig(env.env);
    const connections = new RedisConnections(config);
    await connections.onModuleInit();
    const worker = new ResponseCache(
      config,
      connections,
      new Metrics(),
      new StructuredOutput(config),
      new Tracing(config),
    );
    try {
      const question = body(`queued ${randomUUID()}`);
      const caller = config.callers.list.find((c) => c.id === 'pipeline');
      if (!caller) throw new Error('no pipeline caller');
      const directives: CacheDirectives = { mode: 'default' };
      const plan = asPlainData(
        worker.plan(caller, question, { provider: 'openai', model: 'gpt-4o-mini' }, directives),
      );
      const completion = env.stub.completion('from the worker').body as ChatCompletion;
      await worker.through(plan, () =>
        Promise.resolve({
          completion,
          provider: 'openai',
          model: 'gpt-4o-mini',
          costUsd: 0.001,
          attempts: 1,
        }),
      );
      expect(await ask(env.b, 'pipeline', question)).toMatchObject({
        cache: 'HIT',
        content: 'from the worker',
      });
    } finally {
      await connections.onApplicationShutdown();
    }
  });
});

describe('stale answers while the provider is down', () => {
  const env = replicas({ CACHE_STALE_IF_ERROR_SECONDS: '60' });

  it('answers STALE past the TTL on either replica, before anything would be queued', async () => {
    const question = body(`stale ${randomUUID()}`);
    const original = await ask(env.a, 'pipeline', question, { 'x-cache-ttl': '1' });
    expect(original.cache).toBe('MISS');
    await sleep(1200);
    env.stub.server.reply(env.stub.errors.serverError());
    // b never held it: the stale entry comes from Redis; a has it in its first tier.
    expect(await ask(env.b, 'pipeline', question)).toMatchObject({
      status: 200,
      cache: 'STALE',
      content: original.content,
    });
    expect(await ask(env.a, 'pipeline', question, { 'x-processing-mode': 'immediate' })).toMatchObject({
      status: 200,
      cache: 'STALE',
      content: original.content,
    });
    // Nothing stale to give: the provider's outage shows.
    expect(
      await ask(env.a, 'pipeline', body(`never cached ${randomUUID()}`), {
        'x-processing-mode': 'immediate',
      }),
    ).toMatchObject({
      status: 503,
      cache: 'MISS',
    });
    // A refresh asked for a fresh answer, and a cache-off caller never gets a cached one.
    expect(
      await ask(env.a, 'pipeline', question, { 'x-processing-mode': 'immediate', 'x-cache-mode': 'refresh' }),
    ).toMatchObject({
      status: 503,
    });
    expect(await ask(env.a, 'judge', question, { 'x-processing-mode': 'immediate' })).toMatchObject({
      status: 503,
      cache: 'BYPASS',
    });
  });

  it('answers fresh again once the provider is back, and never stale while fresh', async () => {
    const question = body(`recovers ${randomUUID()}`);
    await ask(env.a, 'pipeline', question, { 'x-cache-ttl': '1' });
    await sleep(1200);
    // a still holds the expired entry for the stale window: with the provider up it must not serve it.
    const renewed = await ask(env.a, 'pipeline', question);
    expect(renewed.cache).toBe('MISS');
    env.stub.server.reply(env.stub.errors.serverError());
    expect(await ask(env.b, 'pipeline', question)).toMatchObject({ cache: 'HIT', content: renewed.content });
  });
});

describe('Redis lost and back', () => {
  const env = replicas();
  let down = false;
  // A failed assertion must not leave Redis dead: the gateways' shutdown waits for it.
  afterEach(async () => {
    if (!down) return;
    await env.redis.restart();
    down = false;
    await eventually(() => [env.a, env.b].every((gateway) => gateway.app.get(RedisConnections).available));
  });

  it('keeps answering from the first tier while Redis is down, and shares again when it returns', async () => {
    const known = body(`before the outage ${randomUUID()}`);
    const first = await ask(env.a, 'pipeline', known);
    expect((await ask(env.a, 'pipeline', known)).cache).toBe('HIT');

    await env.redis.kill();
    down = true;
    const connections = env.a.app.get(RedisConnections);
    await eventually(() => !connections.available);

    expect(await ask(env.a, 'pipeline', known)).toMatchObject({
      status: 200,
      cache: 'HIT',
      content: first.content,
    });
    const during = body(`during the outage ${randomUUID()}`);
    expect(await ask(env.a, 'pipeline', during)).toMatchObject({ status: 200, cache: 'MISS' });
    expect(await ask(env.a, 'pipeline', during)).toMatchObject({ status: 200, cache: 'HIT' });
    // b never held `known`: with no Redis it calls the provider, and still answers.
    expect(await ask(env.b, 'pipeline', known)).toMatchObject({ status: 200, cache: 'MISS' });
    // Identical concurrent misses still make one call per replica.
    env.latencyMs = 200;
    const before = env.stub.server.requests.length;
    const stampede = body(`outage stampede ${randomUUID()}`);
    const answers = await Promise.all(Array.from({ length: 10 }, () => ask(env.a, 'pipeline', stampede)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(env.stub.server.requests.length - before).toBe(1);
    // Invalidation reaches this replica's first tier alone, and says how many entries it dropped.
    const cleared = await invalidate(env.a);
    expect(cleared.status).toBe(200);
    expect((cleared.body as { deleted: number }).deleted).toBeGreaterThanOrEqual(3);

    await env.redis.restart();
    down = false;
    await eventually(() => connections.available && env.b.app.get(RedisConnections).available);
    const after = body(`after the outage ${randomUUID()}`);
    env.latencyMs = 0;
    expect(await ask(env.a, 'pipeline', after)).toMatchObject({ status: 200, cache: 'MISS' });
    await eventually(async () => (await ask(env.b, 'pipeline', after)).cache === 'HIT', 3000);
  });
});
