import { randomUUID } from 'node:crypto';
import { BreakwaterClient } from '@breakwater/client';
import { JobStatusBody } from '@breakwater/contracts';
import { writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { freePort } from './helpers/free-port';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { RunningProcess, startProcess, waitForHttp } from './helpers/process';
import { RedisServer, startRedis } from './helpers/redis-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

/**
 * Issue 17 over two gateway replicas (in this process) and a worker process (the built app), on one real
 * Redis, with an OpenAI-wire stub as the provider: global concurrency and the global USD budget across
 * replicas and callers, the drain order of priorities, status events of a job another process drains, and
 * a caller's own cache namespace.
 */

const KEYS = {
  alpha: 'alpha-key-0000-0000-0001',
  beta: 'beta-key-0000-0000-0001',
  bulk: 'bulk-key-0000-0000-0001',
  admin: 'admin-key-0000-0000-0001',
} as const;
type Who = keyof typeof KEYS;

const CALLERS = [
  { id: 'alpha', key: KEYS.alpha },
  { id: 'beta', key: KEYS.beta },
  // Bulk work: low unless it says otherwise, and never above normal.
  { id: 'bulk', key: KEYS.bulk, priority: 'low', max_priority: 'normal' },
  { id: 'admin', key: KEYS.admin, role: 'admin' },
];

const auth = (who: Who) => ({ authorization: `Bearer ${KEYS[who]}` });
const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user' as const, content }],
  max_tokens: 16,
  ...extra,
});

