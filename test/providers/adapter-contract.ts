import Ajv from 'ajv';
import { Environment } from '@breakwater/config';
import { ChatCompletionRequest, RemoteProviderId } from '@breakwater/contracts';
import { LlmProviderAdapter, ProviderError } from '@breakwater/llm-provider';
import { freePort } from '../helpers/free-port';
import { RecordedRequest, StubHandler, StubReply, StubServer } from '../helpers/stubs/stub-server';

/** What the contract needs of a provider stub; each stub module (openai, anthropic, gemini) provides it. */
export interface ProviderStub {
  readonly server: StubServer;
  /** The `<P>_BASE_URL` that points an adapter at the stub. */
  readonly baseUrl: string;
  stop(): Promise<void>;
  errors: {
    rateLimited(retryAfterSeconds: number): StubHandler;
    serverError(): StubHandler;
    reply(status: number, message: string, headers?: Record<string, string>): StubHandler;
  };
  recorded: { reply: StubReply; content: string; usage: { prompt: number; completion: number } };
  /** Reads a recorded request the provider's way (where its model, key, system prompt and schema travel). */
  wire: {
    model(request: RecordedRequest): unknown;
    apiKey(request: RecordedRequest): string | undefined;
    systemPrompt(request: RecordedRequest): string | undefined;
    userTexts(request: RecordedRequest): string[];
    structuredSchema(request: RecordedRequest): unknown;
  };
}

/** Builds the adapter under test pointed at `baseUrl`, with the test key and any extra environment. */
export type AdapterFactory = (baseUrl: string, env?: Environment) => LlmProviderAdapter;

export interface ContractOptions<S extends ProviderStub> {
  /** The provider's own model name, as the registry hands it over (prefix stripped). */
  model: string;
  /** For a provider without native json_schema: how the schema travels instead, and what the stub says. */
  structured?: {
    expectRequest(request: RecordedRequest, schema: Record<string, unknown>): void;
    reply(stub: S, schema: Record<string, unknown>): StubHandler;
  };
}

/** Answers after `ms` without keeping the test process alive for it once the tests are done. */
const slowly =
  (reply: StubReply, ms: number): StubHandler =>
  () =>
    new Promise((resolve) => setTimeout(() => resolve(reply), ms).unref());

/** A one-message request to the contract's model, and a signal that never aborts. */
export function contractRequests(model: string): {
  ask: (content: string, extra?: Partial<ChatCompletionRequest>) => ChatCompletionRequest;
  never: () => AbortSignal;
} {
  return {
    ask: (content, extra = {}) => ({ model, messages: [{ role: 'user', content }], ...extra }),
    never: () => new AbortController().signal,
  };
}

/** The key every adapter is configured with in these tests; it must reach the provider and nothing else. */
export const testKey = (provider: RemoteProviderId): string => `sk-test-${provider}-secret`;

/** LLM_TIMEOUT_SECONDS for the tests that are not about the SDK timeout: far above any stub answer. */
export const RELAXED_TIMEOUT_SECONDS = '10';

const CITY_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 2 },
    population: { type: 'integer', minimum: 1 },
    coastal: { type: 'boolean' },
  },
  required: ['city', 'population', 'coastal'],
  additionalProperties: false,
};

/**
 * The behaviour every remote adapter owes the registry, checked against a stub that speaks the provider's
 * wire format, through the real SDK doing real HTTP. Assertions look at what reached the stub as well as
 * at what came back.
 */
