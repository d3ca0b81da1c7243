import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';

describe('logs, request ids, metrics and docs', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({ OPENAI_API_KEY: 'sk-provider-secret-123' });
  });
  afterAll(() => gateway.close());

  const chat = (headers: Record<string, string>) =>
    postJson(
      `${gateway.url}/v1/chat/completions`,
      { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] },
      headers,
    );

  it('echoes a given x-request-id and generates a UUID when absent or unusable', async () => {
    const given = await chat({ authorization: 'Bearer dev-key', 'x-request-id': 'trace-abc-123' });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const generated = await chat({ authorization: 'Bearer dev-key' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
    const tooLong = await chat({ authorization: 'Bearer dev-key', 'x-request-id': 'x'.repeat(129) });
    expect(tooLong.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const unauthorized = await chat({ 'x-request-id': 'trace-on-error' });
    expect(unauthorized.headers.get('x-request-id')).toBe('trace-on-error');
    expect((await errorOf(unauthorized)).request_id).toBe('trace-on-error');
  });

  it('writes one JSON line per request with the contract fields', async () => {
    await chat({ authorization: 'Bearer dev-key', 'x-request-id': 'line-check-1' });
    const lines = gateway.logs.filter(
      (line) => line.request_id === 'line-check-1' && line.msg === 'request completed',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      request_id: 'line-check-1',
      caller: 'dev',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      provider: 'mock',
      model: 'echo',
      cost_usd: 0,
    });
    expect(lines[0].duration_ms).toEqual(expect.any(Number));
    expect(lines[0].tokens_in).toBeGreaterThan(0);
    expect(lines[0].tokens_out).toBeGreaterThan(0);
  });

  it('never logs a caller key, an Authorization value or a provider key', async () => {
    await chat({ authorization: 'Bearer dev-key' });
    await chat({ 'x-api-key': 'dev-key' });
    await chat({ authorization: 'Bearer not-a-real-key-999' });
    const text = gateway.rawLogs();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain('dev-key');
    expect(text).not.toContain('not-a-real-key-999');
    expect(text).not.toContain('sk-provider-secret-123');
    expect(text.toLowerCase()).not.toContain('bearer');
  });

  it('serves Prometheus metrics with process defaults and the request histogram', async () => {
    await chat({ authorization: 'Bearer dev-key' });
    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions",status="200"\} \d+/,
    );
    expect(text).toMatch(/llm_requests_total\{provider="mock",model="echo",outcome="success"\} \d+/);
    expect(text).toMatch(/llm_tokens_total\{provider="mock",model="echo",type="input"\} \d+/);
  });

  it('serves the OpenAPI document and Swagger UI at /docs', async () => {
    const ui = await fetch(`${gateway.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/chat/completions', '/health/live', '/health/ready']),
    );
    expect(document.components.schemas.ChatCompletionRequestDto.required).toEqual(
      expect.arrayContaining(['model', 'messages']),
    );
  });
});
