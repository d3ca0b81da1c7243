import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';
import { startAnthropicStub } from './helpers/stubs/anthropic.stub';

const ask = (content: string, model = 'openai/gpt-4o-mini') => ({
  model,
  messages: [{ role: 'user', content }],
});

/** A gateway in front of the OpenAI stub with short, test-sized resilience settings. */
async function gatewayFor(stub: OpenAiStub, env: Record<string, string> = {}): Promise<TestGateway> {
  return startGateway({
    OPENAI_API_KEY: 'sk-test-openai-secret',
    OPENAI_BASE_URL: stub.baseUrl,
    RETRY_MAX_ATTEMPTS: '3',
    RETRY_BASE_DELAY_MS: '20',
    ...env,
  });
}

async function metric(gateway: TestGateway, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('the provider step through the OpenAI adapter and its stub', () => {
  let stub: OpenAiStub;
  let gateway: TestGateway;

  beforeAll(async () => {
    stub = await startOpenAiStub();
    gateway = await gatewayFor(stub);
  });
  afterAll(async () => {
    await gateway.close();
    await stub.stop();
  });
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  const chat = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, {
      authorization: 'Bearer dev-key',
      'x-processing-mode': 'immediate',
      ...headers,
    });

  it('sends the model without its prefix, with the provider key and never the gateway key', async () => {
    const response = await chat(ask('what reaches the stub?'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('openai');
    expect((await completionOf(response)).model).toBe('openai/gpt-4o-mini');
    const [sent] = stub.server.requests;
    expect(stub.wire.model(sent)).toBe('gpt-4o-mini');
    expect(stub.wire.apiKey(sent)).toBe('sk-test-openai-secret');
    expect(JSON.stringify(sent)).not.toContain('dev-key');
  });

  it('retries a 500 and answers when the next attempt succeeds', async () => {
    stub.server.replyOnce(stub.errors.serverError());
    const response = await chat(ask('flaky'));
    expect(response.status).toBe(200);
    expect(stub.server.requests).toHaveLength(2);
  });

  it('honours a 429 Retry-After before the retry', async () => {
    stub.server.replyOnce(stub.errors.rateLimited(1));
    const started = Date.now();
    const response = await chat(ask('slow down'));
    expect(response.status).toBe(200);
    expect(stub.server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 401 and answers 502 PROVIDER_ERROR without the provider key', async () => {
    stub.server.replyOnce(stub.errors.invalidKey());
    const response = await chat(ask('bad key'));
    expect(response.status).toBe(502);
    const body = await errorOf(response);
    expect(body.error.code).toBe('PROVIDER_ERROR');
    expect(JSON.stringify(body)).not.toContain('sk-test-openai-secret');
    expect(stub.server.requests).toHaveLength(1);
  });

  it('counts tokens and cost from the provider usage', async () => {
    const before = await metric(
      gateway,
      /llm_cost_usd_total\{provider="openai",model="gpt-4o-mini"\} ([\d.e-]+)/,
    );
    stub.server.replyOnce(() => ({
      body: {
        ...(stub.completion('priced').body as object),
        usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
      },
    }));
    const response = await chat(ask('count me'));
    expect(response.status).toBe(200);
    const after = await metric(
      gateway,
      /llm_cost_usd_total\{provider="openai",model="gpt-4o-mini"\} ([\d.e-]+)/,
    );
    // gpt-4o-mini: 1000 × $0.15/M + 500 × $0.60/M = $0.00045
    expect(after - before).toBeCloseTo(0.00045, 9);
  });

  it('repairs an answer that fails its json_schema, and gives up with 502 when it never matches', async () => {
    const schema = {
      type: 'object',
      properties: { score: { type: 'integer' } },
      required: ['score'],
      additionalProperties: false,
    };
    const format = { type: 'json_schema', json_schema: { name: 'grade', schema } };
    stub.server.replyOnce(() => stub.completion('{"score":"high"}'));
    const repaired = await chat({ ...ask('grade it'), response_format: format });
    expect(repaired.status).toBe(200);
    expect(JSON.parse((await completionOf(repaired)).choices[0].message.content as string)).toEqual(
      expect.objectContaining({ score: expect.any(Number) }),
    );
    expect(stub.server.requests).toHaveLength(2);
    expect(stub.wire.userTexts(stub.server.requests[1]).at(-1)).toContain('invalid');

    stub.server.requests.length = 0;
    stub.server.reply(() => stub.completion('not json at all'));
    try {
      const never = await chat({ ...ask('grade again'), response_format: format });
      expect(never.status).toBe(502);
      expect((await errorOf(never)).error.message).toContain('response_format');
      expect(stub.server.requests).toHaveLength(3);
    } finally {
      stub.server.reply((request) => stub.completion(`echo: ${stub.wire.userTexts(request).at(-1)}`));
    }
  });
});

describe('timeouts, the breaker and fallbacks', () => {
  it('times an attempt out after LLM_TIMEOUT_SECONDS and answers 503 in immediate mode', async () => {
    const stub = await startOpenAiStub();
    const gateway = await gatewayFor(stub, { LLM_TIMEOUT_SECONDS: '0.2', RETRY_MAX_ATTEMPTS: '1' });
    try {
      stub.server.reply(() => ({ ...stub.completion('late'), delayMs: 2000 }));
      const started = Date.now();
      const response = await postJson(`${gateway.url}/v1/chat/completions`, ask('hurry'), {
        authorization: 'Bearer dev-key',
        'x-processing-mode': 'immediate',
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await gateway.close();
      await stub.stop();
    }
  });

  it('opens after the volume threshold of failures, fails fast while open, and half-opens after the reset timeout', async () => {
    const stub = await startOpenAiStub();
    const gateway = await gatewayFor(stub, {
      RETRY_MAX_ATTEMPTS: '1',
      BREAKER_VOLUME_THRESHOLD: '3',
      BREAKER_ERROR_THRESHOLD_PERCENT: '50',
      BREAKER_RESET_TIMEOUT_SECONDS: '1',
    });
    const chat = () =>
      postJson(`${gateway.url}/v1/chat/completions`, ask('breaker'), {
        authorization: 'Bearer dev-key',
        'x-processing-mode': 'immediate',
      });
    const circuit = async () => {
      const body = (await (
        await fetch(`${gateway.url}/v1/providers`, { headers: { authorization: 'Bearer dev-key' } })
      ).json()) as {
        data: { id: string; circuit: string }[];
      };
      return body.data.find((p) => p.id === 'openai')?.circuit;
    };
    try {
      stub.server.reply(stub.errors.serverError());
      for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(503);
      expect(await circuit()).toBe('open');
      expect(await metric(gateway, /circuit_breaker_state\{provider="openai"\} (\d)/)).toBe(2);
      // Shown in readiness, never unreadiness: answering 202 is the gateway's job then.
      const ready = await fetch(`${gateway.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        details: { providers: { status: 'up', circuits: { mock: 'closed', openai: 'open' } } },
      });

      const reached = stub.server.requests.length;
      const fast = await chat();
      expect(fast.status).toBe(503);
      expect(stub.server.requests).toHaveLength(reached);
      expect(Number(fast.headers.get('retry-after'))).toBeLessThanOrEqual(1);

      stub.server.reply((request) => stub.completion(`back: ${stub.wire.userTexts(request).at(-1)}`));
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await circuit()).toBe('half_open');
      expect((await chat()).status).toBe(200);
      expect(await circuit()).toBe('closed');
    } finally {
      await gateway.close();
      await stub.stop();
    }
  });

  it('does not count 400s against the breaker', async () => {
    const stub = await startOpenAiStub();
    const gateway = await gatewayFor(stub, { BREAKER_VOLUME_THRESHOLD: '2', RETRY_MAX_ATTEMPTS: '1' });
    try {
      stub.server.reply(stub.errors.reply(400, 'bad parameter'));
      for (let i = 0; i < 4; i++) {
        const response = await postJson(`${gateway.url}/v1/chat/completions`, ask('bad'), {
          authorization: 'Bearer dev-key',
        });
        expect(response.status).toBe(502);
      }
      expect(await metric(gateway, /circuit_breaker_state\{provider="openai"\} (\d)/)).toBe(0);
    } finally {
      await gateway.close();
      await stub.stop();
    }
  });

  it('falls back to x-fallback-models in order when the first provider is unavailable', async () => {
    const openai = await startOpenAiStub();
    const anthropic = await startAnthropicStub();
    const gateway = await gatewayFor(openai, {
      RETRY_MAX_ATTEMPTS: '1',
      ANTHROPIC_API_KEY: 'sk-ant-test-secret',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
    });
    try {
      openai.server.reply(openai.errors.serverError());
      const response = await postJson(`${gateway.url}/v1/chat/completions`, ask('fall back'), {
        authorization: 'Bearer dev-key',
        'x-processing-mode': 'immediate',
        'x-fallback-models': 'anthropic/claude-haiku-4-5',
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-provider')).toBe('anthropic');
      expect(response.headers.get('x-model')).toBe('claude-haiku-4-5');
      expect((await completionOf(response)).model).toBe('anthropic/claude-haiku-4-5');
      expect(openai.server.requests).toHaveLength(1);
      expect(anthropic.server.requests).toHaveLength(1);

      const unknown = await postJson(`${gateway.url}/v1/chat/completions`, ask('x'), {
        authorization: 'Bearer dev-key',
        'x-fallback-models': 'nosuch/model',
      });
      expect(unknown.status).toBe(400);
      expect((await errorOf(unknown)).error.param).toBe('x-fallback-models');
    } finally {
      await gateway.close();
      await openai.stop();
      await anthropic.stop();
    }
  });
});
