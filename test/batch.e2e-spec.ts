import { TestGateway, postJson, startGateway } from './helpers/gateway';

interface BatchBody {
  results: {
    status: number;
    body: { choices?: { message: { content: string } }[]; error?: { code: string; param?: string } };
  }[];
}

describe('POST /v1/batch', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MOCK_LATENCY_MS: '100' });
  });
  afterAll(() => gateway.close());

  const batch = async (body: unknown, headers?: Record<string, string>) => {
    const response = await postJson(`${gateway.url}/v1/batch`, body, headers);
    return { status: response.status, body: (await response.json()) as BatchBody };
  };
  const item = (text: string) => ({ model: 'mock/echo', messages: [{ role: 'user', content: text }] });

  it('answers each item in order as the single endpoint would, in parallel', async () => {
    const started = Date.now();
    const { status, body } = await batch({
      requests: Array.from({ length: 16 }, (_, i) => item(`question ${i}`)),
    });
    expect(status).toBe(200);
    expect(body.results).toHaveLength(16);
    body.results.forEach((result, i) => {
      expect(result.status).toBe(200);
      expect(result.body.choices?.[0].message.content).toContain(`question ${i}`);
    });
    // 16 items of 100 ms, 8 at a time: about 200 ms, far from the 1.6 s of one by one.
    expect(Date.now() - started).toBeLessThan(1200);
  });

  it('fails only the bad items, naming their fields', async () => {
    const { status, body } = await batch({
      requests: [
        item('fine'),
        { model: 'mock/echo', messages: [] },
        'not an object',
        item('also fine'),
        { ...item('x'), model: 'nosuch/m' },
      ],
    });
    expect(status).toBe(200);
    expect(body.results.map((r) => r.status)).toEqual([200, 400, 400, 200, 400]);
    expect(body.results[1].body.error).toMatchObject({
      code: 'INVALID_REQUEST',
      param: 'requests[1].messages',
    });
    expect(body.results[2].body.error).toMatchObject({ code: 'INVALID_REQUEST', param: 'requests[2]' });
    expect(body.results[4].body.error).toMatchObject({ code: 'INVALID_REQUEST', param: 'model' });
  });

  it('refuses an empty batch, more than 100 items, and a body without requests', async () => {
    expect((await batch({ requests: [] })).status).toBe(400);
    const tooMany = await batch({ requests: Array.from({ length: 101 }, () => item('x')) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: { param: 'requests' } });
    expect((await batch({ items: [] })).status).toBe(400);
  });

  it('needs a key like every /v1 call', async () => {
    expect((await batch({ requests: [item('x')] }, {})).status).toBe(401);
  });
});

describe('GET /v1/providers', () => {
  it('lists every provider with configured, circuit state and priced models', async () => {
    const gateway = await startGateway({ ANTHROPIC_API_KEY: 'sk-ant-test' });
    try {
      const response = await fetch(`${gateway.url}/v1/providers`, {
        headers: { authorization: 'Bearer dev-key' },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        data: {
          id: string;
          configured: boolean;
          circuit: string;
          models: { id: string; input_usd_per_million: number }[];
        }[];
      };
      const byId = Object.fromEntries(body.data.map((p) => [p.id, p]));
      expect(Object.keys(byId).sort()).toEqual([
        'anthropic',
        'deepseek',
        'gemini',
        'mock',
        'openai',
        'openrouter',
        'replay',
      ]);
      expect(byId.replay).toMatchObject({ configured: false, models: [] });
      expect(byId.mock).toMatchObject({ configured: true, circuit: 'closed' });
      expect(byId.openai.configured).toBe(false);
      expect(byId.openai.models).toContainEqual(
        expect.objectContaining({ id: 'openai/gpt-4o-mini', input_usd_per_million: 0.15 }),
      );
      expect(JSON.stringify(body)).not.toContain('sk-ant-test');
    } finally {
      await gateway.close();
    }
  });
});
