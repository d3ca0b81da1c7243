import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callerKey, writeLimitedCallersFile } from './helpers/callers';
import { TestGateway, errorOf, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';
import { StubReply } from './helpers/stubs/stub-server';

// Day budgets held by two gateways on one real Redis; the OpenAI-wire stub answers every call with a
// usage of 9 + 9 = 18 tokens, as in the README's example.

async function chat(
  gateway: TestGateway,
  caller: string,
  text: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${callerKey(caller)}`,
      'x-processing-mode': 'immediate',
      ...headers,
    },
    body: JSON.stringify({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: text }],
      ...extra,
    }),
  });
}

function secondsToUtcMidnight(): number {
  const next = new Date();
  next.setUTCHours(24, 0, 0, 0);
  return (next.getTime() - Date.now()) / 1000;
}

async function rejections(gateway: TestGateway, scope: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const match = new RegExp(`^rate_limit_rejections_total\\{scope="${scope}"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe('day budgets shared by two gateways on one Redis', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;

  const eighteenTokens = (delayMs = 0): StubReply => {
    const reply = stub.completion('an answer');
    const body = reply.body as { usage: Record<string, number> };
    body.usage = { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 };
    return { ...reply, delayMs };
  };

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-budget-'));
    const env = {
      ...redis.env,
      CALLERS_FILE: writeLimitedCallersFile(dir, [
        { id: 'thrifty', limits: { tokens_per_day: 30 } },
        { id: 'judge', end_user_limits: { tokens_per_day: 30 } },
        { id: 'priced', limits: { cost_usd_per_day: 0.00001 } },
        { id: 'bursty', limits: { tokens_per_day: 100 } },
      ]),
      OPENAI_API_KEY: 'sk-test-budget',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    };
    a = await startGateway(env);
    b = await startGateway(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await stub?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => stub.server.reply(() => eighteenTokens()));

  it('with 30 tokens a day and calls of 18: 200, 200, then 429 BUDGET_EXCEEDED until UTC midnight', async () => {
    const before = stub.server.requests.length;
    expect((await chat(a, 'thrifty', 'one')).status).toBe(200);
    expect((await chat(b, 'thrifty', 'two')).status).toBe(200);
    const refused = await chat(a, 'thrifty', 'three');
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      type: 'insufficient_quota',
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Math.abs(retryAfter - secondsToUtcMidnight())).toBeLessThanOrEqual(1);
    // Rate-limit headers are on the refusal too, and the refused call never reached the provider.
    expect(refused.headers.get('x-ratelimit-limit')).toBe('500');
    expect(stub.server.requests.length - before).toBe(2);
    expect((await chat(b, 'thrifty', 'four')).status).toBe(429);
    expect((await rejections(a, 'budget')) + (await rejections(b, 'budget'))).toBe(2);
  });

  it('budgets each end user separately', async () => {
    const alice = { 'x-end-user': 'alice' };
    expect((await chat(a, 'judge', 'a1', alice)).status).toBe(200);
    expect((await chat(b, 'judge', 'a2', alice)).status).toBe(200);
    const refused = await chat(a, 'judge', 'a3', alice);
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error.message).toContain('end user "alice"');
    expect((await chat(b, 'judge', 'b1', { 'x-end-user': 'bob' })).status).toBe(200);
  });

  it('applies a USD budget with the same rule, priced from the real usage', async () => {
    // gpt-4o-mini: 9 x $0.15 + 9 x $0.60 per million = $0.00000675 a call; budget $0.00001.
    expect((await chat(a, 'priced', 'p1')).status).toBe(200);
    expect((await chat(b, 'priced', 'p2')).status).toBe(200);
    const refused = await chat(a, 'priced', 'p3');
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error.message).toContain('cost (USD) budget');
  });

  it('stops a simultaneous burst once the estimates in flight fill the budget, on both gateways', async () => {
    // Each request reserves its prompt (~6 tokens) + max_tokens 60: the first two fit under 100
    // (0 < 100, ~66 < 100), the rest see ~132 >= 100 and are refused until those settle.
    stub.server.reply(() => eighteenTokens(600));
    const before = stub.server.requests.length;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        chat(i % 2 === 0 ? a : b, 'bursty', `burst ${i}`, {}, { max_tokens: 60 }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
    const refused = answers.find((r) => r.status === 429) as Response;
    // Held by requests in flight, not spent: worth retrying soon.
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(stub.server.requests.length - before).toBe(2);
    // Settled at 2 x 18 = 36 spent: there is room again.
    stub.server.reply(() => eighteenTokens());
    expect((await chat(a, 'bursty', 'after the burst', {}, { max_tokens: 60 })).status).toBe(200);
  });

  it('gives a reservation back when the provider call fails', async () => {
    stub.server.reply(stub.errors.reply(400, 'bad request'));
    for (let i = 0; i < 4; i++)
      expect((await chat(a, 'bursty', `fail ${i}`, {}, { max_tokens: 60 })).status).toBe(502);
    stub.server.reply(() => eighteenTokens());
    expect((await chat(b, 'bursty', 'still has budget', {}, { max_tokens: 60 })).status).toBe(200);
  });
});
