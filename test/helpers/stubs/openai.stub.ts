import { createHash } from 'node:crypto';
import completionFixture from '../../fixtures/openai/chat-completion.json';
import invalidKeyFixture from '../../fixtures/openai/error-invalid-api-key.json';
import rateLimitFixture from '../../fixtures/openai/error-rate-limit.json';
import serverErrorFixture from '../../fixtures/openai/error-server.json';
import { ChatCompletionRequest } from '@breakwater/contracts';
import { jsonObjectSchemaOf, mockCalledTool, schemaInstance } from '@breakwater/llm-provider';
import {
  RecordedRequest,
  StreamShape,
  StubHandler,
  StubReply,
  StubServer,
  recordedEvents,
  streamReply,
  textPieces,
} from './stub-server';

/**
 * OpenAI's chat-completions API on loopback (also DeepSeek's and OpenRouter's, which speak it):
 * `POST <basePath>/chat/completions` with `Authorization: Bearer <key>`. By default it answers from the
 * request (`openai-stub <digest>: <last user text>`, or a schema instance for `json_schema`), built on
 * the API reference's recorded completion; anything else gets OpenAI's own 404.
 */
export interface OpenAiStub {
  readonly server: StubServer;
  /** What `<P>_BASE_URL` must be to reach this stub: the loopback URL plus the base path. */
  readonly baseUrl: string;
  stop(): Promise<void>;
  errors: {
    /** 429 with OpenAI's rate-limit body and `retry-after`. */
    rateLimited(retryAfterSeconds: number): StubHandler;
    serverError(): StubHandler;
    /** What OpenAI answers to a wrong key: 401 invalid_api_key, the key masked. */
    invalidKey(): StubHandler;
    /** Any status with OpenAI's error body around `message`. */
    reply(status: number, message: string, headers?: Record<string, string>): StubHandler;
  };
  /** The recorded completion as the stub sends it, and what an adapter must make of it. */
  recorded: { reply: StubReply; content: string; usage: { prompt: number; completion: number } };
  wire: {
    model(request: RecordedRequest): unknown;
    apiKey(request: RecordedRequest): string | undefined;
    systemPrompt(request: RecordedRequest): string | undefined;
    userTexts(request: RecordedRequest): string[];
    structuredSchema(request: RecordedRequest): unknown;
  };
  /** A 200 completion carrying `content`, in the fixture's shape. */
  completion(content: string, model?: string): StubReply;
  streaming: OpenAiStreaming;
}

/**
 * Streamed answers (`stream: true`): `data:` events of `chat.completion.chunk`s, a usage chunk when
 * `stream_options.include_usage` is set, then `data: [DONE]`, as OpenAI's API reference shows them.
 */
export interface OpenAiStreaming {
  /** Whether a recorded request asked for a stream. */
  streamed(request: RecordedRequest): boolean;
  /** The standing answer, streamed and shaped (slower, cut, without `[DONE]`). */
  reply(shape: StreamShape): StubHandler;
  /** The recorded stream (fixtures/openai/stream-chat-completion.txt) and what it says. */
  recorded: { reply: StubHandler; content: string; usage: { prompt: number; completion: number } };
  /** A recorded stream of one tool call (fixtures/openai/stream-tool-calls.txt), and the call. */
  toolCall: { reply: StubHandler; call: { id: string; name: string; arguments: unknown } };
  /** A streamed completion carrying `content` (for answers the standing handler does not make). */
  content(content: string, model?: string): StubHandler;
  /** OpenRouter's report of an upstream failure after the first chunk: a chunk with `error` (code 502). */
  failure: { reply: StubHandler; status: number };
}

interface OpenAiMessage {
  role: string;
  content: string | { type: string; text?: string }[] | null;
}

interface OpenAiBody {
  model?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
  messages?: OpenAiMessage[];
  response_format?: { type: string; json_schema?: { schema?: Record<string, unknown> } };
}

