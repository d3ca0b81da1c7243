import Ajv from 'ajv';
import OpenAI from 'openai';
import { TestGateway, completionOf, errorOf, postJson, startGateway } from './helpers/gateway';

describe('POST /v1/chat/completions on the mock provider', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  const chat = (body: unknown, headers?: Record<string, string>) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, headers);

  it('answers an OpenAI chat.completion with usage and who answered', async () => {
    const response = await chat({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello there' }] });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('mock');
    expect(response.headers.get('x-model')).toBe('echo');
    const body = await completionOf(response);
    expect(body).toMatchObject({ object: 'chat.completion', model: 'mock/echo' });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices[0]).toMatchObject({
      index: 0,
      finish_reason: 'stop',
      message: { role: 'assistant' },
    });
    expect(body.choices[0].message.content).toContain('hello there');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('answers the same conversation with the same content and different ones differently', async () => {
    const ask = async (system: string) => {
      const response = await chat({
        model: 'mock/x',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: 'same question' },
        ],
      });
      return (await completionOf(response)).choices[0].message.content as string;
    };
    const first = await ask('be brief');
    expect(await ask('be brief')).toBe(first);
    expect(await ask('be verbose')).not.toBe(first);
  });

  it('routes a bare model name to DEFAULT_MODEL provider', async () => {
    const response = await chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-provider')).toBe('mock');
    expect(response.headers.get('x-model')).toBe('gpt-4o-mini');
  });

  it('works through the official OpenAI SDK with either auth header', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'dev-key', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'from the sdk' }],
    });
    expect(completion.choices[0].message.content).toContain('from the sdk');
    const viaApiKey = await chat(
      { model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] },
      { 'x-api-key': 'dev-key' },
    );
    expect(viaApiKey.status).toBe(200);
  });

  it('answers json_object with valid JSON and json_schema with a schema-valid instance', async () => {
    const objectAnswer = await chat({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'give json' }],
      response_format: { type: 'json_object' },
    });
    const objectContent = (await completionOf(objectAnswer)).choices[0].message.content as string;
    expect(JSON.parse(objectContent)).toMatchObject({ answer: 'give json' });

    const schema = {
      type: 'object',
      properties: {
        score: { type: 'integer', minimum: 1, maximum: 5 },
        verdict: { type: 'string', enum: ['pass', 'fail'] },
        reasons: { type: 'array', items: { type: 'string', minLength: 3 }, minItems: 2 },
      },
      required: ['score', 'verdict', 'reasons'],
      additionalProperties: false,
    };
    const schemaAnswer = await chat({
      model: 'mock/judge',
      messages: [{ role: 'user', content: 'grade this' }],
      response_format: { type: 'json_schema', json_schema: { name: 'grade', schema, strict: true } },
    });
    const content: unknown = JSON.parse((await completionOf(schemaAnswer)).choices[0].message.content ?? '');
    const validate = new Ajv().compile(schema);
    expect(validate(content)).toBe(true);
  });

  it('truncates at max_tokens with finish_reason length', async () => {
    const response = await chat({
      model: 'mock/echo',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'a long question that will not fit in two tokens' }],
    });
    const body = await completionOf(response);
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(2);
  });

  it('refuses an unknown provider and an unconfigured one with 400', async () => {
    const unknown = await chat({ model: 'nosuch/model', messages: [{ role: 'user', content: 'x' }] });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).error).toMatchObject({ code: 'INVALID_REQUEST', param: 'model' });

    const unconfigured = await chat({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(unconfigured.status).toBe(400);
    const body = await errorOf(unconfigured);
    expect(body.error.code).toBe('PROVIDER_NOT_CONFIGURED');
    expect(body.error.message).toContain('OPENAI_API_KEY');
  });
});

describe('the mock provider shaped by MOCK_FAILURE_RATE and MOCK_LATENCY_MS', () => {
  it('answers 503 PROVIDER_UNAVAILABLE with Retry-After in immediate mode when every call fails', async () => {
    const gateway = await startGateway({ MOCK_FAILURE_RATE: '1', RETRY_BASE_DELAY_MS: '10' });
    try {
      const response = await postJson(
        `${gateway.url}/v1/chat/completions`,
        { model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] },
        { authorization: 'Bearer dev-key', 'x-processing-mode': 'immediate' },
      );
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = await errorOf(response);
      expect(body.error.code).toBe('PROVIDER_UNAVAILABLE');
      expect(body.retry_after).toBeGreaterThanOrEqual(1);
    } finally {
      await gateway.close();
    }
  });

  it('waits MOCK_LATENCY_MS before answering', async () => {
    const gateway = await startGateway({ MOCK_LATENCY_MS: '300' });
    try {
      const started = Date.now();
      const response = await postJson(`${gateway.url}/v1/chat/completions`, {
        model: 'mock/echo',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await gateway.close();
    }
  });
});
