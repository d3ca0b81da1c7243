import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { LanguageModel, generateObject, generateText, streamText, tool } from 'ai';
import {
  API_KEY,
  CompatGateway,
  JSON_MODE_SYSTEM,
  TARGETS,
  Weather,
  WeatherArgs,
  startCompatGateway,
} from './compat-gateway';

/**
 * The ways the AI SDK reaches an OpenAI-compatible endpoint. @ai-sdk/openai-compatible sends
 * `json_schema` only when told the endpoint supports it (`supportsStructuredOutputs`, which the gateway
 * does); by default it sends a bare `json_object` and leaves the schema out of the request altogether,
 * so the schema must then be in the prompt (the last case).
 */
const PROVIDERS = [
  [
    '@ai-sdk/openai (openai.chat)',
    (baseURL: string, model: string): LanguageModel => createOpenAI({ baseURL, apiKey: API_KEY }).chat(model),
  ],
  [
    '@ai-sdk/openai-compatible (supportsStructuredOutputs)',
    (baseURL: string, model: string): LanguageModel =>
      createOpenAICompatible({
        name: 'breakwater',
        baseURL,
        apiKey: API_KEY,
        supportsStructuredOutputs: true,
      }).chatModel(model),
  ],
  [
    '@ai-sdk/openai-compatible (defaults)',
    (baseURL: string, model: string): LanguageModel =>
      createOpenAICompatible({ name: 'breakwater', baseURL, apiKey: API_KEY }).chatModel(model),
  ],
] as const;

describe('client compatibility: the AI SDK (ai 6)', () => {
  let compat: CompatGateway;

  beforeAll(async () => {
    compat = await startCompatGateway();
  });
  afterAll(() => compat.stop());

  describe.each(PROVIDERS)('%s', (_provider, modelOf) => {
    describe.each(TARGETS)('against %s (%s)', (_target, model) => {
      it('generates text', async () => {
        const { text, finishReason } = await generateText({
          model: modelOf(compat.baseURL, model),
          prompt: 'hello ai sdk',
          maxRetries: 0,
        });
        expect(text).toContain('hello ai sdk');
        expect(finishReason).toBe('stop');
      });

      it('streams text', async () => {
        const result = streamText({
          model: modelOf(compat.baseURL, model),
          prompt: 'hello streaming ai sdk',
          maxRetries: 0,
        });
        let text = '';
        for await (const piece of result.textStream) text += piece;
        expect(text).toContain('hello streaming ai sdk');
        expect(await result.finishReason).toBe('stop');
      });

      it('calls a tool with input valid against its schema', async () => {
        const { toolCalls, finishReason } = await generateText({
          model: modelOf(compat.baseURL, model),
          prompt: 'weather in Paris',
          tools: { get_weather: tool({ description: 'The weather in a city', inputSchema: WeatherArgs }) },
          toolChoice: 'required',
          maxRetries: 0,
        });
        expect(finishReason).toBe('tool-calls');
        expect(toolCalls).toHaveLength(1);
        expect(toolCalls[0].toolName).toBe('get_weather');
        expect(WeatherArgs.safeParse(toolCalls[0].input).success).toBe(true);
      });

      it('generates an object', async () => {
        const { object } = await generateObject({
          model: modelOf(compat.baseURL, model),
          schema: Weather,
          // JSON mode (the defaults of @ai-sdk/openai-compatible) carries the schema only here.
          system: JSON_MODE_SYSTEM,
          prompt: 'the weather in Paris',
          maxRetries: 0,
        });
        expect(Weather.parse(object)).toEqual(object);
      });
    });
  });
});
