import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import {
  API_KEY,
  CompatGateway,
  TARGETS,
  Weather,
  WeatherArgs,
  startCompatGateway,
} from './compat/compat-gateway';
import { eventually } from './helpers/eventually';
import { TestGateway, errorOf, postJson, startGateway } from './helpers/gateway';
import { AnthropicStub, startAnthropicStub } from './helpers/stubs/anthropic.stub';

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', minLength: 2 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
    required: ['city', 'days'],
    additionalProperties: false,
  },
  strict: true,
};

async function eventsOf(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

function expectSequenced(events: ResponseStreamEvent[]): void {
  expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
  expect(events.slice(0, 2).map((event) => event.type)).toEqual(['response.created', 'response.in_progress']);
}

describe('POST /v1/responses with the OpenAI SDK', () => {
  let compat: CompatGateway;
  let client: OpenAI;

  beforeAll(async () => {
    compat = await startCompatGateway();
    client = new OpenAI({ baseURL: compat.baseURL, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(() => compat.stop());

  describe.each(TARGETS)('against %s (%s)', (_target, model) => {
    it('answers a response object with the text, usage and the echoed settings', async () => {
      const response = await client.responses.create({
        model,
        instructions: 'Be brief.',
        input: 'hello responses',
        metadata: { tenant: 'acme' },
        temperature: 0.5,
      });
      expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
      expect(response.object).toBe('response');
      expect(response.status).toBe('completed');
      expect(response.output_text).toContain('hello responses');
      expect(response.output).toHaveLength(1);
      const [message] = response.output;
      expect(message.type === 'message' && message.content[0].type).toBe('output_text');
      expect(response.metadata).toEqual({ tenant: 'acme' });
      expect(response.instructions).toBe('Be brief.');
      expect(response.temperature).toBe(0.5);
      const usage = response.usage!;
      expect(usage.input_tokens).toBeGreaterThan(0);
      expect(usage.output_tokens).toBeGreaterThan(0);
      expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    });

    it('calls a function tool, then answers a second turn carrying its output', async () => {
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'weather in Paris' }];
      const first = await client.responses.create({
        model,
        input,
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'function', name: 'get_weather' },
      });
      const call = first.output.find((item) => item.type === 'function_call');
      if (call?.type !== 'function_call') throw new Error('no function_call item');
      expect(call.name).toBe('get_weather');
      expect(call.id).toMatch(/^fc_/);
      expect(WeatherArgs.safeParse(JSON.parse(call.arguments)).success).toBe(true);
      expect(first.output_text).toBe('');

      const second = await client.responses.create({
        model,
        input: [
          ...input,
          ...first.output.filter(
            (item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call',
          ),
          { type: 'function_call_output', call_id: call.call_id, output: '{"celsius": 21}' },
          { role: 'user', content: [{ type: 'input_text', text: 'so, a coat?' }] },
        ],
        tools: [WEATHER_TOOL],
      });
      expect(second.status).toBe('completed');
      expect(second.output.map((item) => item.type)).toEqual(['message']);
      expect(second.output_text).toContain('so, a coat?');
    });

    it('answers text.format json_schema with an object valid against the schema (responses.parse)', async () => {
      const response = await client.responses.parse({
        model,
        input: 'the weather in Paris',
        text: { format: zodTextFormat(Weather, 'weather') },
      });
      expect(response.output_parsed).not.toBeNull();
      expect(Weather.parse(response.output_parsed)).toEqual(response.output_parsed);
    });

    it('streams the Responses events in order, the deltas adding up to the completed response', async () => {
      const events = await eventsOf(
        await client.responses.create({ model, input: 'hello streamed responses', stream: true }),
      );
      expectSequenced(events);
      const types = events.map((event) => event.type);
      expect(types.slice(2, 4)).toEqual(['response.output_item.added', 'response.content_part.added']);
      expect(types.slice(-4)).toEqual([
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const text = events
        .map((event) => (event.type === 'response.output_text.delta' ? event.delta : ''))
        .join('');
      const completed = events.at(-1);
      if (completed?.type !== 'response.completed') throw new Error('no response.completed');
      expect(text).toContain('hello streamed responses');
      expect(completed.response.output_text).toBe(text);
      expect(completed.response.usage!.output_tokens).toBeGreaterThan(0);
      const added = events[2];
      expect(added.type === 'response.output_item.added' && added.item.id).toBe(
        completed.response.output[0].id,
      );
    });

    it('streams a function call as argument deltas (the SDK stream helper)', async () => {
      const stream = client.responses.stream({
        model,
        input: 'weather in Paris',
        tools: [WEATHER_TOOL],
        tool_choice: 'required',
      });
      const events = await eventsOf(stream);
      expectSequenced(events);
      const deltas = events
        .map((event) => (event.type === 'response.function_call_arguments.delta' ? event.delta : ''))
        .join('');
      const done = events.find((event) => event.type === 'response.function_call_arguments.done');
      expect(done?.type === 'response.function_call_arguments.done' && done.arguments).toBe(deltas);
      const final = await stream.finalResponse();
      const call = final.output.find((item) => item.type === 'function_call');
      expect(
        call?.type === 'function_call' && WeatherArgs.safeParse(JSON.parse(call.arguments)).success,
      ).toBe(true);
    });
  });

  it('ends a stream that breaks midway with an error event, then response.failed', async () => {
    compat.openai.server.replyOnce(compat.openai.streaming.failure.reply);
    const events = await eventsOf(
      await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'break, please', stream: true }),
    );
    expectSequenced(events);
    const [error, failed] = events.slice(-2);
    expect(error.type === 'error' && error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(failed.type === 'response.failed' && failed.response.status).toBe('failed');
    expect(events.some((event) => event.type === 'response.completed')).toBe(false);
  });
});

describe('POST /v1/responses: refusals, the queue and another provider', () => {
  let gateway: TestGateway;
  let anthropic: AnthropicStub;

  beforeAll(async () => {
    anthropic = await startAnthropicStub();
    gateway = await startGateway({
      ANTHROPIC_API_KEY: 'sk-test-anthropic-secret',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      RETRY_MAX_ATTEMPTS: '1',
    });
  });
  afterAll(async () => {
    await gateway.close();
    await anthropic.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(`${gateway.url}/v1/responses`, body, { authorization: `Bearer ${API_KEY}`, ...headers });

  it.each([
    ['previous_response_id', { previous_response_id: 'resp_1' }],
    ['store', { store: true }],
    ['background', { background: true }],
    ['conversation', { conversation: 'conv_1' }],
    ['prompt', { prompt: { id: 'pmpt_1' } }],
    ['tools[0].type', { tools: [{ type: 'web_search' }] }],
    ['metadata', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_v, i) => [`k${i}`, 'v'])) }],
    ['metadata', { metadata: { key: 'v'.repeat(513) } }],
    ['input[0]', { input: [{ type: 'item_reference', id: 'msg_1' }] }],
    [
      'input[1].role',
      {
        input: [
          { role: 'user', content: 'hi' },
          { role: 'tool', content: 'x' },
        ],
      },
    ],
    [
      'input[0].content[0].type',
      { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] },
    ],
    ['input[0].call_id', { input: [{ type: 'function_call_output', output: 'x' }] }],
    ['input', { input: [] }],
  ])('answers 400 naming %s', async (param, fields) => {
    const response = await post({ model: 'mock/echo', input: 'hi', ...fields });
    expect(response.status).toBe(400);
    const { error } = await errorOf(response);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.param).toBe(param);
  });

  it('is incomplete with reason max_output_tokens when the answer is cut short (the mock cuts at the limit)', async () => {
    const response = await post({
      model: 'mock/echo',
      input: 'a long answer please, with many many words in it to be cut short by the limit',
      max_output_tokens: 1,
    });
    const body = (await response.json()) as {
      status: string;
      incomplete_details: unknown;
      output: unknown[];
    };
    expect(body.status).toBe('incomplete');
    expect(body.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(body.output).toEqual([expect.objectContaining({ type: 'message', status: 'incomplete' })]);
  });

  it.each(['/v1/responses', '/v1/completions'])(
    'documents POST %s: the JSON answer or its event stream, the 202 and the errors',
    async (path) => {
      const document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as {
        paths: Record<
          string,
          { post?: { responses: Record<string, { content?: Record<string, unknown> }> } }
        >;
      };
      const responses = document.paths[path]?.post?.responses ?? {};
      expect(Object.keys(responses)).toEqual(
        expect.arrayContaining(['200', '202', '400', '401', '429', '503']),
      );
      expect(Object.keys(responses['200'].content ?? {})).toEqual(['application/json', 'text/event-stream']);
    },
  );

  it('answers a repeat from the cache, a streamed repeat as events, each with a fresh response id', async () => {
    const body = { model: 'mock/echo', input: 'cache me, responses' };
    const first = await post(body);
    const second = await post(body);
    expect(second.headers.get('x-cache')).toBe('HIT');
    const [a, b] = (await Promise.all([first.json(), second.json()])) as {
      id: string;
      output_text: string;
    }[];
    expect(b.output_text).toBe(a.output_text);
    expect(b.id).not.toBe(a.id);
    const streamed = await post({ ...body, stream: true });
    expect(streamed.headers.get('x-cache')).toBe('HIT');
    const wire = await streamed.text();
    expect(wire).toContain('event: response.completed');
    expect(wire).toContain(JSON.stringify(a.output_text).slice(1, -1));
  });

  it('accepts store: false and nulls as absent', async () => {
    const response = await post({ model: 'mock/echo', input: 'hi there', store: false, temperature: null });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { output_text: string }).output_text).toContain('hi there');
  });

  it('queues with the 202 of chat, and the queued result is a response object', async () => {
    const response = await post(
      { model: 'mock/echo', input: 'later', instructions: 'Be brief.' },
      { 'x-processing-mode': 'async' },
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { queue_id: string; result_url: string };
    expect(body.result_url).toBe(`/v1/results/${body.queue_id}`);
    const result = await eventually(async () => {
      const look = await fetch(`${gateway.url}${body.result_url}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return look.status === 200 ? ((await look.json()) as Record<string, unknown>) : undefined;
    });
    expect(result).toMatchObject({ object: 'response', status: 'completed', instructions: 'Be brief.' });
    expect(result.id).toMatch(/^resp_/);
    expect(result.output_text).toContain('later');
  });

  it('answers through Anthropic: text, and a function call mapped to tool_use', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const text = await client.responses.create({
      model: 'anthropic/claude-sonnet-4-5',
      instructions: 'Be brief.',
      input: 'hello claude',
    });
    expect(text.output_text).toContain('anthropic-stub');
    expect(text.output_text).toContain('hello claude');
    const sent = anthropic.server.requests.at(-1)!;
    expect(sent.body).toMatchObject({ system: 'Be brief.' });

    const events = await eventsOf(
      await client.responses.create({
        model: 'anthropic/claude-sonnet-4-5',
        input: 'weather in Paris',
        tools: [WEATHER_TOOL],
        tool_choice: { type: 'function', name: 'get_weather' },
        stream: true,
      }),
    );
    expectSequenced(events);
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    const call = completed.response.output.find((item) => item.type === 'function_call');
    expect(call?.type === 'function_call' && call.call_id).toMatch(/^toolu_stub_/);
    expect(call?.type === 'function_call' && WeatherArgs.safeParse(JSON.parse(call.arguments)).success).toBe(
      true,
    );
  });
});
