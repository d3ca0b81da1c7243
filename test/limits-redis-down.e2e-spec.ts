import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LimitedCaller, callerKey, writeLimitedCallersFile } from './helpers/callers';
import { TestGateway, errorOf, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { eventually } from './helpers/eventually';

// Two gateways on one Redis that is killed: each falls back to limits of its own process, logs the
// loss once, and shares the limits again once Redis is back.

const CALLERS: LimitedCaller[] = [
  { id: 'steady', limits: { per_minute: 3 } },
  { id: 'capped', limits: { tokens_per_day: 30, concurrency: 1 } },
  { id: 'later', limits: { per_minute: 2 } },
];

async function chat(gateway: TestGateway, caller: string, text: string): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${callerKey(caller)}` },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: text }] }),
  });
}

async function statuses(gateway: TestGateway, caller: string, count: number, tag: string): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await chat(gateway, caller, `${tag} ${i}`)).status);
  return result;
}

async function readiness(gateway: TestGateway): Promise<string> {
  return ((await (await fetch(`${gateway.url}/health/ready`)).json()) as { status: string }).status;
}

describe('limits while Redis is down', () => {
  let redis: RedisServer;
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-limits-down-'));
    const env = {
      REDIS_URL: redis.url,
      CALLERS_FILE: writeLimitedCallersFile(dir, CALLERS),
      MOCK_LATENCY_MS: '300',
    };
    a = await startGateway(env);
    b = await startGateway(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('falls back to per-process limits: each gateway enforces the limit alone, warning once', async () => {
    expect(await statuses(a, 'steady', 1, 'shared')).toEqual([200]);
    await redis.kill();
    await eventually(async () => (await readiness(a)) === 'degraded' && (await readiness(b)) === 'degraded');
    const warningsOf = (gateway: TestGateway) => gateway.logs.filter((line) => line.level === 'warn');
    const before = [warningsOf(a).length, warningsOf(b).length];

    // Shared, the caller would have 2 left in all; alone, each process allows the full 3 and then refuses.
    expect(await statuses(a, 'steady', 4, 'down a')).toEqual([200, 200, 200, 429]);
    expect(await statuses(b, 'steady', 4, 'down b')).toEqual([200, 200, 200, 429]);
    const refused = await chat(a, 'steady', 'down again');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // One warning per process. (Nest's static logger of code outside a request is shared by the two apps
    // of this test process, so the two lines may land in either gateway's log.)
    const lost = [...warningsOf(a), ...warningsOf(b)].filter((line) =>
      String(line.msg).includes('Redis connection lost'),
    );
    expect(lost).toHaveLength(2);
    // Nothing is logged per limited request: no warning came with the nine requests.
    expect([warningsOf(a).length, warningsOf(b).length]).toEqual(before);
  });

  it('keeps budgets and concurrency per process while Redis is down', async () => {
    // A mock answer to "capped n" uses 6 + 7 = 13 tokens: 0 < 30, 13 < 30, 26 < 30, then 39 >= 30.
    expect(await statuses(a, 'capped', 4, 'capped')).toEqual([200, 200, 200, 429]);
    const refused = await chat(a, 'capped', 'capped 9');
    expect((await errorOf(refused)).error.code).toBe('BUDGET_EXCEEDED');
    // Another process has its own ledger for as long as Redis is away.
    const [first, second] = await Promise.all([chat(b, 'capped', 'b 1'), chat(b, 'capped', 'b 2')]);
    expect([first.status, second.status].sort()).toEqual([200, 429]);
  });

  it('shares the limits again once Redis is back', async () => {
    await redis.restart();
    await eventually(async () => (await readiness(a)) === 'ok' && (await readiness(b)) === 'ok');
    expect((await chat(a, 'later', 'x')).status).toBe(200);
    expect((await chat(b, 'later', 'y')).status).toBe(200);
    expect((await chat(a, 'later', 'z')).status).toBe(429);
  });

  it('writes the spend settled during the outage into Redis when it returns', async () => {
    // Redis never saw `capped` spend: 52 tokens were settled in memory by the two gateways.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await chat(b, 'capped', 'after the outage');
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error.code).toBe('BUDGET_EXCEEDED');
  });
});
