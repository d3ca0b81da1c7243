import { createHash } from 'node:crypto';
import apiErrorFixture from '../../fixtures/anthropic/error-api.json';
import authenticationFixture from '../../fixtures/anthropic/error-authentication.json';
import overloadedFixture from '../../fixtures/anthropic/error-overloaded.json';
import rateLimitFixture from '../../fixtures/anthropic/error-rate-limit.json';
import messageFixture from '../../fixtures/anthropic/message.json';
import { schemaInstance } from '@breakwater/llm-provider';
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
 * Anthropic's Messages API on loopback: `POST /v1/messages` with `x-api-key` and `anthropic-version`,
 * `max_tokens` required, as the real API insists. By default it answers from the request
 * (`anthropic-stub <digest>: <last user text>`), and a forced tool_choice with that tool's tool_use whose
 * input is an instance of the tool's input schema, built on the API reference's recorded message.
 */
export interface AnthropicStub {
  readonly server: StubServer;
  readonly baseUrl: string;
  stop(): Promise<void>;
  errors: {
    rateLimited(retryAfterSeconds: number): StubHandler;
    serverError(): StubHandler;
    /** 529 overloaded_error, Anthropic's own status for "busy for everyone". */
    overloaded(): StubHandler;
    invalidKey(): StubHandler;
    reply(status: number, message: string, headers?: Record<string, string>): StubHandler;
  };
  recorded: { reply: StubReply; content: string; usage: { prompt: number; completion: number } };
  wire: {
    model(request: RecordedRequest): unknown;
    apiKey(request: RecordedRequest): string | undefined;
    systemPrompt(request: RecordedRequest): string | undefined;
    userTexts(request: RecordedRequest): string[];
    structuredSchema(request: RecordedRequest): unknown;
  };
  streaming: AnthropicStreaming;
}

/**
 * Streamed answers (`stream: true`): `event: <type>` and `data:` events, message_start, per content block
 * content_block_start, its deltas (text_delta or input_json_delta) and content_block_stop, then
 * message_delta (stop reason, output tokens) and message_stop, with a ping, as Anthropic's streaming
 * reference shows them.
 */
export interface AnthropicStreaming {
  streamed(request: RecordedRequest): boolean;
  /** The standing answer, streamed and shaped (slower, cut, without message_stop). */
  reply(shape: StreamShape): StubHandler;
  /** The recorded stream (fixtures/anthropic/stream-message.txt) and what it says. */
  recorded: { reply: StubHandler; content: string; usage: { prompt: number; completion: number } };
  /** A recorded stream of text then one tool_use (fixtures/anthropic/stream-tool-use.txt), and the call. */
  toolCall: { reply: StubHandler; call: { id: string; name: string; arguments: unknown } };
  /** An `error` event (overloaded_error) after the first text delta (fixtures/anthropic/stream-error.txt). */
  failure: { reply: StubHandler; status: number };
}

interface AnthropicBlock {
  type: string;
  text?: string;
  name?: string;
}

