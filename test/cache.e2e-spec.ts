import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { RecordedRequest, StubReply } from './helpers/stubs/stub-server';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const KEYS = {
  admin: 'admin-key-cache-e2e',
  pipeline: 'pipeline-key-cache-e2e',
  other: 'other-key-cache-e2e',
  scratch: 'scratch-key-cache-e2e',
  judge: 'judge-key-cache-e2e',
  judgeInPipeline: 'judge-in-pipeline-key-cache-e2e',
  shortLived: 'short-lived-key-cache-e2e',
} as const;
type Who = keyof typeof KEYS;

/** An admin, ordinary callers, and two judges whose cache is off (one sharing the pipeline's namespace). */
function callersFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'breakwater-cache-')), 'callers.json');
  const callers = [
    { id: 'admin', key: KEYS.admin, role: 'admin' },
    { id: 'pipeline', key: KEYS.pipeline },
    { id: 'other', key: KEYS.other },
    { id: 'scratch', key: KEYS.scratch },
    { id: 'judge', key: KEYS.judge, cache: { enabled: false } },
    { id: 'judge-in-pipeline', key: KEYS.judgeInPipeline, cache: { enabled: false, namespace: 'pipeline' } },
    { id: 'short-lived', key: KEYS.shortLived, cache: { ttl_seconds: 1 } },
  ];
  writeFileSync(file, JSON.stringify({ callers }));
  return file;
}

