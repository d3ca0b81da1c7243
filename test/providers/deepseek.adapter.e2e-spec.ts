import { DeepSeekAdapter } from '@breakwater/llm-provider';
import { schemaInstance } from '@breakwater/llm-provider';
import { testConfig } from '@breakwater/testing';
import { OpenAiStub, startOpenAiStub } from '../helpers/stubs/openai.stub';
import { RecordedRequest } from '../helpers/stubs/stub-server';
import {
  AdapterFactory,
  RELAXED_TIMEOUT_SECONDS,
  describeAdapterContract,
  testKey,
} from './adapter-contract';
import { describeStreamContract } from './stream-contract';

const createAdapter: AdapterFactory = (baseUrl, env = {}) =>
  new DeepSeekAdapter(
    testConfig({
      DEEPSEEK_API_KEY: testKey('deepseek'),
      DEEPSEEK_BASE_URL: baseUrl,
      LLM_TIMEOUT_SECONDS: RELAXED_TIMEOUT_SECONDS,
      ...env,
    }),
  );

// DeepSeek's default base URL has no /v1 (https://api.deepseek.com): the stub serves /chat/completions.
const startDeepSeekStub = () => startOpenAiStub({ basePath: '' });

interface SentBody {
  response_format?: unknown;
  messages: { role: string; content: string }[];
}

// DeepSeek's JSON mode is json_object only: the schema travels in a system message instead.
const expectSchemaInSystemMessage = (request: RecordedRequest, schema: Record<string, unknown>) => {
  const body = request.body as SentBody;
  expect(body.response_format).toEqual({ type: 'json_object' });
  expect(body.messages[0].role).toBe('system');
  expect(body.messages[0].content).toContain(JSON.stringify(schema));
  expect(body.messages[0].content.toLowerCase()).toContain('json');
};

describeAdapterContract('deepseek', createAdapter, startDeepSeekStub, {
  model: 'deepseek-chat',
  structured: {
    expectRequest: expectSchemaInSystemMessage,
    reply: (stub, schema) => () =>
      stub.completion(JSON.stringify(schemaInstance(schema, 'deepseek')), 'deepseek-chat'),
  },
});

describeStreamContract('deepseek', createAdapter, startDeepSeekStub, {
  model: 'deepseek-chat',
  structured: {
    expectRequest: expectSchemaInSystemMessage,
    reply: (stub, schema) =>
      stub.streaming.content(JSON.stringify(schemaInstance(schema, 'deepseek')), 'deepseek-chat'),
  },
});

describe('DeepSeekAdapter on the DeepSeek wire', () => {
  let stub: OpenAiStub;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    stub = await startDeepSeekStub();
  });
  afterAll(() => stub.stop());
  beforeEach(() => {
    stub.server.requests.length = 0;
  });

  it('goes to DEEPSEEK_BASE_URL instead of https://api.deepseek.com, at /chat/completions', async () => {
    await createAdapter(stub.baseUrl).complete(
      { model: 'deepseek-chat', messages: [{ role: 'user', content: 'x' }] },
      signal,
    );
    expect(stub.server.requests).toHaveLength(1);
    expect(stub.server.requests[0]).toMatchObject({ method: 'POST', path: '/chat/completions' });
    expect(stub.server.requests[0].headers.authorization).toBe(`Bearer ${testKey('deepseek')}`);
  });

  it('adds a JSON instruction to json_object only when the prompt does not mention json', async () => {
    const adapter = createAdapter(stub.baseUrl);
    const ask = (content: string) =>
      adapter.complete(
        {
          model: 'deepseek-chat',
          messages: [{ role: 'user', content }],
          response_format: { type: 'json_object' },
        },
        signal,
      );
    await ask('Give me a JSON object with a colour.');
    await ask('Give me a colour.');
    const sent = stub.server.requests.map((request) => request.body as SentBody);
    expect(sent.map((body) => body.response_format)).toEqual([
      { type: 'json_object' },
      { type: 'json_object' },
    ]);
    expect(sent[0].messages).toEqual([{ role: 'user', content: 'Give me a JSON object with a colour.' }]);
    expect(sent[1].messages[0]).toEqual({ role: 'system', content: 'Reply with one JSON object only.' });
  });
});
