import { z } from 'zod';
import { OPENAI_CHAT_FIELDS } from '@breakwater/contracts';
import { TestGateway, errorOf, postJson, startGateway } from '../helpers/gateway';
import { AnthropicStub, startAnthropicStub } from '../helpers/stubs/anthropic.stub';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';
import { Weather } from './compat-gateway';

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hello body' }],
  ...extra,
});

describe("OpenAI's chat body as clients send it", () => {
  let openai: OpenAiStub;
  let anthropic: AnthropicStub;
  let gateway: TestGateway;
  let url: string;

  beforeAll(async () => {
    openai = await startOpenAiStub();
    anthropic = await startAnthropicStub();
    gateway = await startGateway({
      OPENAI_API_KEY: 'sk-test-body-secret',
      OPENAI_BASE_URL: openai.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-test-body-secret',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    });
    url = `${gateway.url}/v1/chat/completions`;
  });
  afterAll(async () => {
    await gateway.close();
    await openai.stop();
    await anthropic.stop();
  });
  beforeEach(() => {
    openai.server.requests.length = 0;
    anthropic.server.requests.length = 0;
  });

  /** The body the gateway's last request to the OpenAI stub carried. */
  const sentToOpenAi = () => openai.server.requests.at(-1)?.body as Record<string, unknown> | undefined;
  const requestLine = (requestId: string) =>
    gateway.logs.find((line) => line.msg === 'request completed' && line.request_id === requestId);

  describe('null as absent', () => {
    const optional = OPENAI_CHAT_FIELDS.filter((field) => field !== 'model' && field !== 'messages');
    const allNull = Object.fromEntries(optional.map((field) => [field, null]));

    it.each(['mock/echo', 'openai/gpt-4o-mini'])(
      'answers 200 with every optional field null (%s)',
      async (model) => {
        const response = await postJson(url, ask(model, allNull));
        expect(response.status).toBe(200);
        expect(response.headers.get('x-breakwater-dropped-params')).toBeNull();
      },
    );

    it('answers 200 for stop: null twice, the second from the cache', async () => {
      const body = ask('mock/echo', { stop: null, temperature: null });
      const first = await postJson(url, body);
      expect(first.status).toBe(200);
      const again = await postJson(url, body);
      expect(again.headers.get('x-cache')).toBe('HIT');
    });

    it('takes nulls in a batch item too', async () => {
      const response = await postJson(`${gateway.url}/v1/batch`, { requests: [ask('mock/echo', allNull)] });
      const { results } = (await response.json()) as { results: { status: number }[] };
      expect(results.map((result) => result.status)).toEqual([200]);
    });

    it('still refuses a null model or messages, naming the field', async () => {
      const response = await postJson(url, { model: 'mock/echo', messages: null });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).error.message).toContain('messages');
    });
  });

  describe('JSON Schema drafts', () => {
    const structured = (schema: unknown) =>
      ask('openai/gpt-4o-mini', {
        response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
      });

    it('takes the 2020-12 schema zod 4 writes, and validates the answer against it', async () => {
      const schema = z.toJSONSchema(Weather);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      const response = await postJson(url, structured(schema));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      expect(Weather.safeParse(JSON.parse(body.choices[0].message.content)).success).toBe(true);
    });

    it('takes 2019-09', async () => {
      const schema = {
        ...z.toJSONSchema(Weather, { target: 'draft-7' }),
        $schema: 'https://json-schema.org/draft/2019-09/schema',
      };
      expect((await postJson(url, structured(schema))).status).toBe(200);
    });

    it('refuses draft-04 with a 400 naming the draft and the field, before any provider call', async () => {
      const response = await postJson(
        url,
        structured({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }),
      );
      expect(response.status).toBe(400);
      const { error } = await errorOf(response);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain('draft-04');
      expect(error.message).toContain('response_format.json_schema.schema.$schema');
      expect(openai.server.requests).toHaveLength(0);
    });
  });

  describe('pass-through to OpenAI-compatible providers', () => {
    it("forwards OpenAI's fields and vendor extensions as sent, and never the caller's stream_options", async () => {
      const extra = {
        logprobs: true,
        top_logprobs: 2,
        parallel_tool_calls: false,
        service_tier: 'flex',
        store: false,
        metadata: { team: 'compat' },
        logit_bias: { '50256': -100 },
        reasoning_effort: 'low',
        verbosity: 'low',
        prediction: { type: 'content', content: 'draft' },
        modalities: ['text'],
        provider: { order: ['openai'], allow_fallbacks: false },
      };
      const response = await postJson(
        url,
        ask('openai/gpt-4o-mini', { ...extra, stream_options: { include_usage: true } }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('x-breakwater-dropped-params')).toBeNull();
      const sent = sentToOpenAi();
      expect(sent).toMatchObject({ model: 'gpt-4o-mini', ...extra });
      expect(sent).not.toHaveProperty('stream_options');
      expect(sent).not.toHaveProperty('stream');
    });

    it('refuses more vendor fields than the bound, naming the field', async () => {
      const extras = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`vendor_${i}`, i]));
      const response = await postJson(url, ask('openai/gpt-4o-mini', extras));
      expect(response.status).toBe(400);
      expect((await errorOf(response)).error.message).toContain('outside');
      expect(openai.server.requests).toHaveLength(0);
    });

    it('sends max_completion_tokens to a reasoning model and names the sampling fields it dropped', async () => {
      const response = await postJson(
        url,
        ask('openai/o3-mini', { max_tokens: 50, temperature: 0.2, top_p: 0.5, seed: 1 }),
        { authorization: 'Bearer dev-key', 'x-request-id': 'compat-reasoning' },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('x-breakwater-dropped-params')).toBe('temperature,top_p');
      const sent = sentToOpenAi();
      expect(sent).toMatchObject({ model: 'o3-mini', max_completion_tokens: 50, seed: 1 });
      expect(sent).not.toHaveProperty('max_tokens');
      expect(sent).not.toHaveProperty('temperature');
      expect(sent).not.toHaveProperty('top_p');
      expect(requestLine('compat-reasoning')).toMatchObject({ dropped_params: ['temperature', 'top_p'] });
    });
  });

  describe('fields Anthropic has no equivalent for', () => {
    it('maps what it has, leaves out the rest and names it in the header and the log line', async () => {
      const response = await postJson(
        url,
        ask('anthropic/claude-sonnet-4-5', {
          temperature: 0.5,
          max_tokens: 30,
          seed: 7,
          logprobs: true,
          provider: { order: ['x'] },
        }),
        { authorization: 'Bearer dev-key', 'x-request-id': 'compat-anthropic' },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('x-breakwater-dropped-params')).toBe('seed,logprobs,provider');
      const sent = anthropic.server.requests.at(-1)?.body as Record<string, unknown>;
      expect(sent).toMatchObject({ temperature: 0.5, max_tokens: 30 });
      for (const field of ['seed', 'logprobs', 'provider']) expect(sent).not.toHaveProperty(field);
      expect(requestLine('compat-anthropic')).toMatchObject({
        dropped_params: ['seed', 'logprobs', 'provider'],
      });
    });
  });
});
