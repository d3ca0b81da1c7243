import { randomBytes } from 'node:crypto';
import { writeCallersFile } from './helpers/callers';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { watchLiveness } from './helpers/liveness';

const SCHEMA_PARAM = 'response_format.json_schema.schema';

function structured(schema: unknown, model = 'mock/echo') {
  return {
    model,
    messages: [{ role: 'user', content: 'answer in JSON' }],
    response_format: { type: 'json_schema', json_schema: { name: 'attack', schema } },
  };
}

/** Sends `body` while probing /health/live; the slowest probe must stay under a second. */
async function underWatch(gateway: TestGateway, body: unknown): Promise<Response> {
  const watch = watchLiveness(gateway.url);
  const response = await postJson(`${gateway.url}/v1/chat/completions`, body, {
    authorization: 'Bearer dev-key',
    'x-cache-mode': 'bypass',
  });
  await response.clone().arrayBuffer();
  expect(await watch.stop()).toBeLessThan(1000);
  return response;
}

async function expectError(response: Response, status: number, code: string, param?: string) {
  expect(response.status).toBe(status);
  const body = await errorOf(response);
  expect(body.error.code).toBe(code);
  if (param) expect(body.error.param).toBe(param);
  return body.error.message;
}

describe('attacks through caller-supplied JSON Schemas', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      RETRY_MAX_ATTEMPTS: '1',
      MAX_SCHEMA_BYTES: '1048576',
      MAX_BODY_BYTES: '2097152',
      MAX_JSON_DEPTH: '500',
    });
  });
  afterAll(() => gateway.close());

  it('refuses an array of 3,000,000 items in the mock with a 502 naming the bound, without building it', async () => {
    const response = await underWatch(
      gateway,
      structured({
        type: 'object',
        properties: { list: { type: 'array', items: { type: 'integer' }, minItems: 3_000_000 } },
        required: ['list'],
      }),
    );
    expect(await expectError(response, 502, 'PROVIDER_ERROR')).toMatch(/minItems|items/);
  });

  it('refuses a 20,000,000-character string in the mock with a 502 naming the bound', async () => {
    const response = await underWatch(
      gateway,
      structured({
        type: 'object',
        properties: { text: { type: 'string', minLength: 20_000_000 } },
        required: ['text'],
      }),
    );
    expect(await expectError(response, 502, 'PROVIDER_ERROR')).toMatch(/minLength|characters/);
  });

  it('refuses a schema whose references multiply its instance past the answer budget', async () => {
    const $defs: Record<string, unknown> = { d0: { type: 'string', minLength: 10_000 } };
    for (let i = 1; i <= 12; i++) {
      $defs[`d${i}`] = {
        type: 'object',
        properties: { a: { $ref: `#/$defs/d${i - 1}` }, b: { $ref: `#/$defs/d${i - 1}` } },
        required: ['a', 'b'],
      };
    }
    const response = await underWatch(gateway, structured({ $defs, $ref: '#/$defs/d12' }));
    expect(await expectError(response, 502, 'PROVIDER_ERROR')).toMatch(/bytes/);
  });

  it('checks a catastrophic-backtracking pattern in linear time (502 after the invalid answer, no stall)', async () => {
    const started = performance.now();
    const response = await underWatch(
      gateway,
      structured({
        type: 'object',
        properties: { word: { type: 'string', pattern: '^(a+)+$', default: `${'a'.repeat(30)}!` } },
        required: ['word'],
      }),
    );
    expect(await expectError(response, 502, 'PROVIDER_ERROR')).toContain('pattern');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('answers 400 naming the schema for a pattern RE2 cannot run (a backreference)', async () => {
    const response = await underWatch(
      gateway,
      structured({ type: 'object', properties: { w: { type: 'string', pattern: '^(a)\\1$' } } }),
    );
    await expectError(response, 400, 'INVALID_REQUEST', SCHEMA_PARAM);
  });

  it('answers 400 for a 0.9 MB schema of 20,000 patterns before compiling it', async () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) properties[`p${i}`] = { type: 'string', pattern: `^(x+)+y${i}$` };
    const response = await underWatch(gateway, structured({ type: 'object', properties }));
    expect(await expectError(response, 400, 'INVALID_REQUEST', SCHEMA_PARAM)).toMatch(/at most/);
  });

  it('answers 400 for a schema nested deeper than the budget', async () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 100; i++) schema = { type: 'array', items: schema };
    const response = await underWatch(gateway, structured(schema));
    expect(await expectError(response, 400, 'INVALID_REQUEST', SCHEMA_PARAM)).toMatch(/deep/);
  });
});

describe('MAX_SCHEMA_BYTES', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MAX_SCHEMA_BYTES: '1024' });
  });
  afterAll(() => gateway.close());

  it('answers 400 naming the schema and the setting for a schema over it', async () => {
    const response = await underWatch(gateway, structured({ type: 'object', description: 'x'.repeat(2000) }));
    expect(await expectError(response, 400, 'INVALID_REQUEST', SCHEMA_PARAM)).toContain('MAX_SCHEMA_BYTES');
  });

  it('still answers a schema under it', async () => {
    const response = await underWatch(
      gateway,
      structured({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }),
    );
    expect(response.status).toBe(200);
  });
});

describe('the mock provider in production', () => {
  const key = randomBytes(24).toString('base64url');
  const production = {
    NODE_ENV: 'production',
    CALLERS_FILE: writeCallersFile([{ id: 'prod', key, role: 'admin' }]),
  };
  const echo = { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] };

  it('is off: mock/echo answers 400 PROVIDER_NOT_CONFIGURED saying how to turn it on', async () => {
    const gateway = await startGateway(production);
    try {
      const response = await postJson(`${gateway.url}/v1/chat/completions`, echo, {
        authorization: `Bearer ${key}`,
      });
      const message = await expectError(response, 400, 'PROVIDER_NOT_CONFIGURED');
      expect(message).toContain('MOCK_PROVIDER_ENABLED=true');
      expect(message).not.toContain('MOCK_API_KEY');
    } finally {
      await gateway.close();
    }
  });

  it('answers 200 with MOCK_PROVIDER_ENABLED=true', async () => {
    const gateway = await startGateway({ ...production, MOCK_PROVIDER_ENABLED: 'true' });
    try {
      const response = await postJson(`${gateway.url}/v1/chat/completions`, echo, {
        authorization: `Bearer ${key}`,
      });
      expect(response.status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
