import { OpenRouterAdapter } from '@breakwater/llm-provider';
import { testConfig } from '@breakwater/testing';
import errorInBodyFixture from '../fixtures/openai/openrouter-error-in-body.json';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';
import {
  AdapterFactory,
  RELAXED_TIMEOUT_SECONDS,
  describeAdapterContract,
  testKey,
} from './adapter-contract';
import { describeStreamContract } from './stream-contract';

const createAdapter: AdapterFactory = (baseUrl, env = {}) =>
  new OpenRouterAdapter(
    testConfig({
      OPENROUTER_API_KEY: testKey('openrouter'),
      OPENROUTER_BASE_URL: baseUrl,
      LLM_TIMEOUT_SECONDS: RELAXED_TIMEOUT_SECONDS,
      ...env,
    }),
  );

// OpenRouter's API lives under /api/v1 (https://openrouter.ai/api/v1).
const startOpenRouterStub = () => startOpenAiStub({ basePath: '/api/v1' });

// OpenRouter model names carry the vendor: `openrouter/openai/gpt-4o-mini` arrives as `openai/gpt-4o-mini`.
describeAdapterContract('openrouter', createAdapter, startOpenRouterStub, { model: 'openai/gpt-4o-mini' });
describeStreamContract('openrouter', createAdapter, startOpenRouterStub, { model: 'openai/gpt-4o-mini' });

describe('OpenRouterAdapter on the OpenRouter wire', () => {
  let stub: OpenAiStub;
  const signal = new AbortController().signal;
  const ask = { model: 'anthropic/claude-haiku-4.5', messages: [{ role: 'user' as const, content: 'x' }] };

  beforeAll(async () => {
    stub = await startOpenRouterStub();
  });
  afterAll(() => stub.stop());
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  it('goes to OPENROUTER_BASE_URL instead of https://openrouter.ai/api/v1, with the vendor/model name as is', async () => {
    await createAdapter(stub.baseUrl).complete(ask, signal);
    expect(stub.server.requests).toHaveLength(1);
    expect(stub.server.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/chat/completions' });
    expect(stub.server.requests[0].body).toMatchObject({ model: 'anthropic/claude-haiku-4.5' });
  });

  it('sends the X-Title and HTTP-Referer attribution headers', async () => {
    const adapter = createAdapter(stub.baseUrl, {
      OPENROUTER_APP_TITLE: 'Acme Gateway',
      OPENROUTER_HTTP_REFERER: 'https://acme.example.com',
    });
    await adapter.complete(ask, signal);
    expect(stub.server.requests[0].headers).toMatchObject({
      'x-title': 'Acme Gateway',
      'http-referer': 'https://acme.example.com',
    });
  });

  it('sends the default X-Title and no HTTP-Referer when none is configured', async () => {
    await createAdapter(stub.baseUrl).complete(ask, signal);
    expect(stub.server.requests[0].headers['x-title']).toBe('Breakwater');
    expect(stub.server.requests[0].headers['http-referer']).toBeUndefined();
  });

  it('sorts an error OpenRouter reports inside a 200 body by its code', async () => {
    stub.server.replyOnce(() => ({ status: 200, body: structuredClone(errorInBodyFixture) }));
    await expect(createAdapter(stub.baseUrl).complete(ask, signal)).rejects.toMatchObject({
      kind: 'transient',
      options: { status: 502 },
      message: expect.stringContaining('Provider returned error'),
    });
  });

  it('sorts a choice that finished with "error" as transient', async () => {
    const failed = stub.completion('partial answ', 'anthropic/claude-haiku-4.5');
    const body = failed.body as { choices: { finish_reason: string }[] };
    body.choices[0].finish_reason = 'error';
    stub.server.replyOnce(() => failed);
    await expect(createAdapter(stub.baseUrl).complete(ask, signal)).rejects.toMatchObject({
      kind: 'transient',
    });
  });
});