async function metric(url: string, line: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const escaped = line.replace(/[{}"]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('global guardrails, priority, status events and own cache namespace (2 gateways + 1 worker)', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  const gateways: TestGateway[] = [];
  const workers: RunningProcess[] = [];

  const env = (extra: Record<string, string>) => ({
    REDIS_URL: redis.url,
    CALLERS_FILE: writeCallersFile(CALLERS),
    OPENAI_API_KEY: 'sk-test-guardrails',
    OPENAI_BASE_URL: stub.baseUrl,
    RETRY_MAX_ATTEMPTS: '1',
    RETRY_BASE_DELAY_MS: '100',
    LOG_LEVEL: 'warn',
    ...extra,
  });

  /** Two API-only replicas: only the worker process drains the queue. */
  async function replicas(extra: Record<string, string> = {}): Promise<[TestGateway, TestGateway]> {
    const a = await startGateway(env({ RUN_WORKERS: 'false', ...extra }));
    const b = await startGateway(env({ RUN_WORKERS: 'false', ...extra }));
    gateways.push(a, b);
    return [a, b];
  }

  async function worker(extra: Record<string, string> = {}): Promise<RunningProcess> {
    const port = await freePort();
    const process = startProcess('worker', env({ WORKER_PORT: String(port), ...extra }));
    workers.push(process);
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, 30_000);
    return process;
  }

  beforeEach(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    stub.server.reply((request) => stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`));
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((process) => process.stop('SIGKILL')));
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
    await stub.stop();
    await redis.stop();
  });

  it('holds GLOBAL_CONCURRENCY across replicas and the worker: N in flight at most, the rest 202', async () => {
    let inFlight = 0;
    let most = 0;
    stub.server.reply(async (request) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      inFlight--;
      return stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`);
    });
    const [a, b] = await replicas({ GLOBAL_CONCURRENCY: '3' });
    await worker({ GLOBAL_CONCURRENCY: '3', WORKER_CONCURRENCY: '10' });

    const prompts = Array.from({ length: 10 }, (_, i) => `burst ${i} ${randomUUID()}`);
    const answers = await Promise.all(
      prompts.map((prompt, i) =>
        postJson(`${(i % 2 ? a : b).url}/v1/chat/completions`, ask(prompt), auth(i % 3 ? 'alpha' : 'beta')),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    const bodies = await Promise.all(
      answers.map((answer) => answer.json() as Promise<Record<string, unknown>>),
    );
    const answered = statuses.filter((status) => status === 200).length;
    const queued = bodies.filter((_, i) => statuses[i] === 202);
    process.stdout.write(
      `global concurrency 3: ${answered} answered at once, ${queued.length} queued, most in flight at the provider ${most}\n`,
    );
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(answered).toBeLessThanOrEqual(3);
    expect(answered + queued.length).toBe(prompts.length);
    for (const body of queued) expect(String(body.reason)).toContain('scope global');

    // The worker drains the rest under the same limit.
    const done = await Promise.all(
      queued.map((body) =>
        eventually(async () => {
          const response = await fetch(`${a.url}/v1/status/${String(body.queue_id)}`, {
            headers: auth('admin'),
          });
          const status = (await response.json()) as JobStatusBody;
          return status.status === 'completed' ? status : undefined;
        }, 60_000),
      ),
    );
    expect(done).toHaveLength(queued.length);
    expect(most).toBeLessThanOrEqual(3);
    expect(stub.server.requests).toHaveLength(prompts.length);

    // immediate mode is refused instead: 429 with scope global, counted under that scope.
    stub.server.reply(async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`);
    });
    const held = Array.from({ length: 3 }, (_, i) =>
      postJson(`${a.url}/v1/chat/completions`, ask(`holder ${i} ${randomUUID()}`), auth('alpha')),
    );
    await eventually(() => stub.server.requests.length >= prompts.length + 3);
    const refused = await postJson(`${b.url}/v1/chat/completions`, ask(`refused ${randomUUID()}`), {
      ...auth('beta'),
      'x-processing-mode': 'immediate',
    });
    expect(refused.status).toBe(429);
    const error = await errorOf(refused);
    expect(error.error.code).toBe('RATE_LIMITED');
    expect(error.error.message).toContain('scope global');
    expect(await metric(b.url, 'rate_limit_rejections_total{scope="global"}')).toBe(1);
    expect((await Promise.all(held)).map((answer) => answer.status)).toEqual([200, 200, 200]);
  }, 120_000);

  it('refuses every caller on every replica once GLOBAL_COST_USD_PER_DAY is spent', async () => {
    // Each answer is 10 + 10 tokens of gpt-4o-mini: $0.0000075. Two fit under $0.00001, a third does not.
    const [a, b] = await replicas({ GLOBAL_COST_USD_PER_DAY: '0.00001' });
    const first = await postJson(`${a.url}/v1/chat/completions`, ask(`spend ${randomUUID()}`), auth('alpha'));
    const second = await postJson(`${b.url}/v1/chat/completions`, ask(`spend ${randomUUID()}`), auth('beta'));
    expect([first.status, second.status]).toEqual([200, 200]);

    const refusals = await Promise.all([
      postJson(`${a.url}/v1/chat/completions`, ask(`over ${randomUUID()}`), auth('bulk')),
      postJson(`${b.url}/v1/chat/completions`, ask(`over ${randomUUID()}`), auth('alpha')),
    ]);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(429);
      const body = await errorOf(refusal);
      expect(body.error.code).toBe('BUDGET_EXCEEDED');
      expect(body.error.message).toContain('scope global');
      expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(stub.server.requests).toHaveLength(2);
    expect(await metric(a.url, 'rate_limit_rejections_total{scope="global"}')).toBe(1);
    expect(await metric(b.url, 'budget_limit_usd{scope="global"}')).toBe(0.00001);
    const spent = await eventually(async () => {
      const value = await metric(b.url, 'budget_spent_usd{scope="global"}');
      return value !== undefined && value > 0 ? value : undefined;
    }, 15_000);
    expect(spent).toBeCloseTo(0.000015, 9);
  }, 60_000);

  it('drains a backlog queued while the provider was down in priority order, FIFO within one', async () => {
    stub.server.reply(stub.errors.serverError());
    const [a, b] = await replicas({ BREAKER_VOLUME_THRESHOLD: '100' });
    const bad = await postJson(`${a.url}/v1/chat/completions`, ask('x'), {
      ...auth('alpha'),
      'x-priority': 'urgent',
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).error.param).toBe('x-priority');

    // Enqueued low first, high last; bulk's own default is low and its ceiling normal.
    const backlog: [string, Who, string | undefined][] = [
      ['low-1', 'alpha', 'low'],
      ['low-2', 'bulk', undefined],
      ['normal-1', 'alpha', undefined],
      ['normal-2', 'bulk', 'high'],
      ['high-1', 'beta', 'high'],
      ['high-2', 'alpha', 'high'],
    ];
    const ids: string[] = [];
    for (const [index, [name, who, priority]] of backlog.entries()) {
      const gateway = index % 2 ? b : a;
      const answer = await postJson(`${gateway.url}/v1/chat/completions`, ask(name), {
        ...auth(who),
        ...(priority ? { 'x-priority': priority } : {}),
      });
      expect(answer.status).toBe(202);
      ids.push(String(((await answer.json()) as { queue_id: string }).queue_id));
    }
    const positions = await Promise.all(
      ids.map(async (id) => {
        const status = (await (
          await fetch(`${b.url}/v1/status/${id}`, { headers: auth('admin') })
        ).json()) as JobStatusBody;
        return status.position;
      }),
    );
    expect(positions).toEqual([4, 5, 2, 3, 0, 1]);

    const calls = stub.server.requests.length;
    stub.server.reply((request) => stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`));
    await worker({ WORKER_CONCURRENCY: '1' });
    await eventually(() => stub.server.requests.length >= calls + backlog.length, 60_000);
    const drained = stub.server.requests.slice(calls).map((request) => stub.wire.userTexts(request).at(-1));
    process.stdout.write(`priority drain order: ${drained.join(', ')}\n`);
    expect(drained).toEqual(['high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
  }, 120_000);

  it('streams the status of a job another process drains, to its owner only, within the caps', async () => {
    stub.server.reply(async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return stub.completion(`answer to: ${stub.wire.userTexts(request).at(-1)}`);
    });
    const [a, b] = await replicas();
    const accepted = await postJson(`${a.url}/v1/chat/completions`, ask(`evented ${randomUUID()}`), {
      ...auth('alpha'),
      'x-processing-mode': 'async',
    });
    expect(accepted.status).toBe(202);
    const queueId = String(((await accepted.json()) as { queue_id: string }).queue_id);
    const eventsUrl = `${b.url}/v1/status/${queueId}/events`;

    expect((await fetch(eventsUrl, { headers: auth('beta') })).status).toBe(404);
    const response = await fetch(eventsUrl, { headers: auth('alpha') });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-request-id')).toBeTruthy();

    // 19 more of alpha's streams fit the per-caller cap of 20; the 21st is refused.
    const leaving = new AbortController();
    const more = await Promise.all(
      Array.from({ length: 19 }, () => fetch(eventsUrl, { headers: auth('alpha'), signal: leaving.signal })),
    );
    expect(more.map((extra) => extra.status)).toEqual(more.map(() => 200));
    const capped = await fetch(eventsUrl, { headers: auth('alpha') });
    expect(capped.status).toBe(429);
    expect((await errorOf(capped)).error.code).toBe('RATE_LIMITED');
    leaving.abort();
    // The places of the streams whose client left are free again.
    const again = new AbortController();
    const reopened = await eventually(async () => {
      const response = await fetch(eventsUrl, { headers: auth('alpha'), signal: again.signal });
      if (response.status === 200) return response;
      await response.body?.cancel();
      return undefined;
    });
    expect(reopened.headers.get('content-type')).toContain('text/event-stream');
    again.abort();

    const received: { event: string; status: JobStatusBody }[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) !== -1) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) received.push({ event, status: JSON.parse(data) as JobStatusBody });
        }
      }
    })();
    await eventually(() => received.length >= 1);
    await worker();
    await reading;
    const seen = received.map(({ event, status }) => `${event}:${status.status}`);
    process.stdout.write(
      `status events received: ${received.map(({ status }) => JSON.stringify(status)).join(' | ')}\n`,
    );
    expect(seen).toEqual(['status:queued', 'status:processing', 'status:completed']);
    expect(received.every(({ status }) => status.queue_id === queueId)).toBe(true);

    // The client follows the events too, and needs no polling for it.
    const urls: string[] = [];
    const client = new BreakwaterClient({
      baseUrl: b.url,
      apiKey: KEYS.beta,
      fetch: (url, init) => {
        urls.push(new URL(url).pathname);
        return fetch(url, init);
      },
      poll: { initialDelayMs: 60_000 },
    });
    const completion = await client.chat(ask('client waits on events'), { processingMode: 'async' });
    expect(completion.choices[0].message.content).toBe('answer to: client waits on events');
    expect(urls.map((path) => path.replace(/[0-9a-f-]{36}/, ':id'))).toEqual([
      '/v1/chat/completions',
      '/v1/status/:id/events',
      '/v1/results/:id',
    ]);
  }, 120_000);

  it('lets a caller delete its own cache namespace, and only that, across replicas', async () => {
    const [a, b] = await replicas();
    const cached = async (
      gateway: TestGateway,
      who: Who,
      text: string,
      headers: Record<string, string> = {},
    ) =>
      (
        await postJson(`${gateway.url}/v1/chat/completions`, ask(text), { ...auth(who), ...headers })
      ).headers.get('x-cache');
    const mine = `mine ${randomUUID()}`;
    const theirs = `theirs ${randomUUID()}`;
    expect(await cached(a, 'alpha', mine)).toBe('MISS');
    expect(await cached(b, 'alpha', mine)).toBe('HIT');
    expect(await cached(a, 'beta', theirs)).toBe('MISS');
    expect(await cached(a, 'alpha', 'notes', { 'x-cache-key': 'notes:1' })).toBe('MISS');

    const remove = async (who: Who, query = '') => {
      const response = await fetch(`${b.url}/v1/cache${query}`, { method: 'DELETE', headers: auth(who) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await remove('alpha', '?key=notes:1')).toEqual({ status: 200, body: { deleted: 1 } });
    expect(await cached(a, 'alpha', 'notes', { 'x-cache-key': 'notes:1' })).toBe('MISS');

    expect((await remove('alpha', '?namespace=beta')).status).toBe(403);
    expect((await remove('alpha', `?key=bw:cache:v1:beta:${'0'.repeat(64)}`)).status).toBe(403);
    expect(await remove('alpha')).toEqual({ status: 200, body: { deleted: 2 } });
    expect(await cached(a, 'alpha', mine)).toBe('MISS');
    expect(await cached(b, 'beta', theirs)).toBe('HIT');
  }, 60_000);
});
