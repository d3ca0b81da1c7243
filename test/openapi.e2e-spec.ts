import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from '@breakwater/contracts';
import { TestGateway, postJson, startGateway } from './helpers/gateway';
import { RedisServer, startRedis } from './helpers/redis-server';

/** The contract's "Request headers" that a chat completion honours. */
const CHAT_REQUEST_HEADERS = [
  'x-request-id',
  'x-processing-mode',
  'x-cache-mode',
  'x-cache-ttl',
  'x-cache-key',
  'x-fallback-models',
  'x-end-user',
  'x-callback-url',
  'idempotency-key',
];
const RATE_LIMIT_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];
const ERROR_SCHEMA_REF = '#/components/schemas/ErrorBody';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;
const VALID = { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] };
const AUTH = { authorization: 'Bearer dev-key' };

interface Operation {
  method: string;
  path: string;
  operation: OperationObject;
}

function isReference(value: object): value is ReferenceObject {
  return '$ref' in value;
}

function operationsOf(document: OpenAPIObject): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ method, path, operation }] : [];
    }),
  );
}

function responseOf(operation: OperationObject, status: number): ResponseObject {
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`no ${status} response`);
  if (isReference(response)) throw new Error(`${status} is a bare $ref`);
  return response;
}

function jsonSchemaOf(response: ResponseObject): SchemaObject | ReferenceObject {
  const schema = response.content?.['application/json']?.schema;
  if (!schema) throw new Error('no application/json schema');
  return schema;
}

function headerParametersOf(operation: OperationObject): ParameterObject[] {
  return (operation.parameters ?? []).filter(
    (parameter): parameter is ParameterObject => !isReference(parameter) && parameter.in === 'header',
  );
}

/** The error codes a documented error response says it carries (one example per code). */
function codesOf(response: ResponseObject): string[] {
  return Object.keys(response.content?.['application/json']?.examples ?? {});
}