interface Answer {
  status: number;
  cache: string | null;
  content: string;
  id: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('response cache on one gateway with Redis', () => {
  let redis: RedisServer;
  let stub: OpenAiStub;
  let gateway: TestGateway;
  let served = 0;
  let latencyMs = 0;

  /** Every provider answer is new (a counter in content and id), so reuse is visible. */
  function freshAnswer(request: RecordedRequest): StubReply {
    served++;
    const body = request.body as { response_format?: { type: string } };
    const content =
      body.response_format && body.response_format.type !== 'text'
        ? JSON.stringify({ score: served, verdict: 'pass' })
        : `answer #${served}`;
    const reply = stub.completion(content);
    (reply.body as { id: string }).id = `chatcmpl-e2e-${served}`;
    return { ...reply, delayMs: latencyMs };
  }

  beforeAll(async () => {
    redis = await startRedis();
    stub = await startOpenAiStub();
    stub.server.reply(freshAnswer);
    gateway = await startGateway({
      ...redis.env,
      CALLERS_FILE: callersFile(),
      OPENAI_API_KEY: 'sk-cache-e2e',
      OPENAI_BASE_URL: stub.baseUrl,
      RATE_LIMIT_PER_MINUTE: '100000',
      // No queue work here: these tests never queue, and in-process workers only slow shutdown.
      RUN_WORKERS: 'false',
      RETRY_MAX_ATTEMPTS: '1',
      RETRY_BASE_DELAY_MS: '10',
      BREAKER_VOLUME_THRESHOLD: '1000',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await stub?.stop();
    await redis?.stop();
  });
  beforeEach(() => {
    latencyMs = 0;
    stub.server.reply(freshAnswer);
  });

  const providerCalls = () => stub.server.requests.length;
  const body = (text: string, extra: Record<string, unknown> = {}) => ({
    model: 'openai/gpt-4o-mini',
    messages: [{ role: 'user', content: text }],
    ...extra,
  });

  async function ask(who: Who, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await postJson(`${gateway.url}/v1/chat/completions`, payload, {
      authorization: `Bearer ${KEYS[who]}`,
      ...headers,
    });
    const cache = response.headers.get('x-cache');
    if (response.status !== 200) return { status: response.status, cache, content: '', id: '' };
    const completion = await completionOf(response);
    return { status: 200, cache, content: completion.choices[0].message.content ?? '', id: completion.id };
  }

  async function invalidate(who: Who, query = ''): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${gateway.url}/v1/cache${query}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${KEYS[who]}` },
    });
    return { status: response.status, body: await response.json() };
  }

  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('misses, then hits with the same content and id without a second provider call', async () => {
    const question = body(`hello ${randomUUID()}`);
    const before = providerCalls();
    const first = await ask('pipeline', question);
    const second = await ask('pipeline', question);
    expect(first).toMatchObject({ status: 200, cache: 'MISS' });
    expect(second).toMatchObject({ status: 200, cache: 'HIT', content: first.content, id: first.id });
    expect(providerCalls() - before).toBe(1);
  });

  it('misses when a generation parameter, the model or response_format changes', async () => {
    const text = `params ${randomUUID()}`;
    await ask('pipeline', body(text));
    const variants = [
      body(text, { temperature: 0.3 }),
      body(text, { max_tokens: 17 }),
      body(text, { seed: 7 }),
      body(text, { stop: ['END'] }),
      body(text, { response_format: { type: 'json_object' } }),
      body(text, {
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      }),
      { ...body(text), model: 'openai/gpt-4o' },
      {
        ...body(text),
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: text },
        ],
      },
    ];
    for (const variant of variants) {
      expect((await ask('pipeline', variant)).cache).toBe('MISS');
    }
    expect((await ask('pipeline', body(text))).cache).toBe('HIT');
  });

  it('hits whatever the JSON key order and however the defaults are spelled', async () => {
    const text = `order ${randomUUID()}`;
    const first = await ask(
      'pipeline',
      `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"${text}"}],"temperature":0.5,"response_format":{"type":"json_schema","json_schema":{"name":"g","schema":{"type":"object","properties":{"score":{"type":"integer"},"verdict":{"type":"string"}}}}}}`,
    );
    const reordered = await ask(
      'pipeline',
      `{"response_format":{"json_schema":{"schema":{"properties":{"verdict":{"type":"string"},"score":{"type":"integer"}},"type":"object"},"name":"g"},"type":"json_schema"},"temperature":0.5,"messages":[{"content":"${text}","role":"user"}],"model":"openai/gpt-4o-mini"}`,
    );
    expect(first.cache).toBe('MISS');
    expect(reordered).toMatchObject({ cache: 'HIT', content: first.content });

    const question = body(`defaults ${randomUUID()}`);
    expect((await ask('pipeline', question)).cache).toBe('MISS');
    const explicit = await ask('pipeline', {
      ...question,
      temperature: 1,
      n: 1,
      top_p: 1,
      presence_penalty: 0,
      stream: false,
    });
    expect(explicit.cache).toBe('HIT');
  });

  it('keeps each caller in its own namespace', async () => {
    const question = body(`namespace ${randomUUID()}`);
    const mine = await ask('pipeline', question);
    const theirs = await ask('other', question);
    expect(theirs.cache).toBe('MISS');
    expect(theirs.content).not.toBe(mine.content);
    expect((await ask('other', question)).content).toBe(theirs.content);
    expect((await ask('pipeline', question)).content).toBe(mine.content);
  });

  describe('a caller whose cache is off', () => {
    const combinations: Record<string, string>[] = [
      {},
      { 'x-cache-mode': 'default' },
      { 'x-cache-mode': 'refresh' },
      { 'x-cache-mode': 'bypass' },
      { 'cache-control': 'no-cache' },
      { 'cache-control': 'no-store' },
      { 'cache-control': 'max-age=3600' },
      { 'x-cache-key': 'shared-key' },
      { 'x-cache-key': 'shared-key', 'x-cache-mode': 'default' },
      { 'x-cache-ttl': '3600' },
      { 'x-cache-ttl': '3600', 'x-cache-key': 'shared-key', 'x-cache-mode': 'default' },
    ];

    it.each(['judge', 'judge-in-pipeline'] as const)(
      '(%s) gets a fresh provider answer for each identical request, with every header combination',
      async (judgeId) => {
        const who: Who = judgeId === 'judge' ? 'judge' : 'judgeInPipeline';
        const question = body(`grade this ${randomUUID()}`);
        // The same request and custom key cached in the pipeline namespace: a judge that read it would HIT.
        await ask('pipeline', question);
        await ask('pipeline', question, { 'x-cache-key': 'shared-key' });
        const before = providerCalls();
        const answers: Answer[] = [];
        for (const headers of combinations) {
          answers.push(await ask(who, question, headers));
          answers.push(await ask(who, question, headers));
        }
        expect(answers.every((a) => a.status === 200 && a.cache === 'BYPASS')).toBe(true);
        expect(providerCalls() - before).toBe(combinations.length * 2);
        expect(new Set(answers.map((a) => a.content)).size).toBe(answers.length);
      },
    );

    it('gets N provider calls for N concurrent identical requests, never coalesced', async () => {
      latencyMs = 200;
      const question = body(`concurrent grading ${randomUUID()}`);
      const before = providerCalls();
      const answers = await Promise.all([
        ...Array.from({ length: 8 }, () => ask('judge', question)),
        ...Array.from({ length: 8 }, (_, i) =>
          ask('judgeInPipeline', question, {
            'x-cache-key': `k`,
            'x-cache-mode': i % 2 ? 'default' : 'refresh',
          }),
        ),
        // Ordinary callers in the same namespace at the same moment: they may coalesce among themselves only.
        ...Array.from({ length: 4 }, () => ask('pipeline', question)),
      ]);
      expect(providerCalls() - before).toBe(8 + 8 + 1);
      const judged = answers.slice(0, 16);
      expect(judged.every((a) => a.cache === 'BYPASS')).toBe(true);
      expect(new Set(judged.map((a) => a.content)).size).toBe(16);
      const pipeline = answers.slice(16);
      expect(new Set(pipeline.map((a) => a.content)).size).toBe(1);
      expect(judged.map((a) => a.content)).not.toContain(pipeline[0].content);
    });
  });

  it.each([
    ['x-cache-mode: bypass', { 'x-cache-mode': 'bypass' }],
    ['Cache-Control: no-store', { 'cache-control': 'no-store' }],
  ])('%s neither reads nor writes', async (_name, headers) => {
    const question = body(`bypass ${randomUUID()}`);
    const bypassed = await ask('pipeline', question, headers);
    expect(bypassed.cache).toBe('BYPASS');
    const first = await ask('pipeline', question);
    expect(first.cache).toBe('MISS');
    const again = await ask('pipeline', question, headers);
    expect(again.cache).toBe('BYPASS');
    expect(again.content).not.toBe(first.content);
    expect((await ask('pipeline', question)).content).toBe(first.content);
  });

  it.each([
    ['x-cache-mode: refresh', { 'x-cache-mode': 'refresh' }],
    ['Cache-Control: no-cache', { 'cache-control': 'no-cache' }],
  ])('%s calls the provider and replaces the entry', async (_name, headers) => {
    const question = body(`refresh ${randomUUID()}`);
    const first = await ask('pipeline', question);
    const refreshed = await ask('pipeline', question, headers);
    expect(refreshed.cache).toBe('MISS');
    expect(refreshed.content).not.toBe(first.content);
    expect(await ask('pipeline', question)).toMatchObject({ cache: 'HIT', content: refreshed.content });
  });

  it('serves one entry for every request with the same x-cache-key, inside the caller namespace only', async () => {
    const key = `doc-${randomUUID()}:summary`;
    const first = await ask('pipeline', body('summarise version one'), { 'x-cache-key': key });
    const second = await ask('pipeline', body('summarise version two'), { 'x-cache-key': key });
    expect(first.cache).toBe('MISS');
    expect(second).toMatchObject({ cache: 'HIT', content: first.content });
    expect((await ask('other', body('summarise version one'), { 'x-cache-key': key })).cache).toBe('MISS');
    const deleted = await invalidate('admin', `?namespace=pipeline&key=${encodeURIComponent(key)}`);
    expect(deleted).toEqual({ status: 200, body: { deleted: 1 } });
    expect((await ask('pipeline', body('summarise version one'), { 'x-cache-key': key })).cache).toBe('MISS');
    expect((await ask('other', body('summarise version one'), { 'x-cache-key': key })).cache).toBe('HIT');
  });

  it('treats a json_schema hit that fails the schema as a miss', async () => {
    const key = `structured-${randomUUID()}`;
    const schema = {
      type: 'object',
      properties: { score: { type: 'integer' }, verdict: { type: 'string' } },
      required: ['score', 'verdict'],
    };
    const text = await ask('pipeline', body('grade it'), { 'x-cache-key': key });
    expect(text.content).toMatch(/^answer #/);
    const structured = body('grade it', {
      response_format: { type: 'json_schema', json_schema: { name: 'g', schema } },
    });
    const first = await ask('pipeline', structured, { 'x-cache-key': key });
    expect(first.cache).toBe('MISS');
    expect(JSON.parse(first.content)).toMatchObject({ verdict: 'pass' });
    expect(await ask('pipeline', structured, { 'x-cache-key': key })).toMatchObject({
      cache: 'HIT',
      content: first.content,
    });
  });

  it('expires entries after x-cache-ttl and after the caller ttl_seconds', async () => {
    const viaHeader = body(`ttl header ${randomUUID()}`);
    const viaCaller = body(`ttl caller ${randomUUID()}`);
    await ask('pipeline', viaHeader, { 'x-cache-ttl': '1' });
    await ask('shortLived', viaCaller);
    expect((await ask('pipeline', viaHeader)).cache).toBe('HIT');
    expect((await ask('shortLived', viaCaller)).cache).toBe('HIT');
    await sleep(1200);
    expect((await ask('pipeline', viaHeader)).cache).toBe('MISS');
    expect((await ask('shortLived', viaCaller)).cache).toBe('MISS');
  });

  it('never stores an error, and says x-cache on error answers too', async () => {
    const question = body(`errors ${randomUUID()}`);
    stub.server.replyOnce(stub.errors.serverError());
    const unavailable = await ask('pipeline', question, { 'x-processing-mode': 'immediate' });
    expect(unavailable).toMatchObject({ status: 503, cache: 'MISS' });
    stub.server.replyOnce(stub.errors.reply(400, 'bad request'));
    const rejected = await ask('pipeline', question, { 'x-processing-mode': 'immediate' });
    expect(rejected).toMatchObject({ status: 502, cache: 'MISS' });
    const bypassed = await ask('judge', question, { 'x-processing-mode': 'immediate' });
    expect(bypassed).toMatchObject({ status: 200, cache: 'BYPASS' });
    expect((await ask('pipeline', question)).cache).toBe('MISS');
    expect((await ask('pipeline', question)).cache).toBe('HIT');
  });

  it('refuses bad cache headers with 400 naming the header', async () => {
    for (const [header, value] of [
      ['x-cache-mode', 'always'],
      ['x-cache-ttl', '-1'],
      ['x-cache-key', 'k'.repeat(257)],
    ]) {
      const response = await postJson(`${gateway.url}/v1/chat/completions`, body('x'), {
        authorization: `Bearer ${KEYS.pipeline}`,
        [header]: value,
      });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).error).toMatchObject({ code: 'INVALID_REQUEST', param: header });
    }
  });

  it('counts hits, misses and bypasses, and the cost the hits saved', async () => {
    const labels = 'provider="openai",model="gpt-4o-mini"';
    const [hits, misses, bypasses, saved] = await Promise.all([
      metric('cache_requests_total', 'result="hit"'),
      metric('cache_requests_total', 'result="miss"'),
      metric('cache_requests_total', 'result="bypass"'),
      metric('cache_saved_cost_usd_total', labels),
    ]);
    const question = body(`metrics ${randomUUID()}`);
    await ask('pipeline', question);
    await ask('pipeline', question);
    await ask('pipeline', question);
    await ask('judge', question);
    expect(await metric('cache_requests_total', 'result="hit"')).toBe(hits + 2);
    expect(await metric('cache_requests_total', 'result="miss"')).toBe(misses + 1);
    expect(await metric('cache_requests_total', 'result="bypass"')).toBe(bypasses + 1);
    expect(await metric('cache_saved_cost_usd_total', labels)).toBeGreaterThan(saved);
  });

  it('answers 200 HIT for 180 of 200 requests over 20 prompts (one provider call per prompt)', async () => {
    const run = randomUUID();
    const before = providerCalls();
    const answers: Answer[] = [];
    for (let round = 0; round < 10; round++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) => ask('pipeline', body(`prompt ${i} of ${run}`))),
        )),
      );
    }
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(providerCalls() - before).toBe(20);
    expect(answers.filter((a) => a.cache === 'HIT')).toHaveLength(180);
  });

  describe('DELETE /v1/cache', () => {
    it("is for admins only beyond a caller's own namespace: 403 FORBIDDEN, 401 without a key", async () => {
      const forbidden = await invalidate('pipeline', '?namespace=other');
      expect(forbidden.status).toBe(403);
      expect((forbidden.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      expect((await fetch(`${gateway.url}/v1/cache`, { method: 'DELETE' })).status).toBe(401);
    });

    it('refuses a malformed namespace or key with 400', async () => {
      expect((await invalidate('admin', '?namespace=a*b')).status).toBe(400);
      expect((await invalidate('admin', '?key=no-namespace-given')).status).toBe(400);
    });

    it('deletes one namespace, answering how many entries went, then everything', async () => {
      const questions = [body(`ns one ${randomUUID()}`), body(`ns two ${randomUUID()}`)];
      for (const question of questions) await ask('scratch', question);
      const survivor = body(`survivor ${randomUUID()}`);
      await ask('other', survivor);
      expect(await invalidate('admin', '?namespace=scratch')).toEqual({ status: 200, body: { deleted: 2 } });
      expect(await invalidate('admin', '?namespace=scratch')).toEqual({ status: 200, body: { deleted: 0 } });
      for (const question of questions) expect((await ask('scratch', question)).cache).toBe('MISS');
      expect((await ask('other', survivor)).cache).toBe('HIT');
      const all = await invalidate('admin');
      expect(all.status).toBe(200);
      expect((all.body as { deleted: number }).deleted).toBeGreaterThanOrEqual(3);
      expect((await ask('other', survivor)).cache).toBe('MISS');
    });
  });
});
