import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestGateway, errorOf, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';
import { eventually } from './helpers/eventually';

// GET /v1/usage over two gateways on one real Redis: what either recorded, per day, month and model.

interface Counts {
  requests: number;
  cache_hits: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
}
interface Period extends Counts {
  by_model: Record<string, Counts>;
}
interface UsageBody {
  caller: string;
  day: Period & { date: string };
  month: Period & { month: string };
}

const KEYS = { ops: 'ops-key-0000-0000', alpha: 'alpha-key-0000-0000', beta: 'beta-key-0000-0000' } as const;

function writeCallersFile(dir: string): string {
  const file = join(dir, 'callers.json');
  const callers = [
    { id: 'ops', key: KEYS.ops, role: 'admin' },
    { id: 'alpha', key: KEYS.alpha },
    { id: 'beta', key: KEYS.beta, cache: { enabled: false } },
  ];
  writeFileSync(file, JSON.stringify({ callers }));
  return file;
}

async function chat(
  gateway: TestGateway,
  who: keyof typeof KEYS,
  model: string,
  text: string,
): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS[who]}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: text }] }),
  });
}

function usage(gateway: TestGateway, who: keyof typeof KEYS, query = ''): Promise<Response> {
  return fetch(`${gateway.url}/v1/usage${query}`, { headers: { authorization: `Bearer ${KEYS[who]}` } });
}

describe('GET /v1/usage', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    // Every OpenAI answer: 10 prompt + 10 completion tokens, at gpt-4o-mini's $0.15 / $0.60 per million.
    stub.server.reply(() => stub.completion('counted'));
    dir = mkdtempSync(join(tmpdir(), 'breakwater-usage-'));
    const env = {
      REDIS_URL: redis.url,
      CALLERS_FILE: writeCallersFile(dir),
      OPENAI_API_KEY: 'sk-test-usage',
      OPENAI_BASE_URL: stub.baseUrl,
    };
    a = await startGateway(env);
    b = await startGateway(env);
    expect((await chat(a, 'alpha', 'openai/gpt-4o-mini', 'one')).status).toBe(200);
    expect((await chat(b, 'alpha', 'openai/gpt-4o-mini', 'two')).status).toBe(200);
    expect((await chat(a, 'alpha', 'mock/echo', 'three')).status).toBe(200);
    expect((await chat(b, 'beta', 'openai/gpt-4o-mini', 'beta only')).status).toBe(200);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await stub?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the caller's own usage today and this month, in total and per model, from both gateways", async () => {
    const response = await usage(b, 'alpha');
    expect(response.status).toBe(200);
    const body = (await response.json()) as UsageBody;
    const today = new Date().toISOString();
    expect(body.caller).toBe('alpha');
    expect(body.day.date).toBe(today.slice(0, 10));
    expect(body.month.month).toBe(today.slice(0, 7));
    const openai = { requests: 2, cache_hits: 0, tokens_in: 20, tokens_out: 20 };
    expect(body.day.by_model['openai/gpt-4o-mini']).toMatchObject(openai);
    expect(body.day.by_model['openai/gpt-4o-mini'].cost_usd).toBeCloseTo((20 * 0.15 + 20 * 0.6) / 1e6, 12);
    expect(body.day.by_model['mock/echo']).toMatchObject({ requests: 1, cost_usd: 0 });
    expect(body.day.by_model['mock/echo'].tokens_in).toBeGreaterThan(0);
    expect(body.day.requests).toBe(3);
    expect(body.day.tokens_in).toBe(20 + body.day.by_model['mock/echo'].tokens_in);
    expect(body.day.cost_usd).toBeCloseTo(0.000015, 12);
    // First day of the month or not, everything so far happened today: the month says the same.
    expect({ ...body.month, month: undefined }).toEqual({ ...body.day, date: undefined });
    expect(response.headers.get('x-ratelimit-limit')).toBe('500');
  });

  it('counts a cache hit as a request and a hit, at no cost', async () => {
    expect((await chat(a, 'alpha', 'openai/gpt-4o-mini', 'cached twice')).headers.get('x-cache')).toBe(
      'MISS',
    );
    const hit = await chat(b, 'alpha', 'openai/gpt-4o-mini', 'cached twice');
    expect(hit.headers.get('x-cache')).toBe('HIT');
    const body = (await (await usage(a, 'alpha')).json()) as UsageBody;
    expect(body.day.by_model['openai/gpt-4o-mini']).toMatchObject({ requests: 4, cache_hits: 1 });
    expect(body.day.by_model['openai/gpt-4o-mini'].cost_usd).toBeCloseTo((30 * 0.15 + 30 * 0.6) / 1e6, 12);
  });

  it("refuses a caller another caller's usage with 403, and shows it only its own", async () => {
    const forbidden = await usage(a, 'beta', '?caller=alpha');
    expect(forbidden.status).toBe(403);
    expect((await errorOf(forbidden)).error.code).toBe('FORBIDDEN');
    const own = await usage(a, 'beta', '?caller=beta');
    expect(own.status).toBe(200);
    const body = (await own.json()) as UsageBody;
    expect(body.caller).toBe('beta');
    expect(body.day.requests).toBe(1);
    expect(Object.keys(body.day.by_model)).toEqual(['openai/gpt-4o-mini']);
  });

  it("lets an admin read any caller's usage, and answers 404 for an unknown caller", async () => {
    const response = await usage(b, 'ops', '?caller=alpha');
    expect(response.status).toBe(200);
    expect(((await response.json()) as UsageBody).day.requests).toBe(5);
    const own = (await (await usage(b, 'ops')).json()) as UsageBody;
    expect(own).toMatchObject({ caller: 'ops', day: { requests: 0, by_model: {} } });
    const unknown = await usage(b, 'ops', '?caller=nobody');
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).error.code).toBe('NOT_FOUND');
  });

  it('needs a key like every /v1 call', async () => {
    expect((await fetch(`${a.url}/v1/usage`)).status).toBe(401);
  });
});

