import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LimitedCaller, callerKey, writeLimitedCallersFile } from './helpers/callers';
import { TestGateway, errorOf, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// Request windows, end users, concurrency and outbound quotas, held by two gateways on one real Redis
// in front of a real OpenAI-wire stub (whose request log says what reached the provider).

const keyOf = (id: string) => ({ authorization: `Bearer ${callerKey(id)}` });
const chatBody = (text: string) => ({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: text }],
});

async function chat(
  gateway: TestGateway,
  caller: string,
  text: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...keyOf(caller), ...headers },
    body: JSON.stringify(chatBody(text)),
    signal,
  });
}

async function rejections(gateway: TestGateway, scope: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const match = new RegExp(`^rate_limit_rejections_total\\{scope="${scope}"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

const CALLERS: LimitedCaller[] = [
  { id: 'five', limits: { per_minute: 5 } },
  { id: 'timed', limits: { per_minute: 2 } },
  { id: 'judge', limits: { per_minute: 100 }, end_user_limits: { per_minute: 2 } },
  { id: 'pair', limits: { concurrency: 2 } },
  { id: 'tenanted', end_user_limits: { concurrency: 1 } },
  { id: 'loud' },
  { id: 'quiet' },
  { id: 'runaway', limits: { per_minute: 1 } },
  { id: 'outbound' },
];

describe('limits shared by two gateways on one Redis', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-limits-'));
    const env = {
      ...redis.env,
      CALLERS_FILE: writeLimitedCallersFile(dir, CALLERS),
      OPENAI_API_KEY: 'sk-test-limits',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    };
    a = await startGateway(env);
    b = await startGateway(env);
  });
  // A gateway's shutdown lets a running job finish for up to REQUEST_TIMEOUT_SECONDS (20 s) in its worker
  // and as long again in its local queue, and both gateways drain the queue the outbound-quota tests feed:
  // when a delayed job falls due during teardown, two such shutdowns outlast a 60 s hook (seen twice).
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await stub?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
  beforeEach(() => stub.server.reply(() => stub.completion('fine')));

  it('refuses the sixth request of a 5-per-minute caller across both gateways, headers counting down', async () => {
    const before = stub.server.requests.length;
    const answers: Response[] = [];
    for (let i = 0; i < 6; i++) answers.push(await chat(i % 2 === 0 ? a : b, 'five', `question ${i}`));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
      '0',
    ]);
    expect(answers.every((r) => r.headers.get('x-ratelimit-limit') === '5')).toBe(true);
    const refused = answers[5];
    expect(await errorOf(refused)).toMatchObject({
      error: { code: 'RATE_LIMITED', type: 'rate_limit_error' },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The refused request never reached the provider.
    expect(stub.server.requests.length - before).toBe(5);
    expect((await rejections(a, 'caller')) + (await rejections(b, 'caller'))).toBe(1);
  });

  it('says in Retry-After and x-ratelimit-reset when the window frees, to the second', async () => {
    const started = Date.now();
    expect((await chat(a, 'timed', 'first')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await chat(b, 'timed', 'second')).status).toBe(200);
    const refused = await chat(a, 'timed', 'third');
    expect(refused.status).toBe(429);
    const expected = 60 - (Date.now() - started) / 1000;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Math.abs(retryAfter - expected)).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(refused.headers.get('x-ratelimit-reset')) - expected)).toBeLessThanOrEqual(1);
    expect((await errorOf(refused)).retry_after).toBe(retryAfter);
  });

  it('keeps end users apart, each within the caller end_user_limits', async () => {
    const alice = { 'x-end-user': 'alice@tenant-1' };
    expect((await chat(a, 'judge', 'a1', alice)).status).toBe(200);
    expect((await chat(b, 'judge', 'a2', alice)).status).toBe(200);
    const refused = await chat(a, 'judge', 'a3', alice);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
    expect((await errorOf(refused)).error.message).toContain('end user "alice@tenant-1"');
    const bob = await chat(b, 'judge', 'b1', { 'x-end-user': 'bob@tenant-2' });
    expect(bob.status).toBe(200);
    expect(bob.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await chat(a, 'judge', 'no end user')).status).toBe(200);
    expect(await rejections(a, 'end_user')).toBe(1);
  });

  it('refuses an unusable x-end-user with 400 naming the header', async () => {
    const response = await chat(a, 'judge', 'x', { 'x-end-user': 'u'.repeat(129) });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).error).toMatchObject({ code: 'INVALID_REQUEST', param: 'x-end-user' });
  });

  it('refuses the third concurrent request at once, across gateways, and frees slots after errors', async () => {
    stub.server.reply(() => ({ ...stub.completion('slow'), delayMs: 1000 }));
    const first = chat(a, 'pair', 'slow 1');
    const second = chat(b, 'pair', 'slow 2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = Date.now();
    const third = await chat(a, 'pair', 'slow 3');
    expect(third.status).toBe(429);
    expect(Date.now() - sent).toBeLessThan(500);
    expect(third.headers.get('retry-after')).toBe('1');
    expect((await errorOf(third)).error.message).toContain('concurrency');
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(await rejections(a, 'concurrency')).toBe(1);

    stub.server.reply(stub.errors.reply(400, 'bad request'));
    expect((await Promise.all([chat(a, 'pair', 'e1'), chat(b, 'pair', 'e2')])).map((r) => r.status)).toEqual([
      502, 502,
    ]);
    stub.server.reply(() => stub.completion('again'));
    expect(
      (await Promise.all([chat(a, 'pair', 'ok1'), chat(b, 'pair', 'ok2')])).map((r) => r.status),
    ).toEqual([200, 200]);
  });

  it('frees the slots of requests whose client went away', async () => {
    stub.server.reply(() => ({ ...stub.completion('slow'), delayMs: 3000 }));
    const controllers = [new AbortController(), new AbortController()];
    const gone = controllers.map((controller, i) =>
      chat(i === 0 ? a : b, 'pair', `gone ${i}`, {}, controller.signal).catch(() => undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await chat(a, 'pair', 'while busy')).status).toBe(429);
    for (const controller of controllers) controller.abort();
    await Promise.all(gone);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A cancelled call is no bug: no "unhandled error" (with a stack), one plain line each.
    const lines = [...a.logs, ...b.logs];
    expect(lines.filter((line) => line.msg === 'unhandled error')).toEqual([]);
    expect(
      lines.filter((line) => line.msg === 'the client closed the connection before its answer'),
    ).toHaveLength(2);
    stub.server.reply(() => stub.completion('quick'));
    expect(
      (await Promise.all([chat(a, 'pair', 'after 1'), chat(b, 'pair', 'after 2')])).map((r) => r.status),
    ).toEqual([200, 200]);
  });

  it('limits concurrency per end user when end_user_limits.concurrency is set', async () => {
    stub.server.reply(() => ({ ...stub.completion('slow'), delayMs: 800 }));
    const first = chat(a, 'tenanted', 'u1 first', { 'x-end-user': 'u1' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [same, other] = await Promise.all([
      chat(b, 'tenanted', 'u1 second', { 'x-end-user': 'u1' }),
      chat(b, 'tenanted', 'u2 first', { 'x-end-user': 'u2' }),
    ]);
    expect(same.status).toBe(429);
    expect(other.status).toBe(200);
    expect((await first).status).toBe(200);
  });

  it('puts the rate-limit headers on every answer, errors included', async () => {
    const ok = await chat(a, 'loud', 'hello');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('500');
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('499');
    expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThan(55);
    stub.server.reply(stub.errors.reply(400, 'bad request'));
    const failed = await chat(b, 'loud', 'fails upstream');
    expect(failed.status).toBe(502);
    expect(failed.headers.get('x-ratelimit-remaining')).toBe('498');
    const unknownJob = `/v1/status/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
    for (const path of ['/v1/providers', '/v1/usage', unknownJob]) {
      const read = await fetch(`${b.url}${path}`, { headers: keyOf('loud') });
      expect([path, read.headers.get('x-ratelimit-limit')]).toEqual([path, '500']);
      // Reading counts nothing against the window.
      expect([path, read.headers.get('x-ratelimit-remaining')]).toEqual([path, '498']);
    }
  });

  describe('with a global limit', () => {
    let c: TestGateway;

    beforeAll(async () => {
      c = await startGateway({
        ...redis.env,
        CALLERS_FILE: join(dir, 'callers.json'),
        OPENAI_API_KEY: 'sk-test-limits',
        OPENAI_BASE_URL: stub.baseUrl,
        GLOBAL_RATE_LIMIT_PER_MINUTE: '3',
      });
    });
    afterAll(() => c?.close());

    it('refuses past the global limit, and a caller refused by its own limit does not use it up', async () => {
      expect((await chat(c, 'runaway', 'r0')).status).toBe(200);
      for (let i = 1; i <= 5; i++) expect((await chat(c, 'runaway', `r${i}`)).status).toBe(429);
      expect((await chat(c, 'loud', 'g1')).status).toBe(200);
      const last = await chat(c, 'quiet', 'g2');
      expect(last.status).toBe(200);
      expect(last.headers.get('x-ratelimit-limit')).toBe('3');
      expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
      const refused = await chat(c, 'quiet', 'g3');
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).error.message).toContain('all callers together');
      expect(await rejections(c, 'global')).toBe(1);
      expect(await rejections(c, 'caller')).toBe(5);
    });
  });

  describe('with an outbound quota toward the provider', () => {
    let d: TestGateway;

    beforeAll(async () => {
      d = await startGateway({
        ...redis.env,
        CALLERS_FILE: join(dir, 'callers.json'),
        OPENAI_API_KEY: 'sk-test-limits',
        OPENAI_BASE_URL: stub.baseUrl,
        OPENAI_RPM: '2',
      });
    });
    afterAll(() => d?.close());

    it('never sends a request past OPENAI_RPM: 503 PROVIDER_UNAVAILABLE with Retry-After in immediate mode', async () => {
      const before = stub.server.requests.length;
      const immediate = { 'x-processing-mode': 'immediate' };
      expect((await chat(d, 'outbound', 'o1', immediate)).status).toBe(200);
      expect((await chat(d, 'outbound', 'o2', immediate)).status).toBe(200);
      const refused = await chat(d, 'outbound', 'o3', immediate);
      expect(refused.status).toBe(503);
      expect((await errorOf(refused)).error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(stub.server.requests.length - before).toBe(2);
      expect(await rejections(d, 'provider')).toBe(1);
    });

    it('queues (202) a request the quota refuses in the default mode, without sending it', async () => {
      const before = stub.server.requests.length;
      const queued = await chat(d, 'outbound', 'o4');
      expect(queued.status).toBe(202);
      expect(queued.headers.get('x-ratelimit-limit')).toBe('500');
      expect(stub.server.requests.length).toBe(before);
    });
  });
});