interface AnthropicBody {
  model?: unknown;
  max_tokens?: unknown;
  system?: string | AnthropicBlock[];
  messages?: { role: string; content: string | AnthropicBlock[] }[];
  tools?: { name: string; input_schema?: Record<string, unknown> }[];
  tool_choice?: { type: string; name?: string };
  stream?: unknown;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export async function startAnthropicStub(): Promise<AnthropicStub> {
  const server = await new StubServer(answer).start();
  const fixtureReply =
    (status: number, fixture: unknown, headers: Record<string, string> = {}): StubHandler =>
    () => ({ status, headers: { 'request-id': 'req_stub', ...headers }, body: structuredClone(fixture) });
  return {
    server,
    baseUrl: server.url,
    stop: () => server.stop(),
    errors: {
      rateLimited: (seconds) =>
        fixtureReply(429, rateLimitFixture, {
          'retry-after': String(seconds),
          'anthropic-ratelimit-requests-limit': '50',
          'anthropic-ratelimit-requests-remaining': '0',
        }),
      serverError: () => fixtureReply(500, apiErrorFixture),
      overloaded: () => fixtureReply(529, overloadedFixture),
      invalidKey: () => fixtureReply(401, authenticationFixture),
      reply: (status, message, headers) => () => errorReply(status, message, headers),
    },
    recorded: {
      reply: { body: structuredClone(messageFixture) },
      content: messageFixture.content[0].text,
      usage: { prompt: messageFixture.usage.input_tokens, completion: messageFixture.usage.output_tokens },
    },
    wire: anthropicWire,
    streaming: {
      streamed: (request) => bodyOf(request).stream === true,
      reply: (shape) => (request) => answer(request, shape),
      recorded: {
        reply: () => streamReply(recordedEvents('anthropic/stream-message.txt')),
        // What the recorded stream's text deltas and message_start / message_delta usage say.
        content: 'Hello! How can I help you today?',
        usage: { prompt: 25, completion: 15 },
      },
      toolCall: {
        reply: () => streamReply(recordedEvents('anthropic/stream-tool-use.txt')),
        call: {
          id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
          name: 'get_weather',
          arguments: { location: 'San Francisco, CA', unit: 'fahrenheit' },
        },
      },
      failure: { reply: () => streamReply(recordedEvents('anthropic/stream-error.txt')), status: 529 },
    },
  };
}

export const anthropicWire: AnthropicStub['wire'] = {
  model: (request) => bodyOf(request).model,
  apiKey: (request) => headerOf(request, 'x-api-key'),
  systemPrompt: (request) => {
    const system = bodyOf(request).system;
    return typeof system === 'string' ? system : system?.map((block) => block.text ?? '').join('');
  },
  userTexts: (request) =>
    (bodyOf(request).messages ?? [])
      .filter((message) => message.role === 'user')
      .map((message) => textOf(message.content)),
  structuredSchema: (request) => {
    const body = bodyOf(request);
    const forced = body.tool_choice?.type === 'tool' ? body.tool_choice.name : undefined;
    return body.tools?.find((tool) => tool.name === forced)?.input_schema;
  },
};

function answer(request: RecordedRequest, shape: StreamShape = {}): StubReply {
  if (request.method !== 'POST' || request.path !== '/v1/messages') {
    return errorReply(404, `Not found: ${request.method} ${request.path}`);
  }
  if (!headerOf(request, 'x-api-key')) return errorReply(401, 'x-api-key header is required');
  if (!headerOf(request, 'anthropic-version'))
    return errorReply(400, 'anthropic-version: header is required');
  const body = bodyOf(request);
  if (typeof body.max_tokens !== 'number') return errorReply(400, 'max_tokens: Field required');
  const messages = body.messages ?? [];
  const digest = createHash('sha256')
    .update(JSON.stringify([body.system ?? null, messages]))
    .digest('hex')
    .slice(0, 12);
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const message = structuredClone(messageFixture) as Omit<
    typeof messageFixture,
    'content' | 'stop_reason'
  > & {
    content: unknown[];
    stop_reason: string;
  };
  message.id = `msg_stub_${digest}`;
  message.model = String(body.model);
  const forced =
    body.tool_choice?.type === 'tool'
      ? body.tools?.find((tool) => tool.name === body.tool_choice?.name)
      : undefined;
  if (forced) {
    const input = schemaInstance(forced.input_schema ?? { type: 'object' }, `anthropic-${digest}`);
    message.content = [{ type: 'tool_use', id: `toolu_stub_${digest}`, name: forced.name, input }];
    message.stop_reason = 'tool_use';
  } else {
    message.content = [
      { type: 'text', text: `anthropic-stub ${digest}: ${lastUser ? textOf(lastUser.content) : ''}` },
    ];
    message.stop_reason = 'end_turn';
  }
  const output = Math.ceil(JSON.stringify(message.content).length / 4);
  message.usage = {
    ...message.usage,
    input_tokens: Math.ceil(JSON.stringify(messages).length / 4),
    output_tokens: output,
  };
  const headers = { 'request-id': `req_stub_${digest}` };
  if (body.stream !== true) return { headers, body: message };
  return { ...streamReply(messageEvents(message, shape), shape), headers };
}

interface StreamedMessage {
  content: unknown[];
  stop_reason: string;
  usage: { output_tokens: number };
}

/** A message as the Messages API streams it, event by event. */
function messageEvents(message: StreamedMessage, shape: StreamShape): string[] {
  const event = (type: string, data: Record<string, unknown> = {}) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const events = [
    event('message_start', {
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...message.usage, output_tokens: 1 },
      },
    }),
  ];
  for (const [index, block] of (message.content as AnthropicStreamBlock[]).entries()) {
    const tool = block.type === 'tool_use';
    events.push(
      event('content_block_start', {
        index,
        content_block: tool ? { ...block, input: {} } : { type: 'text', text: '' },
      }),
      ...(index === 0 ? [event('ping')] : []),
      ...textPieces(tool ? JSON.stringify(block.input) : (block.text ?? '')).map((piece) =>
        event('content_block_delta', {
          index,
          delta: tool
            ? { type: 'input_json_delta', partial_json: piece }
            : { type: 'text_delta', text: piece },
        }),
      ),
      event('content_block_stop', { index }),
    );
  }
  events.push(
    event('message_delta', {
      delta: { stop_reason: message.stop_reason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    }),
  );
  return shape.withoutEnd ? events : [...events, event('message_stop')];
}

interface AnthropicStreamBlock {
  type: string;
  text?: string;
  input?: unknown;
}

function errorReply(status: number, message: string, headers: Record<string, string> = {}): StubReply {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return {
    status,
    headers: { 'request-id': 'req_stub', ...headers },
    body: { type: 'error', error: { type, message }, request_id: 'req_stub' },
  };
}

function bodyOf(request: RecordedRequest): AnthropicBody {
  return request.body ?? {};
}

function headerOf(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function textOf(content: string | AnthropicBlock[]): string {
  return typeof content === 'string' ? content : content.map((block) => block.text ?? '').join('');
}