describe('GET /v1/usage while Redis is down', () => {
  let redis: RedisServer;
  let dir: string;
  let gateway: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-usage-down-'));
    gateway = await startGateway({ REDIS_URL: redis.url, CALLERS_FILE: writeCallersFile(dir) });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const requestsOf = async (): Promise<number> =>
    ((await (await usage(gateway, 'beta')).json()) as UsageBody).day.requests;

  const readiness = async (): Promise<string> =>
    ((await (await fetch(`${gateway.url}/health/ready`)).json()) as { status: string }).status;
  it('counts in the process meanwhile and writes it to Redis once, when Redis returns', async () => {
    expect((await chat(gateway, 'beta', 'mock/echo', 'before')).status).toBe(200);
    await redis.kill();
    await eventually(async () => (await readiness()) === 'degraded');
    const before = await requestsOf();
    expect((await chat(gateway, 'beta', 'mock/echo', 'during 1')).status).toBe(200);
    expect((await chat(gateway, 'beta', 'mock/echo', 'during 2')).status).toBe(200);
    expect(await requestsOf()).toBe(before + 2);

    await redis.restart();
    await eventually(async () => (await readiness()) === 'ok');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // What the process counted alone is in Redis now (what any gateway reports), and not counted twice.
    const after = await requestsOf();
    expect(redisRequests(redis, 'beta')).toBe(after);
    expect(after).toBeGreaterThanOrEqual(2);
  });
});

/** The day's request count as Redis holds it (what another gateway would report). */
function redisRequests(redis: RedisServer, caller: string): number {
  const key = `bw:usage:d:${new Date().toISOString().slice(0, 10)}:${caller}`;
  return Number(
    execFileSync('redis-cli', ['-p', String(redis.port), 'hget', key, 'requests'], {
      encoding: 'utf8',
    }).trim(),
  );
}