/** Every `$ref` anywhere in the document. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsIn(inner, found);
    }
  }
  return found;
}

describe('the OpenAPI document at /docs-json says what the gateway really does', () => {
  let redis: RedisServer;
  let gateway: TestGateway;
  let document: OpenAPIObject;
  let ajv: Ajv;

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startGateway({ REDIS_URL: redis.url, MAX_BODY_BYTES: '4096' });
    const response = await fetch(`${gateway.url}/docs-json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenAPIObject;
    // OpenAPI 3.0 schema objects are JSON Schema plus annotations (example, nullable: Ajv knows it).
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: document.components }, 'openapi');
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
  });

  const chat = (): OperationObject => {
    const operation = document.paths['/v1/chat/completions']?.post;
    if (!operation) throw new Error('POST /v1/chat/completions is not documented');
    return operation;
  };
  const v1Operations = (): Operation[] =>
    operationsOf(document).filter(({ path }) => path.startsWith('/v1/'));
  const validatorOf = (schema: SchemaObject | ReferenceObject): ValidateFunction => {
    const ref = isReference(schema) ? schema.$ref : undefined;
    if (!ref) return ajv.compile(schema);
    return ajv.compile({ $ref: `openapi${ref}` });
  };

  it('declares the keys as opaque bearer tokens or an x-api-key header, never as JWTs', () => {
    expect(JSON.stringify(document)).not.toContain('JWT');
    const schemes = document.components?.securitySchemes ?? {};
    expect(schemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(schemes.bearer).not.toHaveProperty('bearerFormat');
    expect(schemes['x-api-key']).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    );
    for (const { method, path, operation } of v1Operations()) {
      // Two requirement objects: either one authenticates.
      expect({ method, path, security: operation.security }).toEqual({
        method,
        path,
        security: expect.arrayContaining([{ bearer: [] }, { 'x-api-key': [] }]),
      });
    }
  });

  it('POST /v1/chat/completions lists each request header of the contract', () => {
    const names = headerParametersOf(chat()).map((parameter) => parameter.name.toLowerCase());
    expect(names).toEqual(expect.arrayContaining(CHAT_REQUEST_HEADERS));
    const mode = headerParametersOf(chat()).find((parameter) => parameter.name === 'x-processing-mode');
    expect(mode?.schema).toEqual(
      expect.objectContaining({ enum: ['queue_if_unavailable', 'immediate', 'async'] }),
    );
  });

  it('POST /v1/chat/completions documents the 200 chat.completion (JSON or event stream) and the 202 body with their headers', () => {
    const ok = responseOf(chat(), 200);
    expect(Object.keys(ok.headers ?? {})).toEqual(
      expect.arrayContaining(['x-request-id', 'x-cache', 'x-provider', 'x-model', ...RATE_LIMIT_HEADERS]),
    );
    expect(jsonSchemaOf(ok)).toEqual({ $ref: '#/components/schemas/ChatCompletion' });
    expect(ok.content?.['text/event-stream']?.schema).toMatchObject({ type: 'string' });
    const accepted = responseOf(chat(), 202);
    expect(Object.keys(accepted.headers ?? {})).toEqual(
      expect.arrayContaining(['x-request-id', 'Location', 'Retry-After', ...RATE_LIMIT_HEADERS]),
    );
    expect(jsonSchemaOf(accepted)).toEqual({ $ref: '#/components/schemas/AcceptedBody' });
  });

  it('POST /v1/chat/completions lists 400, 401, 413, 429, 502 and 503 with the error schema and their codes', () => {
    const expected: Record<number, ErrorCode[]> = {
      400: ['INVALID_REQUEST', 'PROVIDER_NOT_CONFIGURED'],
      401: ['UNAUTHORIZED'],
      413: ['PAYLOAD_TOO_LARGE'],
      429: ['RATE_LIMITED', 'BUDGET_EXCEEDED'],
      502: ['PROVIDER_ERROR'],
      503: ['PROVIDER_UNAVAILABLE', 'QUEUE_FULL'],
    };
    for (const [status, codes] of Object.entries(expected)) {
      const response = responseOf(chat(), Number(status));
      expect(jsonSchemaOf(response)).toEqual({ $ref: ERROR_SCHEMA_REF });
      expect({ status, codes: codesOf(response) }).toEqual({ status, codes: expect.arrayContaining(codes) });
    }
    for (const status of [429, 503]) {
      expect(Object.keys(responseOf(chat(), status).headers ?? {})).toContain('Retry-After');
    }
  });

  it('names one error schema, shaped as the contract says, whose examples match the error table', () => {
    const schema = document.components?.schemas?.ErrorBody;
    expect(schema).toBeDefined();
    const validate = validatorOf({ $ref: ERROR_SCHEMA_REF });
    const error = (code: string, extra: object = {}) => ({
      error: { code, message: 'm', type: 'invalid_request_error', ...extra },
      request_id: 'r',
    });
    expect(validate(error('INVALID_REQUEST', { param: 'messages' }))).toBe(true);
    expect(validate({ ...error('QUEUE_FULL'), retry_after: 30 })).toBe(true);
    expect(validate(error('NOT_A_CODE'))).toBe(false);
    expect(validate({ error: { code: 'INTERNAL', message: 'm' }, request_id: 'r' })).toBe(false);
    expect(validate({ error: { code: 'INTERNAL', message: 'm', type: 't' } })).toBe(false);

    for (const { method, path, operation } of v1Operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || Number(status) < 400 || isReference(response)) continue;
        const where = `${method} ${path} ${status}`;
        expect({ where, schema: jsonSchemaOf(response) }).toEqual({
          where,
          schema: { $ref: ERROR_SCHEMA_REF },
        });
        const examples = response.content?.['application/json']?.examples ?? {};
        expect({ where, count: Object.keys(examples).length > 0 }).toEqual({ where, count: true });
        for (const [code, example] of Object.entries(examples)) {
          const entry = ERROR_CODES[code as ErrorCode];
          expect({ where, code, status: entry?.status }).toEqual({ where, code, status: Number(status) });
          const value = isReference(example) ? undefined : (example.value as unknown);
          expect(validate(value)).toBe(true);
          expect(value).toMatchObject({ error: { code, type: entry.type } });
        }
      }
    }
  });

  it('every /v1 operation documents the 401, 500, and the 400 and 404 its input can cause', () => {
    const operations = v1Operations();
    expect(operations.length).toBeGreaterThanOrEqual(7);
    for (const { method, path, operation } of operations) {
      const statuses = Object.keys(operation.responses).map(Number);
      const expected = [401, 500];
      const parameters = (operation.parameters ?? []).filter(
        (parameter): parameter is ParameterObject => !isReference(parameter),
      );
      if (parameters.some((parameter) => parameter.in === 'path')) expected.push(400, 404);
      if (operation.requestBody) expected.push(400, 413, 415);
      expect({ method, path, statuses }).toEqual({
        method,
        path,
        statuses: expect.arrayContaining(expected),
      });
      expect({
        method,
        path,
        x: Object.keys(responseOf(operation, statuses.find((s) => s < 300) ?? 0).headers ?? {}),
      }).toEqual({ method, path, x: expect.arrayContaining(['x-request-id', ...RATE_LIMIT_HEADERS]) });
      expect(headerParametersOf(operation).map((parameter) => parameter.name)).toContain('x-request-id');
    }
  });

  it('GET /v1/results/:queue_id documents 200, 202 with the status body and Retry-After, 410 and 502', () => {
    const operation = document.paths['/v1/results/{queue_id}']?.get;
    if (!operation) throw new Error('GET /v1/results/{queue_id} is not documented');
    expect(jsonSchemaOf(responseOf(operation, 200))).toEqual({ $ref: '#/components/schemas/ChatCompletion' });
    const pending = responseOf(operation, 202);
    expect(jsonSchemaOf(pending)).toEqual({ $ref: '#/components/schemas/JobStatusBody' });
    expect(Object.keys(pending.headers ?? {})).toContain('Retry-After');
    expect(codesOf(responseOf(operation, 410))).toEqual(['EXPIRED']);
    expect(codesOf(responseOf(operation, 502))).toEqual(['PROVIDER_ERROR']);
  });

  it('is a well-formed OpenAPI 3.0 document: every $ref resolves, path parameters are declared, ids are unique', () => {
    expect(document.openapi).toMatch(/^3\.0\.\d+$/);
    expect(typeof document.info.title).toBe('string');
    expect(typeof document.info.version).toBe('string');
    for (const ref of refsIn(document)) {
      const [, section, name] = /^#\/components\/(\w+)\/(.+)$/.exec(ref) ?? [];
      const components = document.components as Record<string, Record<string, unknown> | undefined>;
      expect({ ref, found: Boolean(section && components[section]?.[name]) }).toEqual({ ref, found: true });
    }
    const ids = operationsOf(document).map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, operation } of operationsOf(document)) {
      const declared = (operation.parameters ?? [])
        .filter(
          (parameter): parameter is ParameterObject => !isReference(parameter) && parameter.in === 'path',
        )
        .map((parameter) => parameter.name)
        .sort();
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
      expect({ method, path, declared }).toEqual({ method, path, declared: templated });
      for (const parameter of operation.parameters ?? []) {
        if (isReference(parameter)) continue;
        expect(['query', 'header', 'path', 'cookie']).toContain(parameter.in);
        expect(parameter.schema ?? parameter.content).toBeDefined();
        if (parameter.in === 'path') expect(parameter.required).toBe(true);
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(status).toMatch(/^([1-5]\d\d|default)$/);
        if (response && !isReference(response)) expect(typeof response.description).toBe('string');
      }
    }
  });

  /** Asserts `response` has `status`, its body the schema documented for it, and an error code listed there. */
  async function expectDocumented(response: Response, status: number, route: string): Promise<void> {
    const [method, path] = route.split(' ');
    const operation = document.paths[path]?.[method as (typeof METHODS)[number]];
    if (!operation) throw new Error(`${route} is not documented`);
    expect({ route, status: response.status }).toEqual({ route, status });
    const documented = responseOf(operation, status);
    const validate = validatorOf(jsonSchemaOf(documented));
    const body: unknown = await response.json();
    expect({ route, status, valid: validate(body), errors: validate.errors }).toEqual({
      route,
      status,
      valid: true,
      errors: null,
    });
    if (status >= 400) {
      // Valid against ErrorBody, so it has error.code: one of the codes this status documents.
      const { code } = (body as { error: { code: string } }).error;
      expect({ route, status, codes: codesOf(documented) }).toEqual({
        route,
        status,
        codes: expect.arrayContaining([code]),
      });
    }
  }

  it('real answers match their documented schemas', async () => {
    const chatUrl = `${gateway.url}/v1/chat/completions`;
    const chatRoute = 'post /v1/chat/completions';
    await expectDocumented(await postJson(chatUrl, VALID), 200, chatRoute);
    const queued = await postJson(chatUrl, VALID, { ...AUTH, 'x-processing-mode': 'async' });
    const { queue_id: queueId } = (await queued.clone().json()) as { queue_id: string };
    await expectDocumented(queued, 202, chatRoute);
    const status = await fetch(`${gateway.url}/v1/status/${queueId}`, { headers: AUTH });
    await expectDocumented(status, 200, 'get /v1/status/{queue_id}');
    const result = await fetch(`${gateway.url}/v1/results/${queueId}`, { headers: AUTH });
    await expectDocumented(result, result.status === 202 ? 202 : 200, 'get /v1/results/{queue_id}');
    const providers = await fetch(`${gateway.url}/v1/providers`, { headers: AUTH });
    await expectDocumented(providers, 200, 'get /v1/providers');
    const tested = await fetch(`${gateway.url}/v1/providers/mock/test`, { method: 'POST', headers: AUTH });
    await expectDocumented(tested, 200, 'post /v1/providers/{provider}/test');
    const failed = await fetch(`${gateway.url}/v1/providers/openai/test`, { method: 'POST', headers: AUTH });
    await expectDocumented(failed, 200, 'post /v1/providers/{provider}/test');
    await expectDocumented(await fetch(`${gateway.url}/v1/usage`, { headers: AUTH }), 200, 'get /v1/usage');
    await expectDocumented(await fetch(`${gateway.url}/v1/models`, { headers: AUTH }), 200, 'get /v1/models');
    const batch = await postJson(`${gateway.url}/v1/batch`, { requests: [VALID, { model: 'x' }] });
    await expectDocumented(batch, 200, 'post /v1/batch');
    const deleted = await fetch(`${gateway.url}/v1/cache`, { method: 'DELETE', headers: AUTH });
    await expectDocumented(deleted, 200, 'delete /v1/cache');
  });

  it('POST /v1/embeddings documents its 200 list and errors, and its real answers match them', async () => {
    const operation = document.paths['/v1/embeddings']?.post;
    if (!operation) throw new Error('POST /v1/embeddings is not documented');
    const ok = responseOf(operation, 200);
    expect(jsonSchemaOf(ok)).toEqual({ $ref: '#/components/schemas/EmbeddingList' });
    expect(Object.keys(ok.headers ?? {})).toEqual(expect.arrayContaining(['x-provider', 'x-model']));
    expect(codesOf(responseOf(operation, 400))).toEqual(expect.arrayContaining(['INVALID_REQUEST']));
    expect(codesOf(responseOf(operation, 503))).toEqual(['PROVIDER_UNAVAILABLE', 'QUEUE_FULL']);
    expect(jsonSchemaOf(responseOf(operation, 202))).toEqual({ $ref: '#/components/schemas/AcceptedBody' });
    expect(Object.keys(ok.headers ?? {})).toContain('x-cache');
    const url = `${gateway.url}/v1/embeddings`;
    const route = 'post /v1/embeddings';
    const floats = await postJson(url, { model: 'mock/echo', input: ['a', 'b'], encoding_format: 'float' });
    await expectDocumented(floats, 200, route);
    const encoded = await postJson(url, { model: 'mock/echo', input: 'a', encoding_format: 'base64' });
    await expectDocumented(encoded, 200, route);
    await expectDocumented(await postJson(url, { model: 'mock/echo', input: [[1, 2]] }), 400, route);
  });

  it('real error answers carry a status and a code their operation documents', async () => {
    const chatUrl = `${gateway.url}/v1/chat/completions`;
    const chatRoute = 'post /v1/chat/completions';
    await expectDocumented(await postJson(chatUrl, VALID, {}), 401, chatRoute);
    await expectDocumented(await postJson(chatUrl, { ...VALID, messages: [] }), 400, chatRoute);
    const unconfigured = await postJson(chatUrl, { ...VALID, model: 'openai/gpt-4o-mini' });
    await expectDocumented(unconfigured, 400, chatRoute);
    const badMode = await postJson(chatUrl, VALID, { ...AUTH, 'x-processing-mode': 'sometimes' });
    await expectDocumented(badMode, 400, chatRoute);
    const big = { ...VALID, messages: [{ role: 'user', content: 'x'.repeat(5000) }] };
    await expectDocumented(await postJson(chatUrl, big), 413, chatRoute);
    const text = await fetch(chatUrl, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'text/plain' },
      body: 'hi',
    });
    await expectDocumented(text, 415, chatRoute);
    const badBatch = await postJson(`${gateway.url}/v1/batch`, { requests: 'no' });
    await expectDocumented(badBatch, 400, 'post /v1/batch');
    const notUuid = await fetch(`${gateway.url}/v1/status/not-a-uuid`, { headers: AUTH });
    await expectDocumented(notUuid, 400, 'get /v1/status/{queue_id}');
    const unknownStatus = await fetch(`${gateway.url}/v1/status/${crypto.randomUUID()}`, { headers: AUTH });
    await expectDocumented(unknownStatus, 404, 'get /v1/status/{queue_id}');
    const unknownResult = await fetch(`${gateway.url}/v1/results/${crypto.randomUUID()}`, { headers: AUTH });
    await expectDocumented(unknownResult, 404, 'get /v1/results/{queue_id}');
    const nobody = await fetch(`${gateway.url}/v1/usage?caller=nobody`, { headers: AUTH });
    await expectDocumented(nobody, 404, 'get /v1/usage');
    await expectDocumented(await fetch(`${gateway.url}/v1/providers`), 401, 'get /v1/providers');
    await expectDocumented(await fetch(`${gateway.url}/v1/models`), 401, 'get /v1/models');
    const testRoute = 'post /v1/providers/{provider}/test';
    const unknown = await fetch(`${gateway.url}/v1/providers/acme/test`, { method: 'POST', headers: AUTH });
    await expectDocumented(unknown, 404, testRoute);
    const noModel = await fetch(`${gateway.url}/v1/providers/replay/test`, { method: 'POST', headers: AUTH });
    await expectDocumented(noModel, 400, testRoute);
    const twice = await fetch(`${gateway.url}/v1/cache?key=a&key=b`, { method: 'DELETE', headers: AUTH });
    await expectDocumented(twice, 400, 'delete /v1/cache');
  });
});
