import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { writeCallersFile } from './helpers/callers';
import { eventually } from './helpers/eventually';
import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';
import { AnthropicStub, startAnthropicStub } from './helpers/stubs/anthropic.stub';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const MODELS_YAML = `
models:
  fast:
    route: [openai/gpt-4o-mini, anthropic/claude-haiku-4-5]
    defaults: { temperature: 0.3, max_tokens: 64, top_p: 0.5 }
    price: { input_per_million: 100, output_per_million: 200 }
  careful: [anthropic/claude-sonnet-4-5]
  offline: [gemini/gemini-2.5-flash]
`;

/** Every caller's cache is off, so each request reaches the stubs. */
const CALLERS = [
  { id: 'ops', key: 'ops-key-0000-0000-0001', role: 'admin', cache: { enabled: false } },
  { id: 'app', key: 'app-key-0000-0000-0001', models: ['fast'], cache: { enabled: false } },
  { id: 'oa', key: 'oa-key-0000-0000-00001', models: ['openai/*'], cache: { enabled: false } },
];

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: `alias test ${Math.random()}` }],
  ...extra,
});

describe('MODELS_FILE aliases, callers models allow-lists and GET /v1/models', () => {
  let openai: OpenAiStub;
  let anthropic: AnthropicStub;
  let gateway: TestGateway;

  beforeAll(async () => {
    openai = await startOpenAiStub();
    anthropic = await startAnthropicStub();
    const modelsFile = join(mkdtempSync(join(tmpdir(), 'bw-models-')), 'models.yaml');
    writeFileSync(modelsFile, MODELS_YAML);
    gateway = await startGateway({
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: openai.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-test-secret',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      // The scripted failures must not open a breaker and change where later tests go.
      BREAKER_VOLUME_THRESHOLD: '1000',
      MODELS_FILE: modelsFile,
      CALLERS_FILE: writeCallersFile(CALLERS),
    });
  });
  afterAll(async () => {
    await gateway.close();
    await openai.stop();
    await anthropic.stop();
  });
  beforeEach(() => {
    openai.server.requests.length = 0;
    anthropic.server.requests.length = 0;
  });

  const chat = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: `Bearer ${key}`, ...headers });
  const sent = (stub: OpenAiStub | AnthropicStub, index = 0) =>
    stub.server.requests[index].body as Record<string, unknown>;

  it('routes an alias to its first model with its defaults, and prices it at the alias price', async () => {
    const response = await chat('ops-key-0000-0000-0001', ask('fast'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('openai');
    expect(response.headers.get('x-model')).toBe('gpt-4o-mini');
    const answer = await completionOf(response);
    expect(answer.model).toBe('openai/gpt-4o-mini');
    expect(sent(openai)).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.3,
      max_tokens: 64,
      top_p: 0.5,
    });
    const { prompt_tokens: prompt, completion_tokens: completion } = answer.usage;
    const line = gateway.logs.findLast((entry) => entry.model === 'gpt-4o-mini' && 'cost_usd' in entry);
    expect(line?.cost_usd).toBeCloseTo((prompt * 100 + completion * 200) / 1_000_000, 10);
  });

  it("keeps the request's own values over the alias's defaults", async () => {
    const response = await chat(
      'ops-key-0000-0000-0001',
      ask('fast', { temperature: 1, max_completion_tokens: 20 }),
    );
    expect(response.status).toBe(200);
    expect(sent(openai)).toMatchObject({ temperature: 1, top_p: 0.5 });
    expect(sent(openai).max_tokens).toBeUndefined();
  });

  it("falls back to the alias's second model when the first fails, defaults included", async () => {
    openai.server.replyOnce(openai.errors.serverError());
    const response = await chat('ops-key-0000-0000-0001', ask('fast'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('anthropic');
    expect(response.headers.get('x-model')).toBe('claude-haiku-4-5');
    expect(openai.server.requests).toHaveLength(1);
    expect(anthropic.server.requests).toHaveLength(1);
    expect(sent(anthropic)).toMatchObject({ model: 'claude-haiku-4-5', temperature: 0.3, max_tokens: 64 });
  });

  it('tries the alias route before x-fallback-models', async () => {
    openai.server.replyOnce(openai.errors.serverError());
    anthropic.server.replyOnce(anthropic.errors.serverError());
    const response = await chat('ops-key-0000-0000-0001', ask('fast'), {
      'x-fallback-models': 'careful',
    });
    expect(response.status).toBe(200);
    expect(anthropic.server.requests.map((request) => anthropic.wire.model(request))).toEqual([
      'claude-haiku-4-5',
      'claude-sonnet-4-5',
    ]);
  });

  it('keeps the alias route and defaults for a queued request', async () => {
    openai.server.replyOnce(openai.errors.serverError());
    const queued = await chat('ops-key-0000-0000-0001', ask('fast'), { 'x-processing-mode': 'async' });
    expect(queued.status).toBe(202);
    const { result_url: resultUrl } = (await queued.json()) as { result_url: string };
    const result = await eventually(async () => {
      const response = await fetch(`${gateway.url}${resultUrl}`, {
        headers: { authorization: 'Bearer ops-key-0000-0000-0001' },
      });
      return response.status === 200 && completionOf(response);
    });
    expect(result.model).toBe('anthropic/claude-haiku-4-5');
    expect(sent(anthropic)).toMatchObject({ model: 'claude-haiku-4-5', temperature: 0.3, max_tokens: 64 });
  });

  it('lets a caller with an allow-list use what it matches, and refuses the rest with 403 naming the field', async () => {
    expect((await chat('app-key-0000-0000-0001', ask('fast'))).status).toBe(200);
    const direct = await chat('app-key-0000-0000-0001', ask('openai/gpt-4o-mini'));
    expect(direct.status).toBe(403);
    expect((await errorOf(direct)).error).toMatchObject({ code: 'FORBIDDEN', param: 'model' });
    const fallback = await chat('app-key-0000-0000-0001', ask('fast'), {
      'x-fallback-models': 'anthropic/claude-sonnet-4-5',
    });
    expect(fallback.status).toBe(403);
    expect((await errorOf(fallback)).error).toMatchObject({ code: 'FORBIDDEN', param: 'x-fallback-models' });

    expect((await chat('oa-key-0000-0000-00001', ask('gpt-4o-mini'))).status).toBe(200);
    expect((await chat('oa-key-0000-0000-00001', ask('fast'))).status).toBe(403);
    expect((await chat('oa-key-0000-0000-00001', ask('claude-haiku-4-5'))).status).toBe(403);
    expect(openai.server.requests).toHaveLength(2);
    expect(anthropic.server.requests).toHaveLength(0);
  });

  const listed = async (apiKey: string) => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      expect(model).toMatchObject({ object: 'model', created: expect.any(Number) as number });
      ids.push(model.id);
    }
    return ids;
  };

  it('lists through the OpenAI SDK the aliases and provider/model names of configured providers', async () => {
    const ids = await listed('ops-key-0000-0000-0001');
    expect(ids).toEqual(
      expect.arrayContaining([
        'fast',
        'careful',
        'openai/gpt-4o-mini',
        'anthropic/claude-haiku-4-5',
        'anthropic/claude-sonnet-4-5',
        'mock/echo',
      ]),
    );
    expect(ids).not.toContain('offline');
    expect(ids.filter((id) => id.startsWith('gemini/') || id.startsWith('deepseek/'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("narrows the list to the caller's allow-list", async () => {
    expect(await listed('app-key-0000-0000-0001')).toEqual(['fast']);
    const openAiOnly = await listed('oa-key-0000-0000-00001');
    expect(openAiOnly.length).toBeGreaterThan(0);
    expect(openAiOnly.every((id) => id.startsWith('openai/'))).toBe(true);
  });

  it('says who owns each listed model, and refuses a call without a key', async () => {
    const response = await fetch(`${gateway.url}/v1/models`, {
      headers: { authorization: 'Bearer ops-key-0000-0000-0001' },
    });
    const body = (await response.json()) as { object: string; data: { id: string; owned_by: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.find((model) => model.id === 'fast')?.owned_by).toBe('breakwater');
    expect(body.data.find((model) => model.id === 'openai/gpt-4o-mini')?.owned_by).toBe('openai');
    expect((await fetch(`${gateway.url}/v1/models`)).status).toBe(401);
  });
});
