import { AIMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import {
  API_KEY,
  CompatGateway,
  JSON_MODE_SYSTEM,
  TARGETS,
  Weather,
  WeatherArgs,
  startCompatGateway,
} from './compat-gateway';

describe('client compatibility: LangChain JS (@langchain/openai 1.5, zod 4)', () => {
  let compat: CompatGateway;

  beforeAll(async () => {
    compat = await startCompatGateway();
  });
  afterAll(() => compat.stop());

  describe.each(TARGETS)('against %s (%s)', (_target, model) => {
    const chat = () =>
      new ChatOpenAI({ model, apiKey: API_KEY, maxRetries: 0, configuration: { baseURL: compat.baseURL } });

    it('invokes', async () => {
      const answer = await chat().invoke('hello langchain');
      expect(answer.content).toContain('hello langchain');
    });

    it('streams', async () => {
      const pieces: string[] = [];
      for await (const chunk of await chat().stream('hello streaming langchain')) pieces.push(chunk.text);
      expect(pieces.join('')).toContain('hello streaming langchain');
    });

    it('batches', async () => {
      const answers = await chat().batch(['first question', 'second question']);
      expect(answers.map((answer) => answer.content)).toEqual([
        expect.stringContaining('first question'),
        expect.stringContaining('second question'),
      ]);
    });

    it('binds tools and gets a tool call with valid args', async () => {
      const getWeather = tool(() => 'sunny', {
        name: 'get_weather',
        description: 'The weather in a city',
        schema: WeatherArgs,
      });
      const answer: AIMessage = await chat()
        .bindTools([getWeather], { tool_choice: 'get_weather' })
        .invoke('weather in Paris');
      expect(answer.tool_calls).toHaveLength(1);
      expect(answer.tool_calls?.[0].name).toBe('get_weather');
      expect(WeatherArgs.safeParse(answer.tool_calls?.[0].args).success).toBe(true);
    });

    it.each(['functionCalling', 'jsonSchema'] as const)('gives structured output by %s', async (method) => {
      const weather = await chat().withStructuredOutput(Weather, { method }).invoke('the weather in Paris');
      expect(Weather.parse(weather)).toEqual(weather);
    });

    it('gives structured output by jsonMode, the schema in the system prompt', async () => {
      const weather = await chat()
        .withStructuredOutput(Weather, { method: 'jsonMode' })
        .invoke([
          ['system', JSON_MODE_SYSTEM],
          ['user', 'the weather in Paris'],
        ]);
      expect(Weather.parse(weather)).toEqual(weather);
    });
  });

  it('sends zod 4 schemas to the provider as JSON Schema 2020-12, which the gateway validated', async () => {
    compat.openai.server.requests.length = 0;
    const chat = new ChatOpenAI({
      model: 'openai/gpt-4o-mini',
      apiKey: API_KEY,
      maxRetries: 0,
      configuration: { baseURL: compat.baseURL },
    });
    await chat.withStructuredOutput(Weather, { method: 'jsonSchema' }).invoke('the weather in Rome');
    const sent = compat.openai.server.requests.at(-1)?.body as
      { response_format?: { json_schema?: { schema?: { $schema?: unknown } } } } | undefined;
    expect(sent?.response_format?.json_schema?.schema?.$schema).toBe(
      'https://json-schema.org/draft/2020-12/schema',
    );
  });
});
