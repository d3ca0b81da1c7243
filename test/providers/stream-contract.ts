import Ajv from 'ajv';
import {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionUsage,
  RemoteProviderId,
} from '@breakwater/contracts';
import { LlmProviderAdapter, ProviderError } from '@breakwater/llm-provider';
import { RecordedRequest, StreamShape, StubHandler } from '../helpers/stubs/stub-server';
import { AdapterFactory, ProviderStub, contractRequests, testKey } from './adapter-contract';

/** What the streaming contract needs of a provider stub, besides what the adapter contract needs. */
export interface StreamingStub extends ProviderStub {
  streaming: {
    /** Whether a recorded request asked the provider for a stream, the provider's way. */
    streamed(request: RecordedRequest): boolean;
    /** The stub's standing answer to the request, streamed in the provider's format and shaped. */
    reply(shape: StreamShape): StubHandler;
    /** A recorded stream from the provider's API reference, and the content and usage it carries. */
    recorded: { reply: StubHandler; content: string; usage: { prompt: number; completion: number } };
    /** A recorded stream of one tool call, and that call (its arguments parsed). */
    toolCall: { reply: StubHandler; call: { id?: string; name: string; arguments: unknown } };
    /** A stream failing after its first events with the provider's own in-stream error, and its status. */
    failure?: { reply: StubHandler; status: number };
  };
}

export interface StreamContractOptions<S extends StreamingStub> {
  model: string;
  /**
   * Whether the provider reports a failure after the first byte as an event of its own that the adapter
   * can read (Anthropic's `error`, OpenRouter's `error` chunk); default true.
   */
  inStreamError?: boolean;
  /** For a provider without native json_schema: how the schema travels, and the stub's streamed answer. */
  structured?: {
    expectRequest(request: RecordedRequest, schema: Record<string, unknown>): void;
    reply(stub: S, schema: Record<string, unknown>): StubHandler;
  };
}

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

/** What a stream gave before it ended or failed. */
interface Outcome {
  chunks: ChatCompletionChunk[];
  error?: unknown;
}

