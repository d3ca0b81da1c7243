import OpenAI from 'openai';
import { writeCallersFile } from './helpers/callers';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const CALLERS = [
  { id: 'sdk', key: 'sdk-key-0000-0000-0001', processing_mode: 'immediate' },
  { id: 'pipeline', key: 'pipeline-key-0000-0001' },
  { id: 'batchy', key: 'batchy-key-0000-0001', processing_mode: 'async' },
];
const keyOf = (id: string) => CALLERS.find((caller) => caller.id === id)?.key ?? '';

const ask = (content: string, model = 'openai/gpt-4o-mini') => ({
  model,
  messages: [{ role: 'user', content }],
});

/**
 * An OpenAI outage in front of callers with different processing modes. The breaker keeps its default
 * 30 s reset, so a Retry-After under 3 s can only be IMMEDIATE_RETRY_AFTER_SECONDS at work.
 */
describe("a caller's processing_mode during a provider outage", () => {
  let stub: OpenAiStub;
  let gateway: TestGateway;

  beforeAll(async () => {
    stub = await startOpenAiStub();
    gateway = await startGateway({
      CALLERS_FILE: writeCallersFile(CALLERS),
      OPENAI_API_KEY: 'sk-test-openai-secret',
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
      BREAKER_VOLUME_THRESHOLD: '2',
      RUN_WORKERS: 'false',
    });
    stub.server.reply(stub.errors.reply(503, 'The server is overloaded'));
  });
  afterAll(async () => {
    await gateway.close();
    await stub.stop();
  });

  const chat = (caller: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/chat/completions`, body, {
      authorization: `Bearer ${keyOf(caller)}`,
      ...headers,
    });

  it('answers an immediate caller 503 with a short Retry-After, before and after the breaker opens', async () => {
    for (let i = 0; i < 4; i++) {
      const response = await chat('sdk', ask(`outage ${i}`));
      expect(response.status).toBe(503);
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      const body = await errorOf(response);
      expect(body.error.code).toBe('PROVIDER_UNAVAILABLE');
      expect(body.retry_after).toBe(retryAfter);
    }
    expect(stub.server.requests.length).toBeLessThan(4);
  });

  it("queues the default caller's request with the breaker's own wait", async () => {
    const response = await chat('pipeline', ask('queue me'));
    expect(response.status).toBe(202);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(2);
  });

  it("lets x-processing-mode override the caller's mode either way", async () => {
    const queued = await chat('sdk', ask('queue me instead'), {
      'x-processing-mode': 'queue_if_unavailable',
    });
    expect(queued.status).toBe(202);
    const refused = await chat('pipeline', ask('refuse me'), { 'x-processing-mode': 'immediate' });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(2);
  });

  it('queues every request of an async caller, the mock healthy or not', async () => {
    const response = await chat('batchy', ask('later', 'mock/echo'));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      status: 'queued',
      reason: expect.stringContaining('async'),
    });
  });

  it('gives the official OpenAI SDK, with its default retries, a 503 within seconds, not 60 s', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keyOf('sdk') });
    const started = Date.now();
    const failure = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'sdk in an outage' }] })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const elapsedMs = Date.now() - started;
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ status: 503 });
    // Two retries, each after a Retry-After of at most 2 s.
    expect(elapsedMs).toBeLessThan(6000);
  });
});
