import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { API_KEY, CompatGateway, TARGETS, Weather, WeatherArgs, startCompatGateway } from './compat-gateway';

describe('client compatibility: the OpenAI SDK (openai-node 6)', () => {
  let compat: CompatGateway;
  let client: OpenAI;

  beforeAll(async () => {
    compat = await startCompatGateway();
    client = new OpenAI({ baseURL: compat.baseURL, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(() => compat.stop());

  describe.each(TARGETS)('against %s (%s)', (_target, model) => {
    it('creates a chat completion', async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hello compat' }],
      });
      expect(completion.choices[0].message.content).toContain('hello compat');
      expect(completion.choices[0].finish_reason).toBe('stop');
    });

    it('streams a chat completion (for await) and a streamed tool call (the stream helper)', async () => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hello streaming compat' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toContain('hello streaming compat');

      const runner = client.chat.completions.stream({
        model,
        messages: [{ role: 'user', content: 'weather in Paris' }],
        tools: [zodFunction({ name: 'get_weather', parameters: WeatherArgs })],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      const final = await runner.finalChatCompletion();
      const call = final.choices[0].message.tool_calls?.[0];
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      expect(
        WeatherArgs.safeParse(call?.type === 'function' ? call.function.parsed_arguments : null).success,
      ).toBe(true);
    });

    it('parses a zodResponseFormat answer', async () => {
      const completion = await client.chat.completions.parse({
        model,
        messages: [{ role: 'user', content: 'the weather in Paris' }],
        response_format: zodResponseFormat(Weather, 'weather'),
      });
      const parsed = completion.choices[0].message.parsed;
      expect(parsed).not.toBeNull();
      expect(Weather.parse(parsed)).toEqual(parsed);
    });

    it('calls a tool with arguments valid against its parameters', async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'weather in Paris for 3 days' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              parameters: z.toJSONSchema(WeatherArgs),
            },
          },
        ],
        tool_choice: 'required',
      });
      const [choice] = completion.choices;
      expect(choice.finish_reason).toBe('tool_calls');
      const call = choice.message.tool_calls?.[0];
      expect(call?.type === 'function' && call.function.name).toBe('get_weather');
      const args: unknown = call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined;
      expect(WeatherArgs.safeParse(args).success).toBe(true);
    });

    it('parses strict function tools (zodFunction)', async () => {
      const completion = await client.chat.completions.parse({
        model,
        messages: [{ role: 'user', content: 'weather in Paris' }],
        tools: [zodFunction({ name: 'get_weather', parameters: WeatherArgs })],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      const [call] = completion.choices[0].message.tool_calls ?? [];
      expect(call?.type).toBe('function');
      const parsed: unknown = call?.type === 'function' ? call.function.parsed_arguments : undefined;
      expect(WeatherArgs.parse(parsed)).toEqual(parsed);
    });
  });
});