/** An assembled tool call: what the deltas of one `index` add up to. */
interface AssembledCall {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<Outcome> {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

function contentOf(chunks: ChatCompletionChunk[]): string {
  return chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('');
}

function toolCallsOf(chunks: ChatCompletionChunk[]): AssembledCall[] {
  const calls: AssembledCall[] = [];
  for (const chunk of chunks) {
    for (const piece of chunk.choices.flatMap((choice) => choice.delta.tool_calls ?? [])) {
      const call = (calls[piece.index] ??= { name: '', arguments: '' });
      if (piece.id) call.id = piece.id;
      if (piece.type) call.type = piece.type;
      call.name += piece.function?.name ?? '';
      call.arguments += piece.function?.arguments ?? '';
    }
  }
  return calls;
}

/** The last chunk's usage (it must have no choices), its three counts only (OpenAI adds details). */
function usageOf(chunks: ChatCompletionChunk[]): ChatCompletionUsage | undefined {
  const last = chunks[chunks.length - 1];
  expect(last.choices).toEqual([]);
  if (!last.usage) return undefined;
  const { prompt_tokens, completion_tokens, total_tokens } = last.usage;
  return { prompt_tokens, completion_tokens, total_tokens };
}

/** The choices' chunks in order: the first names the role, only the last says why it finished. */
function expectOrdered(chunks: ChatCompletionChunk[]): string | null {
  const withChoices = chunks.filter((chunk) => chunk.choices.length > 0);
  expect(withChoices.length).toBeGreaterThan(0);
  expect(withChoices[0].choices[0].delta.role).toBe('assistant');
  const finishes = withChoices.map((chunk) => chunk.choices[0].finish_reason);
  expect(finishes.slice(0, -1).every((reason) => reason === null)).toBe(true);
  for (const chunk of chunks) {
    expect(chunk.object).toBe('chat.completion.chunk');
    expect(chunk.id).toBe(chunks[0].id);
    expect(Number.isInteger(chunk.created)).toBe(true);
  }
  return finishes[finishes.length - 1];
}

/**
 * The behaviour every adapter's `stream()` owes the gateway (llm-provider.adapter.ts), against a stub that
 * streams in the provider's wire format over real HTTP: chunks in order, usage last, tool calls and
 * structured output, failures sorted before the first chunk and thrown after it, truncation caught, and
 * the connection closed when the consumer leaves.
 */
export function describeStreamContract<S extends StreamingStub>(
  provider: RemoteProviderId,
  createAdapter: AdapterFactory,
  startStub: () => Promise<S>,
  options: StreamContractOptions<S>,
): void {
  const key = testKey(provider);
  const { ask, never } = contractRequests(options.model);

  describe(`${provider} streaming contract`, () => {
    let stub: S;
    let adapter: LlmProviderAdapter;
    const stream = (request: ChatCompletionRequest, signal = never()) => {
      if (!adapter.stream) throw new Error(`${provider} has no stream()`);
      return adapter.stream(request, signal);
    };
    const failure = (outcome: Outcome): ProviderError => {
      expect(outcome.error).toBeInstanceOf(ProviderError);
      return outcome.error as ProviderError;
    };

    beforeAll(async () => {
      stub = await startStub();
      adapter = createAdapter(stub.baseUrl);
    });
    afterAll(() => stub.stop());
    beforeEach(() => {
      stub.server.requests.length = 0;
    });

    it('sends nothing until the first next(), then one streaming request', async () => {
      const iterator = stream(ask('lazy'))[Symbol.asyncIterator]();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stub.server.requests).toHaveLength(0);
      await iterator.next();
      await iterator.return?.();
      expect(stub.server.requests).toHaveLength(1);
      expect(stub.streaming.streamed(stub.server.requests[0])).toBe(true);
      expect(stub.wire.apiKey(stub.server.requests[0])).toBe(key);
    });

    it('streams the answer complete() gives: role first, the same content, finish last, then usage', async () => {
      const whole = await adapter.complete(ask('stream me a sentence'), never());
      const { chunks, error } = await drain(stream(ask('stream me a sentence')));
      expect(error).toBeUndefined();
      expect(chunks.length).toBeGreaterThan(3);
      expect(expectOrdered(chunks)).toBe(whole.choices[0].finish_reason);
      expect(contentOf(chunks)).toBe(whole.choices[0].message.content);
      expect(contentOf(chunks)).toContain('stream me a sentence');
      expect(usageOf(chunks)).toEqual(whole.usage);
      expect(stub.streaming.streamed(stub.server.requests[1])).toBe(true);
    });

    it("maps the provider's recorded stream: its content, its finish and its usage", async () => {
      stub.server.replyOnce(stub.streaming.recorded.reply);
      const { chunks, error } = await drain(stream(ask('recorded')));
      expect(error).toBeUndefined();
      expect(expectOrdered(chunks)).toBe('stop');
      expect(contentOf(chunks)).toBe(stub.streaming.recorded.content);
      const { prompt, completion } = stub.streaming.recorded.usage;
      expect(usageOf(chunks)).toEqual({
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      });
    });

    it('streams a tool call as deltas that assemble to the call, finishing with tool_calls', async () => {
      const { toolCall } = stub.streaming;
      stub.server.replyOnce(toolCall.reply);
      const tools = [
        {
          type: 'function' as const,
          function: { name: toolCall.call.name, parameters: { type: 'object', properties: {} } },
        },
      ];
      const { chunks, error } = await drain(stream(ask('call the tool', { tools })));
      expect(error).toBeUndefined();
      expect(expectOrdered(chunks)).toBe('tool_calls');
      const calls = toolCallsOf(chunks);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ type: 'function', name: toolCall.call.name });
      expect(typeof calls[0].id).toBe('string');
      if (toolCall.call.id) expect(calls[0].id).toBe(toolCall.call.id);
      expect(JSON.parse(calls[0].arguments)).toEqual(toolCall.call.arguments);
      expect(usageOf(chunks)?.total_tokens).toBeGreaterThan(0);
    });

