import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';

const VALID = { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] };

describe('bad input gets the contract error JSON with a 4xx, never a 5xx', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MAX_BODY_BYTES: '4096' });
  });
  afterAll(() => gateway.close());

  const url = () => `${gateway.url}/v1/chat/completions`;

  async function expectError(response: Response, status: number, code: string, param?: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = await errorOf(response);
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
    expect(typeof body.error.type).toBe('string');
    expect(body.request_id).toBe(response.headers.get('x-request-id'));
    if (param) expect(body.error.param).toBe(param);
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    return body;
  }

  it('401 without a key, with an unknown key, and with a malformed Authorization header', async () => {
    await expectError(await postJson(url(), VALID, {}), 401, 'UNAUTHORIZED');
    await expectError(
      await postJson(url(), VALID, { authorization: 'Bearer wrong-key' }),
      401,
      'UNAUTHORIZED',
    );
    await expectError(await postJson(url(), VALID, { 'x-api-key': 'wrong-key' }), 401, 'UNAUTHORIZED');
    await expectError(
      await postJson(url(), VALID, { authorization: 'Basic ZGV2OmRldi1rZXk=' }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('400 for malformed JSON, an empty body, and a body that is not an object', async () => {
    await expectError(await postJson(url(), '{"model": "mock/echo", '), 400, 'INVALID_REQUEST');
    await expectError(await postJson(url(), ''), 400, 'INVALID_REQUEST');
    await expectError(await postJson(url(), '[1, 2]'), 400, 'INVALID_REQUEST', 'body');
    await expectError(await postJson(url(), '"text"'), 400, 'INVALID_REQUEST', 'body');
  });

  it('413 for a body over MAX_BODY_BYTES', async () => {
    const big = { ...VALID, messages: [{ role: 'user', content: 'x'.repeat(5000) }] };
    const body = await expectError(await postJson(url(), big), 413, 'PAYLOAD_TOO_LARGE');
    expect(body.error.message).toContain('MAX_BODY_BYTES');
  });

  it('415 for a body that is not JSON', async () => {
    const response = await fetch(url(), {
      method: 'POST',
      headers: { authorization: 'Bearer dev-key', 'content-type': 'text/plain' },
      body: 'hello',
    });
    await expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['missing model', { messages: VALID.messages }, 'model'],
    ['model of the wrong type', { ...VALID, model: 42 }, 'model'],
    ['missing messages', { model: 'mock/echo' }, 'messages'],
    ['empty messages', { ...VALID, messages: [] }, 'messages'],
    ['messages not an array', { ...VALID, messages: 'hi' }, 'messages'],
    [
      'a role outside the OpenAI set',
      { ...VALID, messages: [{ role: 'wizard', content: 'x' }] },
      'messages[0].role',
    ],
    [
      'content of the wrong type',
      { ...VALID, messages: [{ role: 'user', content: 5 }] },
      'messages[0].content',
    ],
    [
      'null content from a user',
      { ...VALID, messages: [{ role: 'user', content: null }] },
      'messages[0].content',
    ],
    ['temperature above 2', { ...VALID, temperature: 2.5 }, 'temperature'],
    ['temperature below 0', { ...VALID, temperature: -1 }, 'temperature'],
    ['temperature as a string', { ...VALID, temperature: 'hot' }, 'temperature'],
    ['max_tokens of 0', { ...VALID, max_tokens: 0 }, 'max_tokens'],
    ['fractional max_tokens', { ...VALID, max_tokens: 1.5 }, 'max_tokens'],
    ['top_p above 1', { ...VALID, top_p: 1.5 }, 'top_p'],
    ['an unknown response_format', { ...VALID, response_format: { type: 'xml' } }, 'response_format.type'],
    [
      'a json_schema without a name',
      { ...VALID, response_format: { type: 'json_schema', json_schema: {} } },
      'response_format.json_schema.name',
    ],
    ['stream as a string', { ...VALID, stream: 'yes' }, 'stream'],
    [
      'stream_options.include_usage as a string',
      { ...VALID, stream: true, stream_options: { include_usage: 'yes' } },
      'stream_options.include_usage',
    ],
    ['stop with five entries', { ...VALID, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
  ])('400 naming the field for %s', async (_name, body, param) => {
    const error = await expectError(await postJson(url(), body), 400, 'INVALID_REQUEST', param);
    expect(error.error.message).toContain(param);
  });

  it('404 in the contract shape for an unknown route, and 405-free for unknown methods', async () => {
    await expectError(await fetch(`${gateway.url}/v1/nothing-here`), 404, 'NOT_FOUND');
    await expectError(await fetch(url(), { method: 'GET' }), 404, 'NOT_FOUND');
  });

  it('stays up after all of the above', async () => {
    expect((await postJson(url(), VALID)).status).toBe(200);
  });
});
