import OpenAI from 'openai';
import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';
import { AnthropicStub, startAnthropicStub } from './helpers/stubs/anthropic.stub';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const ask = (model: string, content = 'which provider?') => ({
  model,
  messages: [{ role: 'user', content }],
});

/** The info line ModelRouter writes at start-up, or undefined. */
const providersLine = (gateway: TestGateway) =>
  gateway.logs.find((line) => line.level === 'info' && String(line.msg).startsWith('providers: '))?.msg;

describe('bare model names with DEFAULT_MODEL unset', () => {
  let openai: OpenAiStub;
  let anthropic: AnthropicStub;
  let gateway: TestGateway;

  beforeAll(async () => {
    openai = await startOpenAiStub();
    anthropic = await startAnthropicStub();
    gateway = await startGateway({
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: openai.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-test-secret',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
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

  const chat = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, { authorization: 'Bearer dev-key', ...headers });

  it('logs the configured providers at start-up', () => {
    expect(providersLine(gateway)).toBe('providers: openai, anthropic, mock');
  });

  it.each([
    ['gpt-4o-mini', 'openai'],
    ['o3-mini', 'openai'],
    ['claude-haiku-4-5', 'anthropic'],
  ])('routes %s to %s and says so in model, x-provider and x-model', async (model, provider) => {
    const response = await chat(ask(model));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe(provider);
    expect(response.headers.get('x-model')).toBe(model);
    expect((await completionOf(response)).model).toBe(`${provider}/${model}`);
    const stub = provider === 'openai' ? openai : anthropic;
    expect(stub.server.requests).toHaveLength(1);
    expect(stub.wire.model(stub.server.requests[0])).toBe(model);
  });

  it('refuses a bare name with no known prefix, naming model and the prefixes', async () => {
    const response = await chat(ask('llama-3.1-8b'));
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.param).toBe('model');
    expect(error.message).toMatch(/gpt-.*o1.*o3.*o4.*chatgpt-.*claude-.*gemini-.*deepseek-/);
    expect(openai.server.requests).toHaveLength(0);
  });

  it('refuses a bare name whose provider is unconfigured as PROVIDER_NOT_CONFIGURED', async () => {
    const response = await chat(ask('gemini-2.5-flash'));
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED', param: 'model' });
    expect(error.message).toContain('GEMINI_API_KEY');
  });

  it('routes bare fallback names by the same rule', async () => {
    openai.server.replyOnce(openai.errors.serverError());
    const response = await chat(ask('gpt-4o-mini', 'fall back'), {
      'x-processing-mode': 'immediate',
      'x-fallback-models': 'claude-haiku-4-5',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('anthropic');
    expect((await completionOf(response)).model).toBe('anthropic/claude-haiku-4-5');

    const unconfigured = await chat(ask('gpt-4o-mini'), { 'x-fallback-models': 'deepseek-chat' });
    expect(unconfigured.status).toBe(400);
    expect((await errorOf(unconfigured)).error).toMatchObject({
      code: 'PROVIDER_NOT_CONFIGURED',
      param: 'x-fallback-models',
    });
    const unknown = await chat(ask('gpt-4o-mini'), { 'x-fallback-models': 'llama-3' });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).error).toMatchObject({
      code: 'INVALID_REQUEST',
      param: 'x-fallback-models',
    });
  });

  it('answers existing OpenAI SDK code that names a bare model from the real provider', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'dev-key', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'from the sdk' }],
    });
    expect(completion.model).toBe('openai/gpt-4o-mini');
    expect(completion.choices[0].message.content).toContain('from the sdk');
    expect(openai.server.requests).toHaveLength(1);
  });
});

describe('bare model names without a real provider, or with DEFAULT_MODEL set', () => {
  it('sends every bare name to the mock while no real provider is configured', async () => {
    const gateway = await startGateway();
    try {
      expect(providersLine(gateway)).toBe('providers: mock');
      for (const model of ['gpt-4o-mini', 'llama-3']) {
        const response = await postJson(`${gateway.url}/v1/chat/completions`, ask(model));
        expect(response.status).toBe(200);
        expect(response.headers.get('x-provider')).toBe('mock');
        expect((await completionOf(response)).model).toBe(`mock/${model}`);
      }
    } finally {
      await gateway.close();
    }
  });

  it("keeps DEFAULT_MODEL's meaning: every bare name goes to its provider", async () => {
    const openai = await startOpenAiStub();
    const gateway = await startGateway({
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: openai.baseUrl,
      DEFAULT_MODEL: 'mock/echo',
    });
    try {
      const response = await postJson(`${gateway.url}/v1/chat/completions`, ask('gpt-4o-mini'));
      expect(response.status).toBe(200);
      expect(response.headers.get('x-provider')).toBe('mock');
      expect(openai.server.requests).toHaveLength(0);
    } finally {
      await gateway.close();
      await openai.stop();
    }
  });
});