    it('streams a json_schema answer as content that parses and matches the schema', async () => {
      if (options.structured) stub.server.replyOnce(options.structured.reply(stub, CITY_SCHEMA));
      const { chunks, error } = await drain(
        stream(
          ask('Describe Genoa.', {
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'city', schema: CITY_SCHEMA, strict: true },
            },
          }),
        ),
      );
      expect(error).toBeUndefined();
      expect(expectOrdered(chunks)).toBe('stop');
      expect(toolCallsOf(chunks)).toEqual([]);
      const [request] = stub.server.requests;
      if (options.structured) options.structured.expectRequest(request, CITY_SCHEMA);
      else expect(stub.wire.structuredSchema(request)).toEqual(CITY_SCHEMA);
      expect(new Ajv().compile(CITY_SCHEMA)(JSON.parse(contentOf(chunks)))).toBe(true);
    });

    it('fails as auth without a request when the adapter has no key', async () => {
      const unconfigured = createAdapter(stub.baseUrl, { [`${provider.toUpperCase()}_API_KEY`]: '' });
      if (!unconfigured.stream) throw new Error(`${provider} has no stream()`);
      const outcome = await drain(unconfigured.stream(ask('anonymous'), never()));
      expect(failure(outcome).kind).toBe('auth');
      expect(stub.server.requests).toHaveLength(0);
    });

    it('sorts a 429 before the first chunk as rate_limited with the Retry-After wait', async () => {
      stub.server.replyOnce(stub.errors.rateLimited(7));
      const outcome = await drain(stream(ask('too fast')));
      expect(outcome.chunks).toEqual([]);
      expect(failure(outcome)).toMatchObject({
        kind: 'rate_limited',
        options: { status: 429, retryAfterMs: 7000 },
      });
      expect(stub.server.requests).toHaveLength(1);
    });

    it('sorts a 500 before the first chunk as transient', async () => {
      stub.server.replyOnce(stub.errors.serverError());
      const outcome = await drain(stream(ask('server trouble')));
      expect(outcome.chunks).toEqual([]);
      expect(failure(outcome)).toMatchObject({ kind: 'transient', options: { status: 500 } });
    });

    it('sorts a 401 before the first chunk as auth, the key masked even when echoed', async () => {
      stub.server.replyOnce(stub.errors.reply(401, `Incorrect API key provided: ${key}.`));
      const outcome = await drain(stream(ask('bad key')));
      const error = failure(outcome);
      expect(outcome.chunks).toEqual([]);
      expect(error.kind).toBe('auth');
      expect(error.message).not.toContain(key);
      expect(JSON.stringify(error)).not.toContain(key);
    });

    it('throws a transient error after the first chunks when the connection is cut midway', async () => {
      stub.server.replyOnce(stub.streaming.reply({ cutAfter: 3 }));
      const outcome = await drain(stream(ask('cut me off after a few pieces please')));
      expect(outcome.chunks.length).toBeGreaterThan(0);
      expect(outcome.chunks.some((chunk) => chunk.usage)).toBe(false);
      expect(failure(outcome).kind).toBe('transient');
    });

    it('throws a transient error when the stream ends without its end marker', async () => {
      stub.server.replyOnce(stub.streaming.reply({ withoutEnd: true }));
      const outcome = await drain(stream(ask('end quietly without saying so')));
      expect(outcome.chunks.length).toBeGreaterThan(0);
      expect(failure(outcome).kind).toBe('transient');
    });

    it('closes the connection when the consumer leaves after the first chunk', async () => {
      const closed = stub.server.closedEarly;
      stub.server.replyOnce(stub.streaming.reply({ delayMs: 100 }));
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream(ask('a long answer nobody reads to the end'))) {
        chunks.push(chunk);
        break;
      }
      expect(chunks).toHaveLength(1);
      await stub.server.untilClosedEarly(closed + 1);
      expect(stub.server.closedEarly).toBe(closed + 1);
    });

    it("closes the connection and throws transient when the caller's signal fires midway", async () => {
      const closed = stub.server.closedEarly;
      stub.server.replyOnce(stub.streaming.reply({ delayMs: 100 }));
      const controller = new AbortController();
      const chunks: ChatCompletionChunk[] = [];
      const outcome = await drain(
        (async function* () {
          for await (const chunk of stream(ask('abort me while I speak'), controller.signal)) {
            chunks.push(chunk);
            controller.abort();
            yield chunk;
          }
        })(),
      );
      expect(chunks.length).toBeGreaterThan(0);
      expect(failure(outcome).kind).toBe('transient');
      await stub.server.untilClosedEarly(closed + 1);
    });

    it('gives up as transient at LLM_TIMEOUT_SECONDS when the provider stalls between events', async () => {
      const impatient = createAdapter(stub.baseUrl, { LLM_TIMEOUT_SECONDS: '0.5' });
      stub.server.replyOnce(stub.streaming.reply({ delayMs: 4000 }));
      const started = Date.now();
      if (!impatient.stream) throw new Error(`${provider} has no stream()`);
      const outcome = await drain(impatient.stream(ask('stall'), never()));
      expect(failure(outcome).kind).toBe('transient');
      expect(Date.now() - started).toBeLessThan(3500);
    });

    it('is not cut by LLM_TIMEOUT_SECONDS while the provider keeps writing: the bound is per wait', async () => {
      const patient = createAdapter(stub.baseUrl, { LLM_TIMEOUT_SECONDS: '1' });
      if (!patient.stream) throw new Error(`${provider} has no stream()`);
      stub.server.replyOnce(stub.streaming.reply({ delayMs: 300 }));
      const started = Date.now();
      const outcome = await drain(patient.stream(ask('a slow but steady answer'), never()));
      expect(outcome.error).toBeUndefined();
      expect(Date.now() - started).toBeGreaterThan(1500);
      expect(usageOf(outcome.chunks)?.total_tokens).toBeGreaterThan(0);
    });

    (options.inStreamError === false ? it.skip : it)(
      'throws the provider error an in-stream error event reports, after the first chunks',
      async () => {
        const streamed = stub.streaming.failure;
        if (!streamed) throw new Error(`the ${provider} stub has no in-stream failure`);
        stub.server.replyOnce(streamed.reply);
        const outcome = await drain(stream(ask('fail midway')));
        expect(outcome.chunks.length).toBeGreaterThan(0);
        const error = failure(outcome);
        expect(error.options.status).toBe(streamed.status);
        expect(error.kind).toBe(streamed.status >= 500 ? 'transient' : 'bad_request');
      },
    );
  });
}
