import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { callerKey, writeLimitedCallersFile } from './helpers/callers';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { watchLiveness } from './helpers/liveness';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// Findings 3 and 5: a model without a price must not let a USD budget fail open, and model names a
// caller makes up must not grow the metrics, the usage hash or any other per-name structure.

const BIG_PROMPT = 'word '.repeat(2000);

function chat(
  gateway: TestGateway,
  caller: string,
  model: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return postJson(
    `${gateway.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content: BIG_PROMPT }], max_tokens: 200_000 },
    { authorization: `Bearer ${callerKey(caller)}`, 'x-processing-mode': 'immediate', ...headers },
  );
}

async function expectUnpriced(response: Response, param: string): Promise<void> {
  expect(response.status).toBe(400);
  const body = await errorOf(response);
  expect(body.error).toMatchObject({ code: 'INVALID_REQUEST', param });
  expect(body.error.message).toContain('PRICING_FILE');
}

describe('attack: a USD budget cannot be bypassed with a model that has no price', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let dir: string;
  let gateway: TestGateway;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-pricing-'));
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeLimitedCallersFile(dir, [
        { id: 'tiny', limits: { cost_usd_per_day: 0.000001 } },
        { id: 'tenant', end_user_limits: { cost_usd_per_day: 0.000001 } },
        { id: 'unbudgeted', limits: { tokens_per_day: 10_000_000 } },
      ]),
      OPENAI_API_KEY: 'sk-test-pricing',
      OPENAI_BASE_URL: stub.baseUrl,
      OPENROUTER_API_KEY: 'sk-or-test-pricing',
      OPENROUTER_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    });
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await gateway?.close();
    await stub?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses unpriced models (a new one, an unknown dated snapshot) with 400 naming model, before any provider call or reservation', async () => {
    const watch = watchLiveness(gateway.url);
    const answers: Response[] = [];
    for (const model of ['openai/gpt-5-pro', 'openai/gpt-4o-mini-2099-01-01', 'openrouter/openrouter/auto']) {
      for (let i = 0; i < 4; i++) answers.push(await chat(gateway, 'tiny', model));
    }
    expect(await watch.stop()).toBeLessThan(1000);
    for (const answer of answers) await expectUnpriced(answer, 'model');
    expect(stub.server.requests).toHaveLength(0);
    expect(await client.keys('bw:budget:*')).toEqual([]);
  });

  it('refuses an unpriced fallback with 400 naming x-fallback-models', async () => {
    const response = await chat(gateway, 'tiny', 'openai/gpt-4o-mini', {
      'x-fallback-models': 'openai/gpt-4o,openai/gpt-5-pro',
    });
    await expectUnpriced(response, 'x-fallback-models');
    expect(stub.server.requests).toHaveLength(0);
  });

  it('applies to an end user budget when the request names the end user', async () => {
    const named = await chat(gateway, 'tenant', 'openai/gpt-5-pro', { 'x-end-user': 'roaster-1' });
    await expectUnpriced(named, 'model');
    expect(stub.server.requests).toHaveLength(0);
    // Without x-end-user no USD budget judges the request, so there is nothing to fail open.
    expect((await chat(gateway, 'tenant', 'openai/gpt-5-pro')).status).toBe(200);
  });

  it('still serves a priced model (and its priced dated snapshot), the mock, and unbudgeted callers', async () => {
    const before = stub.server.requests.length;
    expect((await chat(gateway, 'tiny', 'openai/gpt-4o-mini-2024-07-18')).status).toBe(200);
    expect(stub.server.requests.length - before).toBe(1);
    // The budget is now spent: the next priced call is refused as usual.
    expect((await chat(gateway, 'tiny', 'openai/gpt-4o-mini')).status).toBe(429);
    expect((await chat(gateway, 'tenant', 'mock/echo', { 'x-end-user': 'roaster-2' })).status).toBe(200);
    expect((await chat(gateway, 'unbudgeted', 'openai/gpt-5-pro')).status).toBe(200);
  });
});

describe('attack: 200 made-up model names do not grow /metrics or usage', () => {
  let redis: RedisServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startGateway({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
  });

  const metricsText = async () => (await fetch(`${gateway.url}/metrics`)).text();
  const ask = (model: string) =>
    postJson(
      `${gateway.url}/v1/chat/completions`,
      { model, messages: [{ role: 'user', content: `hello ${model}` }] },
      { authorization: 'Bearer dev-key', 'x-cache-mode': 'bypass' },
    );

  it('labels them all model="other": /metrics grows by under 1 KB and usage keeps one entry for them', async () => {
    // Warm every series the measure itself touches (a known model, other, /metrics, /health/live), so
    // the growth is what the made-up names add; before the fix it was 298 KB.
    expect((await ask('mock/echo')).status).toBe(200);
    expect((await ask('mock/m-warm')).status).toBe(200);
    await watchLiveness(gateway.url).stop();
    await metricsText();
    const before = (await metricsText()).length;
    const watch = watchLiveness(gateway.url);
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await ask(`mock/m-${i}`)).status);
    expect(await watch.stop()).toBeLessThan(1000);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const after = await metricsText();
    expect(after.length - before).toBeLessThan(1024);
    expect(after).toMatch(/llm_requests_total\{provider="mock",model="other",outcome="success"\} 201/);
    expect(after).toMatch(/llm_requests_total\{provider="mock",model="echo",outcome="success"\} 1/);
    expect(after).not.toContain('m-17');

    const usage = (await (
      await fetch(`${gateway.url}/v1/usage`, { headers: { authorization: 'Bearer dev-key' } })
    ).json()) as { day: { by_model: Record<string, { requests: number }> } };
    expect(Object.keys(usage.day.by_model).sort()).toEqual(['mock/echo', 'other']);
    expect(usage.day.by_model.other.requests).toBe(201);
  });
});
