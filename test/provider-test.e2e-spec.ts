import { QUEUE_CALLERS, writeCallersFile } from './helpers/callers';
import { TestGateway, errorOf, startGateway } from './helpers/gateway';
import { OpenAiStub, startOpenAiStub } from './helpers/stubs/openai.stub';

const ADMIN = { authorization: 'Bearer ops-key-0000-0001' };
const CALLER = { authorization: 'Bearer other-key-0000-0001' };
const OPENAI_KEY = 'sk-test-openai-secret';

interface TestAnswer {
  provider: string;
  ok: boolean;
  model: string;
  latency_ms: number;
  error?: { code: string; message: string };
}

describe('POST /v1/providers/:provider/test', () => {
  let stub: OpenAiStub;
  let gateway: TestGateway;

  beforeAll(async () => {
    stub = await startOpenAiStub();
    gateway = await startGateway({
      CALLERS_FILE: writeCallersFile(QUEUE_CALLERS),
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: stub.baseUrl,
      RETRY_MAX_ATTEMPTS: '3',
      RETRY_BASE_DELAY_MS: '20',
    });
  });
  afterAll(async () => {
    await gateway.close();
    await stub.stop();
  });
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  const probe = (provider: string, query = '', headers: Record<string, string> = ADMIN) =>
    fetch(`${gateway.url}/v1/providers/${provider}/test${query}`, { method: 'POST', headers });
  const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();

  it('makes one minimal call to a healthy provider, counted in its metrics, and answers ok', async () => {
    const response = await probe('openai');
    expect(response.status).toBe(200);
    const body = (await response.json()) as TestAnswer;
    expect(body).toEqual({
      provider: 'openai',
      ok: true,
      model: 'openai/gpt-4o-mini',
      latency_ms: expect.any(Number),
    });
    expect(stub.server.requests).toHaveLength(1);
    const [sent] = stub.server.requests;
    expect(stub.wire.model(sent)).toBe('gpt-4o-mini');
    expect(stub.wire.userTexts(sent)).toHaveLength(1);
    expect(await metrics()).toMatch(
      /llm_requests_total\{provider="openai",model="gpt-4o-mini",outcome="success"\} 1/,
    );
  });

  it('asks the model given in ?model=, with or without the provider prefix', async () => {
    const bare = (await (await probe('openai', '?model=gpt-4.1-nano')).json()) as TestAnswer;
    const prefixed = (await (await probe('openai', '?model=openai/gpt-4.1-nano')).json()) as TestAnswer;
    expect([bare.model, prefixed.model]).toEqual(['openai/gpt-4.1-nano', 'openai/gpt-4.1-nano']);
    expect(stub.server.requests.map((request) => stub.wire.model(request))).toEqual([
      'gpt-4.1-nano',
      'gpt-4.1-nano',
    ]);
  });

  it('answers ok:false with the error of a failing provider after one attempt, without its key', async () => {
    stub.server.replyOnce(stub.errors.serverError());
    const response = await probe('openai');
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as TestAnswer;
    expect(body).toMatchObject({ provider: 'openai', ok: false, error: { code: 'PROVIDER_UNAVAILABLE' } });
    expect(body.error?.message).toContain('500');
    expect(stub.server.requests).toHaveLength(1);
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toMatch(/\bat .+\.ts:\d+/);
    expect(gateway.rawLogs()).not.toContain(OPENAI_KEY);
  });

  it('answers ok:false PROVIDER_NOT_CONFIGURED for a provider without a key, sending nothing', async () => {
    const body = (await (await probe('anthropic')).json()) as TestAnswer;
    expect(body).toMatchObject({
      provider: 'anthropic',
      ok: false,
      model: 'anthropic/claude-haiku-4-5',
      error: { code: 'PROVIDER_NOT_CONFIGURED', message: expect.stringContaining('ANTHROPIC_API_KEY') },
    });
    const replay = (await (await probe('replay', '?model=openai/gpt-4o-mini')).json()) as TestAnswer;
    expect(replay).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_CONFIGURED' } });
    expect(stub.server.requests).toHaveLength(0);
  });

  it('is 404 NOT_FOUND naming an unknown provider, 400 for replay without a model', async () => {
    const unknown = await probe('acme');
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('"acme"'),
    });
    const replay = await probe('replay');
    expect(replay.status).toBe(400);
    expect((await errorOf(replay)).error).toMatchObject({ code: 'INVALID_REQUEST', param: 'model' });
  });

  it('is 403 FORBIDDEN for a caller that is not an admin, and 401 without a key', async () => {
    const forbidden = await probe('openai', '', CALLER);
    expect(forbidden.status).toBe(403);
    expect((await errorOf(forbidden)).error.code).toBe('FORBIDDEN');
    expect((await probe('openai', '', {})).status).toBe(401);
    expect(stub.server.requests).toHaveLength(0);
  });
});
