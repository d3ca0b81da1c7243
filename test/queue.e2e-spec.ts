import { createHmac } from 'node:crypto';
import { IncomingHttpHeaders, createServer } from 'node:http';
import { Cluster, Redis } from 'ioredis';
import { UNREACHABLE_REDIS } from '@breakwater/testing';
import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/free-port';

interface Accepted {
  queue_id: string;
  status: string;
  status_url: string;
  result_url: string;
  expires_at: string;
  durable: boolean;
  reason: string;
}

interface StatusBody {
  queue_id: string;
  status: string;
  attempts: number;
  position?: number;
  error?: { code: string; message: string };
}

const ASSESSOR = { authorization: 'Bearer assessor-key-0001' };
const OTHER = { authorization: 'Bearer other-key-0000-0001' };
const ADMIN = { authorization: 'Bearer ops-key-0000-0001' };
const ask = (content: string) => ({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });
const echo = (stub: OpenAiStub) => (request: Parameters<Parameters<OpenAiStub['server']['reply']>[0]>[0]) =>
  stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`);

describe('the queue with a real Redis and BullMQ', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let gateway: TestGateway;
  /** Where the webhook receiver listens: only a host:port the allow-list names may take webhooks off 80/443. */
  let hookPort: number;

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    hookPort = await freePort();
    gateway = await startGateway({
      ...redis.env,
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '50',
      BREAKER_VOLUME_THRESHOLD: '3',
      BREAKER_RESET_TIMEOUT_SECONDS: '1',
      QUEUE_MAX_RETRIES: '5',
      WORKER_CONCURRENCY: '20',
      WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${hookPort},*.0.0.1`,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await stub.stop();
    await redis.stop();
  });
  beforeEach(() => stub.server.reply(echo(stub)));

  const chat = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, { ...ASSESSOR, ...headers });
  const get = (path: string, headers: Record<string, string> = ASSESSOR) =>
    fetch(`${gateway.url}${path}`, { headers });
  const status = async (id: string) => (await (await get(`/v1/status/${id}`)).json()) as StatusBody;
  /** Polls each queued request until its result is 200, and returns the completions in order. */
  const completedResults = (ids: string[]) =>
    Promise.all(
      ids.map((id) =>
        eventually(async () => {
          const response = await get(`/v1/results/${id}`);
          return response.status === 200 ? completionOf(response) : undefined;
        }, 30_000),
      ),
    );

  it('queues every request of an outage with 202 and answers each with its own result after recovery', async () => {
    stub.server.reply(stub.errors.serverError());
    const prompts = Array.from({ length: 100 }, (_, i) => `comparison number ${i}`);
    const responses = await Promise.all(prompts.map((prompt) => chat(ask(prompt))));
    expect(responses.map((r) => r.status)).toEqual(prompts.map(() => 202));
    const accepted = await Promise.all(
      responses.map(async (r) => ({ headers: r.headers, body: (await r.json()) as Accepted })),
    );
    const ids = accepted.map((a) => a.body.queue_id);
    expect(new Set(ids).size).toBe(100);
    const first = accepted[0];
    expect(first.body).toMatchObject({
      status: 'queued',
      durable: true,
      status_url: `/v1/status/${first.body.queue_id}`,
    });
    expect(first.body.result_url).toBe(`/v1/results/${first.body.queue_id}`);
    expect(first.headers.get('location')).toBe(first.body.status_url);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Date.parse(first.body.expires_at)).toBeGreaterThan(Date.now());

    stub.server.reply(echo(stub));
    const results = await completedResults(ids);
    results.forEach((result, i) =>
      expect(result.choices[0].message.content).toBe(`answer to: ${prompts[i]}`),
    );
    const answeredPrompts = stub.server.requests
      .filter((request) => request.body && (request as { body: { messages?: unknown } }).body.messages)
      .map((request) => stub.wire.userTexts(request).at(-1));
    for (const prompt of prompts) expect(answeredPrompts).toContain(prompt);
    expect((await status(ids[0])).status).toBe('completed');
  }, 60_000);

  it('makes one provider call for identical requests queued in one outage, and answers each of them', async () => {
    stub.server.reply(stub.errors.serverError());
    const prompt = 'the same comparison, asked ten times';
    const responses = await Promise.all(Array.from({ length: 10 }, () => chat(ask(prompt))));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 202));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as Accepted).queue_id));
    stub.server.reply(echo(stub));
    const recovered = stub.server.requests.length;
    const results = await completedResults(ids);
    for (const result of results) expect(result.choices[0].message.content).toBe(`answer to: ${prompt}`);
    const answered = stub.server.requests
      .slice(recovered)
      .filter((r) => stub.wire.userTexts(r).at(-1) === prompt);
    expect(answered).toHaveLength(1);
  }, 60_000);

  it('answers 503 with Retry-After in immediate mode and always queues in async mode', async () => {
    stub.server.reply(stub.errors.serverError());
    const immediate = await chat(ask('now or never'), { 'x-processing-mode': 'immediate' });
    expect(immediate.status).toBe(503);
    expect(immediate.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await errorOf(immediate)).error.code).toBe('PROVIDER_UNAVAILABLE');

    stub.server.reply(echo(stub));
    const before = stub.server.requests.length;
    const queued = await chat(ask('later please'), { 'x-processing-mode': 'async' });
    expect(queued.status).toBe(202);
    const { queue_id } = (await queued.json()) as Accepted;
    const result = await eventually(async () => {
      const response = await get(`/v1/results/${queue_id}`);
      return response.status === 200 ? completionOf(response) : undefined;
    });
    expect(result.choices[0].message.content).toBe('answer to: later please');
    expect(stub.server.requests.length).toBe(before + 1);
  });

  it('shows a job only to its caller and an admin; malformed ids are 400, unknown ones 404', async () => {
    const queued = await chat(ask('mine'), { 'x-processing-mode': 'async' });
    const { queue_id } = (await queued.json()) as Accepted;
    expect((await get(`/v1/status/${queue_id}`)).status).toBe(200);
    expect((await get(`/v1/status/${queue_id}`, ADMIN)).status).toBe(200);
    const foreign = await get(`/v1/status/${queue_id}`, OTHER);
    expect(foreign.status).toBe(404);
    expect((await get(`/v1/results/${queue_id}`, OTHER)).status).toBe(404);
    const malformed = await get('/v1/status/not-a-uuid');
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).error.param).toBe('queue_id');
    expect((await get('/v1/results/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('returns the same answer or the same queue_id for a repeated idempotency-key, with one provider call', async () => {
    const before = stub.server.requests.length;
    const headers = { 'idempotency-key': `sync-${Date.now()}`, 'x-processing-mode': 'immediate' };
    const first = await completionOf(await chat(ask('once only'), headers));
    const again = await chat(ask('once only'), headers);
    expect(again.status).toBe(200);
    expect((await completionOf(again)).id).toBe(first.id);
    expect(stub.server.requests.length).toBe(before + 1);

    const asyncHeaders = { 'idempotency-key': `async-${Date.now()}`, 'x-processing-mode': 'async' };
    const queued = (await (await chat(ask('queue once'), asyncHeaders)).json()) as Accepted;
    const repeat = await chat(ask('queue once'), asyncHeaders);
    expect(repeat.status).toBe(202);
    expect(((await repeat.json()) as Accepted).queue_id).toBe(queued.queue_id);

    const otherCaller = await postJson(`${gateway.url}/v1/chat/completions`, ask('queue once'), {
      ...OTHER,
      ...asyncHeaders,
    });
    expect(((await otherCaller.json()) as Accepted).queue_id).not.toBe(queued.queue_id);
  });

  it('posts a signed webhook when a queued request ends', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(received.length === 1 ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(hookPort, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${hookPort}/hook`;
    try {
      const queued = await chat(ask('call me back'), { 'x-processing-mode': 'async', 'x-callback-url': url });
      expect(queued.status).toBe(202);
      const { queue_id } = (await queued.json()) as Accepted;
      const delivered = await eventually(() => (received.length >= 2 ? received[1] : undefined), 20_000);
      const expected = createHmac('sha256', 'assessor-webhook-secret-0001')
        .update(delivered.body)
        .digest('hex');
      expect(delivered.headers['x-breakwater-signature']).toBe(`sha256=${expected}`);
      const body = JSON.parse(delivered.body) as {
        queue_id: string;
        status: string;
        result: { choices: { message: { content: string } }[] };
      };
      expect(body).toMatchObject({ queue_id, status: 'completed' });
      expect(body.result.choices[0].message.content).toBe('answer to: call me back');
    } finally {
      receiver.close();
    }
  });

  it('refuses callback URLs off the allow-list, with credentials, or resolving inward under a wildcard', async () => {
    const refuse = async (url: string, headers: Record<string, string> = ASSESSOR) => {
      const response = await postJson(`${gateway.url}/v1/chat/completions`, ask('x'), {
        ...headers,
        'x-processing-mode': 'async',
        'x-callback-url': url,
      });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).error.param).toBe('x-callback-url');
    };
    await refuse('http://evil.example.com/hook');
    await refuse('ftp://127.0.0.1/hook');
    await refuse('http://user:pass@127.0.0.1/hook');
    await refuse('not a url');
    // `*.0.0.1` admits 10.0.0.1 by name only: a private address, and not listed exactly.
    await refuse('http://10.0.0.1/hook');
    // A caller without a webhook_secret cannot ask for webhooks.
    await refuse('http://127.0.0.1/hook', OTHER);
  });
});

/**
 * The LLM queue's prioritized set, wherever it is: `bull:bw-llm:prioritized` on a single server, and under
 * whatever hash tag keeps the queue on one slot in a cluster, on the master owning that slot.
 */
async function prioritizedSetOf(client: Redis | Cluster): Promise<string> {
  // A cluster client learns its masters with its first answer.
  await client.ping();
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const found = (await Promise.all(nodes.map((node) => node.keys('*bw-llm*:prioritized')))).flat();
  if (found.length !== 1)
    throw new Error(`expected one prioritized set of bw-llm, found ${found.join(', ')}`);
  return found[0];
}

describe('capacity, expiry and embedded mode', () => {
  it('refuses new queued work with 503 QUEUE_FULL at the high watermark until the depth falls under the low one', async () => {
    const redis = await startRedis();
    const gateway = await startGateway({
      ...redis.env,
      RUN_WORKERS: 'false',
      QUEUE_MAX_SIZE: '4',
      QUEUE_HIGH_WATERMARK: '0.75',
      QUEUE_LOW_WATERMARK: '0.5',
    });
    try {
      const enqueue = () =>
        postJson(
          `${gateway.url}/v1/chat/completions`,
          { model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] },
          {
            authorization: 'Bearer dev-key',
            'x-processing-mode': 'async',
          },
        );
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await enqueue()).status);
      expect(statuses).toEqual([202, 202, 202, 503]);
      const full = await enqueue();
      expect((await errorOf(full)).error.code).toBe('QUEUE_FULL');
      expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
      // max 4: high watermark 3, low 2. At depth 2 it still refuses (not under 2); at depth 1 it accepts.
      const client = redis.client();
      // Every job has a priority (normal by default), so BullMQ keeps them in its prioritized set.
      const prioritized = await prioritizedSetOf(client);
      const waiting = await client.zrange(prioritized, 0, -1);
      await client.del(`${prioritized.slice(0, -'prioritized'.length)}${waiting[0]}`);
      await client.zrem(prioritized, waiting[0]);
      expect((await enqueue()).status).toBe(503);
      await client.zrem(prioritized, waiting[1]);
      expect((await enqueue()).status).toBe(202);
      client.disconnect();
    } finally {
      await gateway.close();
      await redis.stop();
    }
  });

  it('reports a job past QUEUE_REQUEST_TTL_SECONDS as expired, and its result as 410', async () => {
    const redis = await startRedis();
    const gateway = await startGateway({
      ...redis.env,
      RUN_WORKERS: 'false',
      QUEUE_REQUEST_TTL_SECONDS: '1',
    });
    try {
      const queued = await postJson(
        `${gateway.url}/v1/chat/completions`,
        { model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] },
        {
          authorization: 'Bearer dev-key',
          'x-processing-mode': 'async',
        },
      );
      const { queue_id } = (await queued.json()) as Accepted;
      const early = (await (
        await fetch(`${gateway.url}/v1/status/${queue_id}`, { headers: { authorization: 'Bearer dev-key' } })
      ).json()) as StatusBody;
      expect(early).toMatchObject({ status: 'queued', position: 0 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const late = (await (
        await fetch(`${gateway.url}/v1/status/${queue_id}`, { headers: { authorization: 'Bearer dev-key' } })
      ).json()) as StatusBody;
      expect(late.status).toBe('expired');
      const result = await fetch(`${gateway.url}/v1/results/${queue_id}`, {
        headers: { authorization: 'Bearer dev-key' },
      });
      expect(result.status).toBe(410);
      expect((await errorOf(result)).error.code).toBe('EXPIRED');
    } finally {
      await gateway.close();
      await redis.stop();
    }
  });

  it('queues in process memory while Redis is unreachable (durable: false) and serves status and results', async () => {
    const gateway = await startGateway({ REDIS_URL: UNREACHABLE_REDIS, MOCK_LATENCY_MS: '200' });
    try {
      const queued = await postJson(
        `${gateway.url}/v1/chat/completions`,
        { model: 'mock/echo', messages: [{ role: 'user', content: 'local please' }] },
        {
          authorization: 'Bearer dev-key',
          'x-processing-mode': 'async',
        },
      );
      expect(queued.status).toBe(202);
      const accepted = (await queued.json()) as Accepted;
      expect(accepted.durable).toBe(false);
      const pending = await fetch(`${gateway.url}/v1/results/${accepted.queue_id}`, {
        headers: { authorization: 'Bearer dev-key' },
      });
      expect([202]).toContain(pending.status);
      const result = await eventually(async () => {
        const response = await fetch(`${gateway.url}/v1/results/${accepted.queue_id}`, {
          headers: { authorization: 'Bearer dev-key' },
        });
        return response.status === 200 ? completionOf(response) : undefined;
      });
      expect(result.choices[0].message.content).toContain('local please');
    } finally {
      await gateway.close();
    }
  });

  it('is unready (503) only while Redis is unreachable and the local queue is full, and ready again once it drains', async () => {
    const gateway = await startGateway({
      REDIS_URL: UNREACHABLE_REDIS,
      MOCK_LATENCY_MS: '1500',
      QUEUE_MAX_SIZE: '2',
      QUEUE_HIGH_WATERMARK: '0.5',
      QUEUE_LOW_WATERMARK: '0.25',
    });
    const ready = async () => {
      const response = await fetch(`${gateway.url}/health/ready`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      expect(await ready()).toMatchObject({ status: 200, body: { status: 'degraded' } });
      const queued = await postJson(
        `${gateway.url}/v1/chat/completions`,
        { model: 'mock/echo', messages: [{ role: 'user', content: 'fills the local queue' }] },
        { authorization: 'Bearer dev-key', 'x-processing-mode': 'async' },
      );
      expect(queued.status).toBe(202);
      const full = await ready();
      expect(full.status).toBe(503);
      expect(full.body).toMatchObject({ status: 'error', error: { queue: { status: 'down' } } });
      await eventually(async () => ((await ready()).status === 200 ? true : undefined));
      expect(await ready()).toMatchObject({ status: 200, body: { status: 'degraded' } });
    } finally {
      await gateway.close();
    }
  });
});
