import { testConfig } from '@breakwater/testing';
import { ProviderError } from '../provider-error';
import { StructuredOutput } from '../structured-output';
import { MockAdapter } from './mock.adapter';

const signal = new AbortController().signal;
const ask = (content: string, extra: object = {}) => ({
  model: 'echo',
  messages: [{ role: 'user' as const, content }],
  ...extra,
});

describe('MockAdapter', () => {
  const mock = new MockAdapter(testConfig());

  it('answers deterministically from the messages and counts usage', async () => {
    const first = await mock.complete(ask('same'), signal);
    const again = await mock.complete(ask('same'), signal);
    const other = await mock.complete(ask('other'), signal);
    expect(first.choices[0].message.content).toBe(again.choices[0].message.content);
    expect(first.choices[0].message.content).not.toBe(other.choices[0].message.content);
    expect(first.usage.total_tokens).toBe(first.usage.prompt_tokens + first.usage.completion_tokens);
    expect(first.id).not.toBe(again.id);
  });

  it('fails as a transient provider error at MOCK_FAILURE_RATE 1', async () => {
    const failing = new MockAdapter(testConfig({ MOCK_FAILURE_RATE: '1' }));
    await expect(failing.complete(ask('x'), signal)).rejects.toMatchObject({
      kind: 'transient',
      retryable: true,
    });
    await expect(failing.complete(ask('x'), signal)).rejects.toBeInstanceOf(ProviderError);
  });

  it('stops waiting when its signal aborts during MOCK_LATENCY_MS', async () => {
    const slow = new MockAdapter(testConfig({ MOCK_LATENCY_MS: '5000' }));
    const started = Date.now();
    await expect(slow.complete(ask('x'), AbortSignal.timeout(50))).rejects.toMatchObject({
      kind: 'transient',
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('never truncates JSON answers, whatever max_tokens says', async () => {
    const answer = await mock.complete(
      ask('a long enough question', { max_tokens: 1, response_format: { type: 'json_object' } }),
      signal,
    );
    const content = answer.choices[0].message.content ?? '';
    expect((): unknown => JSON.parse(content)).not.toThrow();
    expect(answer.choices[0].finish_reason).toBe('stop');
  });

  describe('tools', () => {
    const weather = {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string', minLength: 2 }, days: { type: 'integer', minimum: 1 } },
          required: ['city', 'days'],
          additionalProperties: false,
        },
      },
    };
    const clock = { type: 'function' as const, function: { name: 'get_time' } };
    const output = new StructuredOutput(testConfig());
    const argumentsCheck = (parameters: Record<string, unknown>, text: string) =>
      output.check({ type: 'json_schema', json_schema: { name: 'args', schema: parameters } }, text);

    it('calls the named function of a forced tool_choice with arguments valid against its parameters', async () => {
      const answer = await mock.complete(
        ask('hello', {
          tools: [clock, weather],
          tool_choice: { type: 'function', function: { name: 'get_weather' } },
        }),
        signal,
      );
      const [choice] = answer.choices;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls).toHaveLength(1);
      const call = choice.message.tool_calls?.[0];
      expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
      expect(call?.id).toMatch(/^call_/);
      expect(argumentsCheck(weather.function.parameters, call?.function.arguments ?? '')).toEqual({
        ok: true,
      });
    });

    it('calls a tool for required: the one the last user message names, else the first', async () => {
      const named = await mock.complete(
        ask('use get_weather please', { tools: [clock, weather], tool_choice: 'required' }),
        signal,
      );
      expect(named.choices[0].message.tool_calls?.[0].function.name).toBe('get_weather');
      const first = await mock.complete(
        ask('anything', { tools: [clock, weather], tool_choice: 'required' }),
        signal,
      );
      expect(first.choices[0].message.tool_calls?.[0].function).toEqual({
        name: 'get_time',
        arguments: '{}',
      });
    });

    it('calls a tool for auto only when the last message is the user naming it', async () => {
      const tools = [clock, weather];
      const named = await mock.complete(ask('what is get_weather in Paris?', { tools }), signal);
      expect(named.choices[0].finish_reason).toBe('tool_calls');
      const plain = await mock.complete(ask('what is the weather?', { tools, tool_choice: 'auto' }), signal);
      expect(plain.choices[0].finish_reason).toBe('stop');
      expect(plain.choices[0].message.tool_calls).toBeUndefined();
      const afterResult = await mock.complete(
        {
          model: 'echo',
          tools,
          messages: [
            { role: 'user', content: 'what is get_weather in Paris?' },
            { role: 'assistant', content: null, tool_calls: named.choices[0].message.tool_calls },
            { role: 'tool', tool_call_id: named.choices[0].message.tool_calls?.[0].id, content: 'sunny' },
          ],
        },
        signal,
      );
      expect(afterResult.choices[0].finish_reason).toBe('stop');
      expect(typeof afterResult.choices[0].message.content).toBe('string');
    });

    it('never calls with tool_choice none, and refuses a forced name that is not among the tools', async () => {
      const none = await mock.complete(ask('get_weather', { tools: [weather], tool_choice: 'none' }), signal);
      expect(none.choices[0].finish_reason).toBe('stop');
      await expect(
        mock.complete(
          ask('x', { tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } }),
          signal,
        ),
      ).rejects.toMatchObject({ kind: 'bad_request' });
    });
  });

  describe('json_object with a schema', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['title', 'tags'],
      additionalProperties: false,
    };
    const output = new StructuredOutput(testConfig());
    const valid = (content: string | null) =>
      output.check({ type: 'json_schema', json_schema: { name: 's', schema } }, content);

    it('answers an instance of response_format.schema', async () => {
      const answer = await mock.complete(
        ask('x', { response_format: { type: 'json_object', schema } }),
        signal,
      );
      expect(valid(answer.choices[0].message.content)).toEqual({ ok: true });
    });

    it('answers an instance of the schema written in the system prompt', async () => {
      const answer = await mock.complete(
        {
          model: 'echo',
          response_format: { type: 'json_object' },
          messages: [
            {
              role: 'system',
              content: `Answer in JSON {"like": "this"} matching this schema:\n${JSON.stringify(schema)}\nNo prose.`,
            },
            { role: 'user', content: 'a title please' },
          ],
        },
        signal,
      );
      expect(valid(answer.choices[0].message.content)).toEqual({ ok: true });
    });

    it('keeps its own object when no schema is given', async () => {
      const answer = await mock.complete(ask('q', { response_format: { type: 'json_object' } }), signal);
      expect(JSON.parse(answer.choices[0].message.content ?? '')).toMatchObject({ answer: 'q' });
    });

    it('finds the schema in a long prompt of unbalanced braces in linear time', async () => {
      const noise = `${'{'.repeat(200_000)} "${'}'.repeat(200_000)}`;
      const started = performance.now();
      await mock.complete(
        {
          model: 'echo',
          response_format: { type: 'json_object' },
          messages: [
            { role: 'system', content: noise },
            { role: 'user', content: 'q' },
          ],
        },
        signal,
      );
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });
});