export async function startOpenAiStub(options: { basePath?: string } = {}): Promise<OpenAiStub> {
  const basePath = options.basePath ?? '/v1';
  const server = await new StubServer((request) => answer(request, basePath)).start();
  const reply =
    (status: number, message: string, headers: Record<string, string> = {}): StubHandler =>
    () => ({
      status,
      headers,
      body: {
        error: {
          message,
          type: status >= 500 ? 'server_error' : 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
  return {
    server,
    baseUrl: `${server.url}${basePath}`,
    stop: () => server.stop(),
    errors: {
      rateLimited: (seconds) => () => ({
        status: 429,
        headers: {
          'retry-after': String(seconds),
          'x-ratelimit-limit-requests': '3',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${seconds}s`,
        },
        body: structuredClone(rateLimitFixture),
      }),
      serverError: () => () => ({ status: 500, body: structuredClone(serverErrorFixture) }),
      invalidKey: () => () => ({ status: 401, body: structuredClone(invalidKeyFixture) }),
      reply,
    },
    recorded: {
      reply: { body: structuredClone(completionFixture) },
      content: completionFixture.choices[0].message.content,
      usage: {
        prompt: completionFixture.usage.prompt_tokens,
        completion: completionFixture.usage.completion_tokens,
      },
    },
    wire: openAiWire,
    completion: (content, model = 'gpt-4o-mini') => ({ body: completionBody(content, model, 10, 10) }),
    streaming: {
      streamed: (request) => bodyOf(request).stream === true,
      reply: (shape) => (request) => answer(request, basePath, shape),
      content:
        (content, model = 'gpt-4o-mini') =>
        (request) =>
          streamReply(
            chunkEvents(
              completionBody(content, model, 10, 10),
              bodyOf(request).stream_options?.include_usage === true,
              {},
            ),
          ),
      recorded: {
        reply: () => streamReply(recordedEvents('openai/stream-chat-completion.txt')),
        // What the recorded stream's chunks and usage chunk say.
        content: 'Hello! How can I assist you today?',
        usage: { prompt: 19, completion: 10 },
      },
      toolCall: {
        reply: () => streamReply(recordedEvents('openai/stream-tool-calls.txt')),
        call: {
          id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
          name: 'get_current_weather',
          arguments: { location: 'Boston, MA' },
        },
      },
      failure: {
        reply: () => streamReply(recordedEvents('openai/stream-openrouter-error.txt')),
        status: 502,
      },
    },
  };
}

export const openAiWire: OpenAiStub['wire'] = {
  model: (request) => bodyOf(request).model,
  apiKey: (request) => /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1],
  systemPrompt: (request) => {
    const system = (bodyOf(request).messages ?? []).filter(
      (m) => m.role === 'system' || m.role === 'developer',
    );
    return system.length > 0 ? system.map(textOf).join('\n') : undefined;
  },
  userTexts: (request) => (bodyOf(request).messages ?? []).filter((m) => m.role === 'user').map(textOf),
  structuredSchema: (request) => bodyOf(request).response_format?.json_schema?.schema,
};

function answer(request: RecordedRequest, basePath: string, shape: StreamShape = {}): StubReply {
  if (request.method === 'POST' && request.path === `${basePath}/embeddings`) {
    return openAiWire.apiKey(request) ? embeddingsAnswer(request) : missingKey();
  }
  if (request.method !== 'POST' || request.path !== `${basePath}/chat/completions`) {
    return {
      status: 404,
      body: {
        error: {
          message: `Invalid URL (${request.method} ${request.path})`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    };
  }
  if (!openAiWire.apiKey(request)) return missingKey();
  const body = bodyOf(request);
  const messages = body.messages ?? [];
  const digest = createHash('sha256').update(JSON.stringify(messages)).digest('hex').slice(0, 12);
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const text = lastUser ? textOf(lastUser) : '';
  const format = body.response_format;
  // Tools and JSON mode as the mock answers them (a call of the forced or named tool; an instance of a
  // json_object schema given in the request or its system prompt), so client suites run on either.
  const tool = mockCalledTool(body as ChatCompletionRequest);
  const jsonSchema =
    format?.type === 'json_object' ? jsonObjectSchemaOf(body as ChatCompletionRequest) : undefined;
  const content =
    format?.type === 'json_schema'
      ? JSON.stringify(schemaInstance(format.json_schema?.schema ?? { type: 'object' }, `openai-${digest}`))
      : jsonSchema
        ? JSON.stringify(schemaInstance(jsonSchema, `openai-${digest}`))
        : format?.type === 'json_object'
          ? JSON.stringify({ answer: text, digest })
          : `openai-stub ${digest}: ${text}`;
  const promptTokens = Math.ceil(JSON.stringify(messages).length / 4);
  const completion = tool
    ? toolCallBody(tool, digest, String(body.model), promptTokens)
    : completionBody(
        content,
        String(body.model),
        promptTokens,
        Math.ceil(content.length / 4),
        `chatcmpl-stub-${digest}`,
      );
  if (body.stream !== true) return { body: completion };
  return streamReply(chunkEvents(completion, body.stream_options?.include_usage === true, shape), shape);
}

type CompletionBody = typeof completionFixture;

/** A completion calling `tool` with an instance of its parameters, as OpenAI answers a forced tool. */
function toolCallBody(
  tool: NonNullable<ReturnType<typeof mockCalledTool>>,
  digest: string,
  model: string,
  promptTokens: number,
): CompletionBody {
  const call = {
    id: `call_stub_${digest}`,
    type: 'function',
    function: {
      name: tool.function.name,
      arguments: JSON.stringify(
        schemaInstance(tool.function.parameters ?? { type: 'object' }, `openai-${digest}`),
      ),
    },
  };
  const reply = completionBody('', model, promptTokens, 10, `chatcmpl-stub-${digest}`);
  const message = { ...reply.choices[0].message, content: null, tool_calls: [call] };
  return {
    ...reply,
    choices: [{ ...reply.choices[0], message, finish_reason: 'tool_calls' }],
  } as unknown as CompletionBody;
}

/** A completion as OpenAI streams it: the role, the content in pieces, the finish reason, usage, [DONE]. */
function chunkEvents(completion: CompletionBody, includeUsage: boolean, shape: StreamShape): string[] {
  const head = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    system_fingerprint: completion.system_fingerprint,
    ...(includeUsage ? { usage: null } : {}),
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const [choice] = completion.choices;
  const calls = (choice.message as { tool_calls?: { id: string; function: unknown }[] }).tool_calls ?? [];
  const chunks = [
    chunk({ role: 'assistant', content: '', refusal: null }),
    ...textPieces(choice.message.content ?? '').map((piece) => chunk({ content: piece })),
    ...calls.map((call, index) => chunk({ tool_calls: [{ index, type: 'function', ...call }] })),
    chunk({}, choice.finish_reason),
    ...(includeUsage ? [{ ...head, choices: [], usage: completion.usage }] : []),
  ];
  const events = chunks.map((value) => `data: ${JSON.stringify(value)}\n\n`);
  return shape.withoutEnd ? events : [...events, 'data: [DONE]\n\n'];
}

function missingKey(): StubReply {
  return {
    status: 401,
    body: {
      error: {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header.",
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    },
  };
}

interface OpenAiEmbeddingBody {
  model?: unknown;
  input?: string | string[];
  dimensions?: number;
}

/**
 * `POST <basePath>/embeddings` as OpenAI answers it with `encoding_format: float`: a list of vectors,
 * `dimensions` long (1536, text-embedding-3-small's length, by default), seeded by each input's SHA-256.
 */
function embeddingsAnswer(request: RecordedRequest): StubReply {
  const body = (request.body ?? {}) as OpenAiEmbeddingBody;
  const inputs = typeof body.input === 'string' ? [body.input] : (body.input ?? []);
  const dimensions = body.dimensions ?? 1536;
  const tokens = inputs.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  return {
    body: {
      object: 'list',
      data: inputs.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: stubVector(`openai:${text}`, dimensions),
      })),
      model: String(body.model),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

/** `dimensions` numbers in [-1, 1) from the SHA-256 of `seed`, repeated as needed. */
export function stubVector(seed: string, dimensions: number): number[] {
  const digest = createHash('sha256').update(seed).digest();
  return Array.from({ length: dimensions }, (_, index) => digest[index % digest.length] / 128 - 1);
}

function completionBody(
  content: string,
  model: string,
  prompt: number,
  completion: number,
  id?: string,
): CompletionBody {
  const template = structuredClone(completionFixture);
  template.id = id ?? template.id;
  template.model = model;
  template.choices[0].message.content = content;
  template.usage = {
    ...template.usage,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  return template;
}

function bodyOf(request: RecordedRequest): OpenAiBody {
  return request.body ?? {};
}

function textOf(message: OpenAiMessage): string {
  if (typeof message.content === 'string') return message.content;
  return (message.content ?? []).map((part) => part.text ?? '').join('');
}