export function describeAdapterContract<S extends ProviderStub>(
  provider: RemoteProviderId,
  createAdapter: AdapterFactory,
  startStub: () => Promise<S>,
  options: ContractOptions<S>,
): void {
  const key = testKey(provider);
  const { ask, never } = contractRequests(options.model);

  describe(`${provider} adapter contract`, () => {
    let stub: S;
    let adapter: LlmProviderAdapter;

    beforeAll(async () => {
      stub = await startStub();
      adapter = createAdapter(stub.baseUrl);
    });
    afterAll(() => stub.stop());
    beforeEach(() => {
      stub.server.requests.length = 0;
    });

    const only = (): RecordedRequest => {
      expect(stub.server.requests).toHaveLength(1);
      return stub.server.requests[0];
    };
    const failure = async (promise: Promise<unknown>): Promise<ProviderError> => {
      const error = await promise.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ProviderError);
      return error as ProviderError;
    };

    it('is configured by its API key and answers in the chat.completion shape', async () => {
      expect(adapter.id).toBe(provider);
      expect(adapter.configured).toBe(true);
      const completion = await adapter.complete(ask('hello contract'), never());
      expect(completion).toMatchObject({
        object: 'chat.completion',
        choices: [{ index: 0, finish_reason: 'stop' }],
      });
      expect(typeof completion.id).toBe('string');
      expect(Number.isInteger(completion.created)).toBe(true);
      expect(completion.model).toContain(options.model.split('/').pop());
      expect(completion.choices[0].message.role).toBe('assistant');
      expect(completion.choices[0].message.content).toContain('hello contract');
      expect(only().method).toBe('POST');
    });

    it('is unconfigured without an API key', () => {
      const unconfigured = createAdapter(stub.baseUrl, { [`${provider.toUpperCase()}_API_KEY`]: '' });
      expect(unconfigured.configured).toBe(false);
    });

    it('answers different conversations differently (the prompt reached the provider)', async () => {
      const first = await adapter.complete(ask('first question'), never());
      const second = await adapter.complete(ask('second question'), never());
      expect(first.choices[0].message.content).not.toBe(second.choices[0].message.content);
      expect(stub.server.requests.map((request) => stub.wire.userTexts(request))).toEqual([
        ['first question'],
        ['second question'],
      ]);
    });

    it("places system and developer messages the provider's way, not among the user turns", async () => {
      await adapter.complete(
        {
          model: options.model,
          messages: [
            { role: 'system', content: 'Be terse.' },
            { role: 'developer', content: 'Answer in French.' },
            { role: 'user', content: 'What is the capital of Italy?' },
          ],
        },
        never(),
      );
      const request = only();
      expect(stub.wire.systemPrompt(request)).toContain('Be terse.');
      expect(stub.wire.systemPrompt(request)).toContain('Answer in French.');
      expect(stub.wire.userTexts(request)).toEqual(['What is the capital of Italy?']);
    });

    it("maps the provider's usage and content from its recorded answer", async () => {
      stub.server.replyOnce(() => stub.recorded.reply);
      const completion = await adapter.complete(ask('recorded'), never());
      expect(completion.choices[0].message.content).toBe(stub.recorded.content);
      expect(completion.usage).toEqual({
        prompt_tokens: stub.recorded.usage.prompt,
        completion_tokens: stub.recorded.usage.completion,
        total_tokens: stub.recorded.usage.prompt + stub.recorded.usage.completion,
      });
    });

    it('sends the model name without the provider prefix', async () => {
      await adapter.complete(ask('which model'), never());
      const model = stub.wire.model(only());
      expect(model).toBe(options.model);
      expect(String(model).startsWith(`${provider}/`)).toBe(false);
    });

    it("authenticates with the provider's key in its auth header, and sends no gateway key", async () => {
      await adapter.complete(ask('who am I'), never());
      const request = only();
      expect(stub.wire.apiKey(request)).toBe(key);
      const everything = JSON.stringify({ path: request.path, headers: request.headers, body: request.body });
      expect(everything).not.toContain('dev-key');
      // The key travels once, in the auth header; never in the path (a `?key=`), the body or another header.
      expect(everything.split(key)).toHaveLength(2);
    });

    it('sends json_schema to the provider and returns content that parses and matches it', async () => {
      if (options.structured) stub.server.replyOnce(options.structured.reply(stub, CITY_SCHEMA));
      const completion = await adapter.complete(
        ask('Describe Genoa.', {
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'city', schema: CITY_SCHEMA, strict: true },
          },
        }),
        never(),
      );
      const request = only();
      if (options.structured) options.structured.expectRequest(request, CITY_SCHEMA);
      else expect(stub.wire.structuredSchema(request)).toEqual(CITY_SCHEMA);
      const content = completion.choices[0].message.content ?? '';
      const validate = new Ajv().compile(CITY_SCHEMA);
      expect(validate(JSON.parse(content))).toBe(true);
      expect(completion.choices[0].finish_reason).toBe('stop');
    });

    it('sorts a 429 as rate_limited with the Retry-After wait', async () => {
      stub.server.replyOnce(stub.errors.rateLimited(7));
      const error = await failure(adapter.complete(ask('too fast'), never()));
      expect(error).toMatchObject({ kind: 'rate_limited', retryable: true });
      expect(error.options).toMatchObject({ status: 429, retryAfterMs: 7000 });
      expect(stub.server.requests).toHaveLength(1);
    });

    it('sorts a 500 as transient and sends exactly one request (SDK retries off)', async () => {
      stub.server.replyOnce(stub.errors.serverError());
      const error = await failure(adapter.complete(ask('server trouble'), never()));
      expect(error).toMatchObject({ kind: 'transient', retryable: true });
      expect(error.options.status).toBe(500);
      expect(stub.server.requests).toHaveLength(1);
    });

    it('sorts a 401 as auth and never puts the key in the message, even when the provider echoes it', async () => {
      stub.server.replyOnce(stub.errors.reply(401, `Incorrect API key provided: ${key}.`));
      const error = await failure(adapter.complete(ask('bad key'), never()));
      expect(error).toMatchObject({ kind: 'auth', retryable: false });
      expect(error.message).toContain('Incorrect API key provided');
      expect(error.message).not.toContain(key);
      expect(JSON.stringify(error)).not.toContain(key);
      expect(stub.server.requests).toHaveLength(1);
    });

    it('sorts a 400 as bad_request with the provider message', async () => {
      stub.server.replyOnce(stub.errors.reply(400, 'messages: field required'));
      const error = await failure(adapter.complete(ask('malformed'), never()));
      expect(error).toMatchObject({ kind: 'bad_request', retryable: false });
      expect(error.message).toContain('messages: field required');
    });

    it("gives up promptly as transient when the reply is slower than the signal's timeout", async () => {
      stub.server.replyOnce(slowly(stub.recorded.reply, 3000));
      const started = Date.now();
      const error = await failure(adapter.complete(ask('slow'), AbortSignal.timeout(200)));
      expect(error.kind).toBe('transient');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(stub.server.requests).toHaveLength(1);
    });

    it('gives up as transient at LLM_TIMEOUT_SECONDS, the SDK timeout, when the signal never fires', async () => {
      const impatient = createAdapter(stub.baseUrl, { LLM_TIMEOUT_SECONDS: '0.3' });
      stub.server.replyOnce(slowly(stub.recorded.reply, 3000));
      const started = Date.now();
      const error = await failure(impatient.complete(ask('slow'), never()));
      expect(error.kind).toBe('transient');
      expect(Date.now() - started).toBeLessThan(2500);
      expect(stub.server.requests).toHaveLength(1);
    });

    it('sends nothing when the signal has already fired', async () => {
      const controller = new AbortController();
      controller.abort();
      const error = await failure(adapter.complete(ask('too late'), controller.signal));
      expect(error.kind).toBe('transient');
      expect(stub.server.requests).toHaveLength(0);
    });

    it('sorts a refused connection as transient', async () => {
      const port = await freePort();
      const nowhere = createAdapter(stub.baseUrl.replace(stub.server.url, `http://127.0.0.1:${port}`));
      const error = await failure(nowhere.complete(ask('anyone there'), never()));
      expect(error.kind).toBe('transient');
      expect(error.message).not.toContain(key);
    });
  });
}
