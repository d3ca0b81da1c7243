import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { HEADER } from '@breakwater/contracts';
import { callerKey, writeLimitedCallersFile } from './helpers/callers';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';
import { GeminiStub, startGeminiStub } from './helpers/stubs/gemini.stub';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

// POST /v1/embeddings through the official SDK against the mock, the OpenAI stub and the Gemini stub, with
// the body's bounds and a caller's day budget on a real Redis.
describe('POST /v1/embeddings', () => {
  let redis: RedisServer;
  let openai: OpenAiStub;
  let gemini: GeminiStub;
  let gateway: TestGateway;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    openai = await startOpenAiStub();
    gemini = await startGeminiStub();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-embeddings-'));
    gateway = await startGateway({
      REDIS_URL: redis.url,
      CALLERS_FILE: writeLimitedCallersFile(dir, [
        { id: 'app', limits: { per_minute: 1000 } },
        { id: 'thrifty', limits: { tokens_per_day: 10 } },
        { id: 'priced', limits: { cost_usd_per_day: 1 } },
      ]),
      OPENAI_API_KEY: 'sk-test-embeddings',
      OPENAI_BASE_URL: openai.baseUrl,
      GEMINI_API_KEY: 'gemini-test-embeddings',
      GEMINI_BASE_URL: gemini.baseUrl,
      DEEPSEEK_API_KEY: 'sk-test-deepseek',
      DEEPSEEK_BASE_URL: openai.baseUrl,
      MOCK_PROVIDER_ENABLED: 'true',
      RETRY_MAX_ATTEMPTS: '1',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await openai?.stop();
    await gemini?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    openai.server.requests.length = 0;
    gemini.server.requests.length = 0;
  });

  const sdk = (id = 'app') =>
    new OpenAI({ apiKey: callerKey(id), baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const embed = (body: unknown, id = 'app') =>
    postJson(`${gateway.url}/v1/embeddings`, body, { authorization: `Bearer ${callerKey(id)}` });

  it('answers the mock with deterministic unit vectors through the SDK, float and its default base64', async () => {
    const floats = await sdk().embeddings.create({
      model: 'mock/echo',
      input: ['same', 'other', 'same'],
      dimensions: 16,
      encoding_format: 'float',
    });
    expect(floats.object).toBe('list');
    expect(floats.model).toBe('mock/echo');
    expect(floats.data.map((item) => item.index)).toEqual([0, 1, 2]);
    const [first, other, again] = floats.data.map((item) => item.embedding);
    expect(first).toHaveLength(16);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(Math.hypot(...first)).toBeCloseTo(1, 6);
    expect(floats.usage.total_tokens).toBe(floats.usage.prompt_tokens);

    // Without encoding_format the SDK asks for base64 and decodes float32 values itself.
    const decoded = await sdk().embeddings.create({ model: 'mock/echo', input: 'same', dimensions: 16 });
    decoded.data[0].embedding.forEach((value, index) => expect(value).toBeCloseTo(first[index], 6));
  });

  it('says which provider and model answered, and sets the rate-limit headers', async () => {
    const response = await embed({ model: 'mock/echo', input: 'headers', encoding_format: 'float' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('mock');
    expect(response.headers.get('x-model')).toBe('echo');
    expect(response.headers.get(HEADER.rateLimitLimit)).toBe('1000');
  });

  it('calls OpenAI /embeddings for floats with its key and maps its answer', async () => {
    const answer = await sdk().embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: ['one', 'two'],
      dimensions: 4,
    });
    expect(answer.model).toBe('openai/text-embedding-3-small');
    expect(answer.data).toHaveLength(2);
    expect(answer.data[0].embedding).toHaveLength(4);
    expect(answer.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(openai.server.requests).toHaveLength(1);
    const [sent] = openai.server.requests;
    expect(sent.path).toBe('/v1/embeddings');
    expect(openai.wire.apiKey(sent)).toBe('sk-test-embeddings');
    expect(sent.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['one', 'two'],
      encoding_format: 'float',
      dimensions: 4,
    });
  });

  it("meters the tokens and the price table's cost into the caller's usage, under a USD budget", async () => {
    const response = await embed({ model: 'openai/text-embedding-3-small', input: ['one', 'two'] }, 'priced');
    expect(response.status).toBe(200);
    const usage = await fetch(`${gateway.url}/v1/usage`, {
      headers: { authorization: `Bearer ${callerKey('priced')}` },
    });
    const { day } = (await usage.json()) as {
      day: {
        by_model: Record<
          string,
          { requests: number; tokens_in: number; tokens_out: number; cost_usd: number }
        >;
      };
    };
    const booked = day.by_model['openai/text-embedding-3-small'];
    expect(booked).toMatchObject({ requests: 1, tokens_in: 2, tokens_out: 0 });
    expect(booked.cost_usd).toBeCloseTo((2 * 0.02) / 1e6, 12);
  });

  it("maps Gemini's batchEmbedContents to OpenAI's shape", async () => {
    const answer = await sdk().embeddings.create({
      model: 'gemini/gemini-embedding-001',
      input: ['alpha', 'beta'],
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(answer.model).toBe('gemini/gemini-embedding-001');
    expect(answer.data.map((item) => item.embedding.length)).toEqual([8, 8]);
    expect(answer.data[0].embedding).not.toEqual(answer.data[1].embedding);
    // Gemini reports no usage: the gateway's estimate, about four characters a token.
    expect(answer.usage.prompt_tokens).toBe(3);
    expect(gemini.server.requests[0].path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
  });

  it.each([
    ['too many inputs', { input: Array.from({ length: 2049 }, () => 'x') }, 'input'],
    ['token arrays', { input: [[1, 2, 3]] }, 'input'],
    ['a token list', { input: [1, 2, 3] }, 'input'],
    ['an empty list', { input: [] }, 'input'],
    ['an input over 32 KiB', { input: ['x'.repeat(32 * 1024 + 1)] }, 'input'],
    ['an unknown encoding', { input: 'x', encoding_format: 'int8' }, 'encoding_format'],
    ['too many dimensions', { input: 'x', dimensions: 3073 }, 'dimensions'],
  ])('refuses %s with 400 naming the field, before any provider call', async (_name, extra, param) => {
    const response = await embed({ model: 'openai/text-embedding-3-small', ...extra });
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', param });
    expect(openai.server.requests).toHaveLength(0);
  });

  it('refuses a provider without embeddings with 400 naming model', async () => {
    const response = await embed({ model: 'deepseek/deepseek-chat', input: 'x' });
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', param: 'model' });
    expect(error.message).toContain('does not support embeddings');
    expect(openai.server.requests).toHaveLength(0);
  });

  it("applies the caller's token budget with the real usage", async () => {
    // 24 characters: 6 tokens a call against 10 a day; the second call ends the day over budget.
    const input = 'twenty-four characters!!';
    expect((await embed({ model: 'mock/echo', input }, 'thrifty')).status).toBe(200);
    expect((await embed({ model: 'mock/echo', input }, 'thrifty')).status).toBe(200);
    const refused = await embed({ model: 'mock/echo', input }, 'thrifty');
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error.code).toBe('BUDGET_EXCEEDED');
  });

  it('answers 503 PROVIDER_UNAVAILABLE in immediate mode when the provider stays unavailable', async () => {
    openai.server.replyOnce(openai.errors.serverError());
    const response = await postJson(
      `${gateway.url}/v1/embeddings`,
      { model: 'openai/text-embedding-3-small', input: 'x' },
      { authorization: `Bearer ${callerKey('app')}`, [HEADER.processingMode]: 'immediate' },
    );
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect((await errorOf(response)).error.code).toBe('PROVIDER_UNAVAILABLE');
  });
});
