import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import {
  API_KEY,
  CompatGateway,
  TARGETS,
  Weather,
  WeatherArgs,
  startCompatGateway,
} from './compat/compat-gateway';

/** The AI SDK's default OpenAI model (`createOpenAI()(id)`) speaks the Responses API: `POST /v1/responses`. */
describe('POST /v1/responses with the AI SDK default model (ai 6, @ai-sdk/openai 3)', () => {
  let compat: CompatGateway;

  beforeAll(async () => {
    compat = await startCompatGateway();
  });
  afterAll(() => compat.stop());

  const modelOf = (model: string) => createOpenAI({ baseURL: compat.baseURL, apiKey: API_KEY })(model);
  /** 200 answers of /v1/responses so far, from the gateway's own http metric. */
  const responsesCalls = async (): Promise<number> => {
    const text = await (await fetch(compat.baseURL.replace(/\/v1$/, '/metrics'))).text();
    const line = text
      .split('\n')
      .find((entry) =>
        entry.startsWith(
          'http_request_duration_seconds_count{method="POST",route="/v1/responses",status="200"}',
        ),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  };

  describe.each(TARGETS)('against %s (%s)', (_target, model) => {
    it('generates text through /v1/responses', async () => {
      const before = await responsesCalls();
      const { text, finishReason, usage } = await generateText({
        model: modelOf(model),
        prompt: 'hello responses ai sdk',
        maxRetries: 0,
      });
      expect(text).toContain('hello responses ai sdk');
      expect(finishReason).toBe('stop');
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(await responsesCalls()).toBe(before + 1);
    });

    it('calls a tool, and runs a second step with its result (store: false)', async () => {
      const { toolCalls, finishReason } = await generateText({
        model: modelOf(model),
        prompt: 'weather in Paris',
        tools: { get_weather: tool({ description: 'The weather in a city', inputSchema: WeatherArgs }) },
        toolChoice: 'required',
        maxRetries: 0,
      });
      expect(finishReason).toBe('tool-calls');
      expect(toolCalls).toHaveLength(1);
      expect(WeatherArgs.safeParse(toolCalls[0].input).success).toBe(true);

      const looped = await generateText({
        model: modelOf(model),
        prompt: 'get_weather for Paris, please',
        tools: {
          get_weather: tool({
            description: 'The weather in a city',
            inputSchema: WeatherArgs,
            execute: ({ city }) => Promise.resolve({ city, celsius: 21 }),
          }),
        },
        stopWhen: stepCountIs(3),
        // Without store: false the SDK refers to earlier items by id (item_reference), which needs stored responses.
        providerOptions: { openai: { store: false } },
        maxRetries: 0,
      });
      expect(looped.steps.length).toBe(2);
      expect(looped.steps[0].toolResults[0].output).toMatchObject({ celsius: 21 });
      expect(looped.finishReason).toBe('stop');
    });

    it('generates an object valid against its schema (text.format json_schema)', async () => {
      const { object } = await generateObject({
        model: modelOf(model),
        schema: Weather,
        prompt: 'the weather in Paris',
        maxRetries: 0,
      });
      expect(Weather.parse(object)).toEqual(object);
    });

    it('streams text (the Responses event stream)', async () => {
      const result = streamText({
        model: modelOf(model),
        prompt: 'hello streaming responses',
        maxRetries: 0,
      });
      let text = '';
      for await (const piece of result.textStream) text += piece;
      expect(text).toContain('hello streaming responses');
      expect(await result.finishReason).toBe('stop');
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
    });

    it('streams a tool call', async () => {
      const result = streamText({
        model: modelOf(model),
        prompt: 'weather in Paris',
        tools: { get_weather: tool({ inputSchema: z.object({ city: z.string(), days: z.number().int() }) }) },
        toolChoice: 'required',
        maxRetries: 0,
      });
      const calls = await result.toolCalls;
      expect(calls).toHaveLength(1);
      expect(calls[0].toolName).toBe('get_weather');
      expect(await result.finishReason).toBe('tool-calls');
    });
  });
});
